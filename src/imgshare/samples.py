"""The sample-data registry: find a sample by name and check it against its checksum.

Why: chapters and tests must use the exact bytes recorded in ``data/samples/MANIFEST.csv``;
a sample that changed silently would make the book show something other than what it says.
The folder is found beside the source tree, or through ``IMGSHARE_SAMPLES``.
"""

from __future__ import annotations

import csv
import hashlib
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path


@dataclass(frozen=True)
class Sample:
    """One row of the manifest."""

    file: str
    modality: str
    format: str
    description: str
    source_package: str
    source_version: str
    source_path: str
    licence: str
    synthetic: str
    sha256: str
    bytes: int

    @property
    def path(self) -> Path:
        return samples_dir() / self.file


def samples_dir() -> Path:
    """The sample folder: ``$IMGSHARE_SAMPLES`` or ``data/samples`` of the source checkout."""
    env = os.environ.get("IMGSHARE_SAMPLES")
    if env:
        return Path(env)
    here = Path(__file__).resolve()
    for parent in here.parents:
        candidate = parent / "data" / "samples"
        if (candidate / "MANIFEST.csv").is_file():
            return candidate
    raise FileNotFoundError(
        "data/samples not found: run from a checkout of the repository or set IMGSHARE_SAMPLES"
    )


@cache
def manifest() -> tuple[Sample, ...]:
    """All samples, in manifest order."""
    with open(samples_dir() / "MANIFEST.csv", newline="") as fh:
        return tuple(Sample(**{**row, "bytes": int(row["bytes"])}) for row in csv.DictReader(fh))


def path(name: str) -> Path:
    """Path of a sample given its manifest name (``dicom/CT_small.dcm``) or its file name."""
    for sample in manifest():
        if name in (sample.file, Path(sample.file).name):
            return sample.path
    raise KeyError(f"no sample named {name!r} in MANIFEST.csv")


def sha256(file: Path) -> str:
    digest = hashlib.sha256()
    with open(file, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify() -> list[str]:
    """Problems found: changed, missing or unlisted files. An empty list means all is well."""
    problems = []
    listed = set()
    for sample in manifest():
        listed.add(sample.file)
        if not sample.path.is_file():
            problems.append(f"missing: {sample.file}")
        elif sha256(sample.path) != sample.sha256:
            problems.append(f"checksum changed: {sample.file}")
    root = samples_dir()
    for file in root.rglob("*"):
        rel = file.relative_to(root).as_posix()
        in_data = rel.split("/")[0] in {"dicom", "nifti", "analyze", "synthetic"}
        if file.is_file() and in_data and rel not in listed:
            problems.append(f"not in MANIFEST.csv: {rel}")
    return problems
