"""DICOM to NIfTI + JSON with dcm2niix, the converter most BIDS datasets are made with.

Why a wrapper: the chapter must show what the converter carries over, with and without its
own anonymising switch (``-ba y`` strips names, IDs and dates from the sidecar; ``-ba n``
keeps them). The PyPI package ``dcm2niix`` ships the binary, so no network is needed. The
file name pattern is fixed to the series number: dcm2niix's default pattern includes the
folder name, the protocol and the acquisition time, which would leak into the output name.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sysconfig
from pathlib import Path
from typing import Any


def binary() -> str:
    """The dcm2niix executable of this environment (the PyPI package puts it in scripts)."""
    candidate = Path(sysconfig.get_path("scripts")) / "dcm2niix"
    if candidate.is_file():
        return str(candidate)
    found = shutil.which("dcm2niix")
    if found is None:
        raise FileNotFoundError("dcm2niix not found: install the pinned requirements")
    return found


def version() -> str:
    done = subprocess.run([binary(), "--version"], capture_output=True, text=True, check=False)
    return (done.stdout.strip().splitlines() or ["?"])[-1]


def convert(dicom_dir: Path, out: Path, anonymise: bool, name: str = "series-%s") -> dict[str, Any]:
    """Convert a folder of DICOM files; return the NIfTI path, the sidecar and the log."""
    out.mkdir(parents=True, exist_ok=True)
    command = [binary(), "-b", "y", "-ba", "y" if anonymise else "n", "-z", "y",
               "-f", name, "-o", str(out), str(dicom_dir)]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=True)
    niftis = sorted(out.glob("*.nii.gz"))
    if not niftis:
        raise RuntimeError(f"dcm2niix wrote no NIfTI: {done.stdout.strip()[-200:]}")
    sidecar_path = niftis[0].with_name(niftis[0].name.replace(".nii.gz", ".json"))
    return {
        "nifti": niftis[0],
        "sidecar_path": sidecar_path,
        "sidecar": json.loads(sidecar_path.read_text()),
        "command": " ".join(["dcm2niix", *command[1:-3], "-o OUT", "DICOM_DIR"]),
    }
