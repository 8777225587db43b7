"""Size check: no large file enters the repository by accident.

Why: a large file in git stays in every clone for ever, and in this project a large file is
most often an image that should not be shared at all (a real scan, an export with outputs).
Sample data may be larger, but the whole sample folder stays within the budget that
data/samples/README.md sets, so that a clone and the CI stay fast.

Usage: ``python scripts/check_sizes.py``; checks the files git tracks plus new, not ignored
files, prints each that is too large and exits 1 if any.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAX_FILE_KB = 1024  # any file outside the sample folder (pre-commit uses the same limit)
SAMPLES = "data/samples/"
MAX_SAMPLE_FILE_KB = 10 * 1024
MAX_SAMPLES_KB = 25 * 1024


def repository_files() -> list[str]:
    """Tracked files and untracked files that are not ignored (what a commit could add)."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return sorted({name for name in listed.split("\0") if name and (ROOT / name).is_file()})


def problems(files: list[str]) -> list[str]:
    """One line per file over its limit, and one if the sample folder is over budget."""
    out = []
    samples_kb = 0.0
    for name in files:
        kb = (ROOT / name).stat().st_size / 1024
        limit = MAX_SAMPLE_FILE_KB if name.startswith(SAMPLES) else MAX_FILE_KB
        if name.startswith(SAMPLES):
            samples_kb += kb
        if kb > limit:
            out.append(f"{name}: {kb:.0f} kB is over the {limit} kB limit")
    if samples_kb > MAX_SAMPLES_KB:
        out.append(f"{SAMPLES}: {samples_kb:.0f} kB in all is over {MAX_SAMPLES_KB} kB")
    return out


def main() -> int:
    files = repository_files()
    found = problems(files)
    for line in found:
        print(line)
    if found:
        return 1
    print(f"check_sizes: {len(files)} files within their limits")
    return 0


if __name__ == "__main__":
    sys.exit(main())
