"""Run the project's engine and common open de-identification tools, each with its defaults.

Why in the package: the tools-compared chapter and the leak benchmark must run every tool
the same way, so that one table can be compared with the other. Each tool runs as its users
run it, from its command line (or, for deid, which has no de-identifying command, from the
function its documentation shows with the default recipe), in a subprocess of the project's
environment where the set-up installed it at a pinned version:

- ``imgshare deidentify`` with the options the book recommends;
- dicognito: ``python -m dicognito --seed SEED -o OUT SRC`` (its console script of 0.19.0
  calls its main function without arguments, so it is run as a module, as the script
  intends). The seed is its own option for reproducible runs: without it each run draws new
  replacement values and date offsets, and the comparison changes from build to build (see
  :func:`intervals`);
- deid: ``deid.dicom.replace_identifiers`` with ``DeidRecipe()`` (its default recipe),
  saving into an output folder;
- dicom-anonymizer: ``dicom-anonymizer IN OUT``. It reads only the files at the top of a
  folder, so it gets a flat folder of hard links to the corpus (same bytes, same names).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

from imgshare.corpus import RECOMMENDED

TOOLS = ("imgshare", "dicognito", "deid", "dicom-anonymizer")
PACKAGES = {"imgshare": "imgshare", "dicognito": "dicognito", "deid": "deid"}
PACKAGES["dicom-anonymizer"] = "dicom-anonymizer"
SETTINGS = {
    "imgshare": "Basic Profile + " + ", ".join(RECOMMENDED),
    "dicognito": "defaults (command line, -o; --seed for a reproducible table)",
    "deid": "default recipe (DeidRecipe())",
    "dicom-anonymizer": "defaults (command line; private tags deleted)",
}
DEID_RUNNER = """
import os, sys
from deid.config import DeidRecipe
from deid.dicom import replace_identifiers
src, out = sys.argv[1], sys.argv[2]
files = sorted(os.path.join(d, f) for d, _, names in os.walk(src) for f in names)
replace_identifiers(files, deid=DeidRecipe(), save=True, output_folder=out)
"""


def version(tool: str) -> str:
    """The installed version of a tool (the pins are in requirements.txt)."""
    return metadata.version(PACKAGES[tool])


#: The seed dicognito runs with in the book (any fixed value makes the table reproducible).
DICOGNITO_SEED = "imgshare-book"


def command(
    tool: str,
    src: Path,
    dst: Path,
    key_file: Path | None = None,
    seed: str | None = None,
    extra: tuple[str, ...] = (),
) -> list[str]:
    """The command line that runs one tool on SRC into DST (``seed``: dicognito's only;
    ``extra``: more arguments for imgshare, such as a benchmark that judges text only)."""
    py = sys.executable
    if tool == "imgshare":
        if key_file is None:
            raise ValueError("imgshare needs a key file")
        options = [a for o in RECOMMENDED for a in ("--option", o)]
        return [py, "-m", "imgshare.cli", "deidentify", str(src), str(dst),
                "--key-file", str(key_file), "--no-progress", *options, *extra]  # fmt: skip
    if tool == "dicognito":
        return [py, "-m", "dicognito", "--seed", seed or DICOGNITO_SEED, "-o", str(dst), str(src)]
    if tool == "deid":
        return [py, "-c", DEID_RUNNER, str(src), str(dst)]
    if tool == "dicom-anonymizer":
        return [str(Path(py).parent / "dicom-anonymizer"), str(src), str(dst)]
    raise ValueError(f"unknown tool {tool!r}")


def flat_view(src: Path, dst: Path) -> Path:
    """A flat folder of hard links (copies across file systems) to every file under SRC."""
    dst.mkdir(parents=True, exist_ok=True)
    for folder, _, names in os.walk(src):
        for name in names:
            target = dst / name
            if target.exists():
                raise ValueError(f"two files named {name}: a flat view would lose one")
            try:
                os.link(Path(folder) / name, target)
            except OSError:
                target.write_bytes((Path(folder) / name).read_bytes())
    return dst


def run(
    tool: str,
    src: Path,
    dst: Path,
    key_file: Path | None = None,
    seed: str | None = None,
    extra: tuple[str, ...] = (),
) -> dict[str, object]:
    """Run one tool; return its wall time, exit status and the last line it printed."""
    src, dst = Path(src), Path(dst)
    if tool == "dicom-anonymizer":
        src = flat_view(src, dst.parent / (dst.name + "-input"))
    if tool in ("deid", "dicom-anonymizer"):
        dst.mkdir(parents=True, exist_ok=True)  # these two expect the folder to exist
    start = time.perf_counter()
    proc = subprocess.run(
        command(tool, src, dst, key_file, seed, extra),
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
        check=False,
    )
    seconds = time.perf_counter() - start
    tail = (proc.stderr.strip() or proc.stdout.strip()).splitlines()
    return {
        "tool": tool,
        "seconds": seconds,
        "returncode": proc.returncode,
        "last_line": tail[-1][:200] if tail else "",
    }


def _studies(folder: Path) -> dict[bytes, tuple[str, str, str]]:
    """Each file's pixel-data hash -> (patient, study, "YYYYMMDDHHMMSS")."""
    import hashlib

    import pydicom

    found = {}
    for path in sorted(Path(folder).rglob("*")):
        if not path.is_file():
            continue
        try:
            ds = pydicom.dcmread(path)
        except Exception:  # not DICOM, or unreadable: not part of the comparison
            continue
        if "PixelData" not in ds or not ds.get("StudyDate"):
            continue
        when = str(ds.StudyDate) + str(ds.get("StudyTime", "000000")).split(".")[0].ljust(6, "0")
        digest = hashlib.sha256(ds.PixelData).digest()
        found[digest] = (str(ds.get("PatientID", "")), str(ds.StudyInstanceUID), when)
    return found


def intervals(original: Path, released: Path) -> list[dict[str, object]]:
    """For each patient, the days and hours between the first two studies, before and after.

    Why: a tool may keep the time between two studies exactly and still change the number of
    calendar days between their dates, when it shifts dates and times together and one study
    crosses midnight. Files are matched by their pixel data, which the tools leave alone.
    """
    from datetime import datetime

    before, after = _studies(original), _studies(released)
    rows = []
    for patient in sorted({p for p, _, _ in before.values()}):
        studies: dict[str, tuple[str, str | None]] = {}
        for digest, (p, study, when) in before.items():
            if p == patient and digest in after:
                studies.setdefault(study, (when, after[digest][2]))
        pairs = sorted(studies.values())[:2]
        if len(pairs) < 2:
            continue
        (a0, a1), (b0, b1) = pairs
        row: dict[str, object] = {"patient": len(rows) + 1}
        for label, x, y in (("original", a0, b0), ("released", a1, b1)):
            tx, ty = (datetime.strptime(v, "%Y%m%d%H%M%S") for v in (x, y))
            row[f"days between dates ({label})"] = (ty.date() - tx.date()).days
            row[f"hours between studies ({label})"] = round((ty - tx).total_seconds() / 3600, 2)
        rows.append(row)
    return rows


__all__ = ["TOOLS", "SETTINGS", "version", "command", "run", "flat_view", "intervals"]
