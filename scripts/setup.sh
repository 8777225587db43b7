#!/usr/bin/env bash
# One set-up for every entry point (make book, make test, make lab, .ci/run).
# Installs the Debian packages listed in scripts/apt-packages.txt (when missing), creates or
# reuses the virtual environment, and installs the pinned Python packages and imgshare.
# It is idempotent: a stamp records what was installed, so a second run takes a second.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV:-.venv}
PYTHON=${PYTHON:-}
if [ -z "$PYTHON" ]; then
  # The first interpreter that runs and is 3.11 or newer (pyenv shims may exist but fail).
  for candidate in python3 python3.12 python3.11; do
    if "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1; then
      PYTHON=$candidate; break
    fi
  done
  [ -n "$PYTHON" ] || { echo "setup: Python 3.11 or newer is needed" >&2; exit 1; }
fi

# --- system packages (Debian) --------------------------------------------------------------
mapfile -t apt_wanted < <(sed -e 's/#.*//' -e '/^\s*$/d' scripts/apt-packages.txt)
apt_missing=()
for pkg in "${apt_wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || apt_missing+=("$pkg")
done
if [ ${#apt_missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing Debian packages: ${apt_missing[*]}" >&2
    echo "setup: run as root, or: sudo apt-get install -y ${apt_missing[*]}" >&2
    exit 1
  fi
  echo "setup: installing Debian packages: ${apt_missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${apt_missing[@]}" >/dev/null
fi

# --- Python environment --------------------------------------------------------------------
if [ ! -x "$VENV/bin/python" ]; then
  echo "setup: creating virtual environment $VENV with $PYTHON"
  "$PYTHON" -m venv "$VENV"
fi
stamp="$VENV/.setup-stamp"
want=$(cat requirements.txt pyproject.toml scripts/apt-packages.txt | sha256sum | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && "$VENV/bin/python" -c "import imgshare" 2>/dev/null; then
  exit 0
fi
echo "setup: installing Python packages into $VENV (pinned in requirements.txt)"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r requirements.txt 2>&1 | { grep -v "^WARNING: Location" || true; }
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps -e .
echo "$want" > "$stamp"
echo "setup: done"
