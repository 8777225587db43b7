"""What the book was built with, and how long each trainer's notebook takes to run.

Why: a trainer planning a live session needs to know that every notebook runs offline from a
clean kernel in well under a minute, and a reader comparing outputs needs the versions that
produced them. Both are measured, not stated: the build-information and training pages call
these functions when the book is built, and a test asserts the time limit.

Execution times are remembered in ``_build/notebook-times.json``, keyed by the notebook's
bytes, the package's source and the Python version, so that the two pages and the test do
not each run every notebook again; any change to a notebook or to ``imgshare`` measures
afresh.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import platform
import re
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from imgshare import samples

#: A notebook for a live session must run top to bottom within this many seconds.
TIME_LIMIT_S = 60


def repository_root() -> Path:
    """The checkout's root folder (the one holding ``data/samples``)."""
    return samples.samples_dir().parents[1]


def notebooks() -> list[Path]:
    """The trainer's notebooks, in the order of their numbered file names."""
    return sorted((repository_root() / "notebooks").glob("*.ipynb"))


def notebook_title(path: Path) -> str:
    """The first heading of a notebook's first Markdown cell (its title)."""
    for cell in json.loads(path.read_text())["cells"]:
        if cell["cell_type"] == "markdown":
            for line in "".join(cell["source"]).splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return path.stem


def python_info() -> dict[str, str]:
    """The interpreter and platform the book was built on."""
    return {
        "Python": platform.python_version(),
        "Implementation": platform.python_implementation(),
        "Platform": platform.platform(terse=True),
        "imgshare": importlib.metadata.version("imgshare"),
    }


def package_versions(requirements: Path | None = None) -> list[dict[str, str]]:
    """Each pinned package of requirements.txt with the version actually installed.

    Why both: the pin says what the project tested; the installed version says what built
    this copy. They differ only if someone built the book outside ``make``.
    """
    requirements = requirements or repository_root() / "requirements.txt"
    rows = []
    for line in requirements.read_text().splitlines():
        match = re.match(r"^\s*([A-Za-z0-9_.\-\[\]]+)\s*==\s*([^\s#;]+)", line)
        if not match:
            continue
        name = re.sub(r"\[.*\]", "", match.group(1))
        try:
            installed = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            installed = "(not installed)"
        rows.append({"package": name, "pinned": match.group(2), "installed": installed})
    return rows


def _fingerprint(path: Path) -> str:
    """What a measured time depends on: the notebook, the package source and Python."""
    digest = hashlib.sha256(path.read_bytes())
    for source in sorted(Path(__file__).parents[1].rglob("*.py")):
        digest.update(source.read_bytes())
    digest.update(platform.python_version().encode())
    return digest.hexdigest()


def run_notebook(path: Path, timeout: int = 2 * TIME_LIMIT_S) -> float:
    """Execute a notebook from a clean kernel in its own folder; return the seconds taken.

    The time includes starting the kernel, as a trainer's *Restart Kernel and Run All* does.
    Raises if a cell fails or runs longer than ``timeout``.
    """
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    start = time.perf_counter()
    client.execute()
    return time.perf_counter() - start


def times_file() -> Path:
    """Where measured times are remembered (inside the build folder, never committed)."""
    return repository_root() / "_build" / "notebook-times.json"


def _load(store: Path) -> dict[str, dict]:
    try:
        return json.loads(store.read_text())
    except (OSError, ValueError):
        return {}


def record(path: Path, seconds: float, store: Path | None = None) -> dict:
    """Remember one measured time (written atomically: tests and the build may run at once)."""
    store = store or times_file()
    entry = {
        "notebook": path.name,
        "seconds": round(seconds, 1),
        "measured": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "fingerprint": _fingerprint(path),
    }
    data = _load(store)
    data[path.name] = entry
    store.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=store.parent, prefix=".notebook-times-")
    with os.fdopen(fd, "w") as fh:
        json.dump(data, fh, indent=1, sort_keys=True)
    os.replace(tmp, store)
    return entry


def notebook_times(store: Path | None = None) -> list[dict[str, object]]:
    """Each notebook's title and execution time, measuring any not measured in this state."""
    store = store or times_file()
    rows = []
    for path in notebooks():
        entry = _load(store).get(path.name)
        if not entry or entry.get("fingerprint") != _fingerprint(path):
            entry = record(path, run_notebook(path), store)
        rows.append(
            {
                "notebook": path.name,
                "title": notebook_title(path),
                "seconds": entry["seconds"],
                "within limit": entry["seconds"] < TIME_LIMIT_S,
                "measured": entry["measured"],
            }
        )
    return rows
