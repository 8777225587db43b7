"""Compare the headers of different image formats, and look at a DICOM file's first bytes.

Why: the formats chapter claims that NIfTI, Analyze and MGH headers differ in what they can
carry, and that a DICOM file starts with a preamble and the letters DICM. These helpers let
the chapter show both on the samples, side by side, instead of asserting them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from imgshare.book import describe

#: Header fields that hold free text or identifiers, per format (as nibabel names them).
TEXT_FIELDS = {
    "NIfTI": ["descrip", "aux_file", "intent_name", "db_name"],
    "Analyze": ["descrip", "aux_file", "db_name", "patient_id", "exp_date", "exp_time"],
    "MGH": [],
}


def header_fields(path: str | Path) -> dict[str, str]:
    """A volume header as a field -> shortened value mapping (through ``describe``)."""
    return {row["field"]: row["value"] for row in describe.nifti_header(path)}


def side_by_side(files: dict[str, str | Path], fields: list[str]):
    """A table with one row per field and one column per file; '—' where a format lacks it."""
    import pandas as pd

    columns = {label: header_fields(path) for label, path in files.items()}
    return pd.DataFrame(
        {label: [values.get(f, "—") for f in fields] for label, values in columns.items()},
        index=fields,
    )


def preamble(path: str | Path) -> dict[str, Any]:
    """The first 132 bytes of a file: is the 128-byte preamble all zero, is 'DICM' next?"""
    with open(path, "rb") as fh:
        head = fh.read(132)
    return {
        "file": Path(path).name,
        "preamble all zero": head[:128] == bytes(128),
        "prefix": head[128:132].decode("latin-1") if len(head) == 132 else "",
        "DICOM Part 10 file": head[128:132] == b"DICM",
    }
