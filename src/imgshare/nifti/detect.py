"""Tell neuroimaging files apart by their content: NIfTI-1, NIfTI-2, Analyze 7.5, MGH.

Why by content: a file called ``scan.nii`` may be gzipped, an ``.img`` may be the image half
of a NIfTI pair, and an archive may hold files with no extension at all. The header says
what a file is: its size field (348 for NIfTI-1 and Analyze, 540 for NIfTI-2, in either
byte order), its magic string (``n+1``/``ni1``, ``n+2``/``ni2``) and, for FreeSurfer's MGH,
a big-endian version number 1 followed by plausible dimensions. A gzip stream is opened
first (its two magic bytes 1f 8b). Anything else is left to the DICOM reader.
"""

from __future__ import annotations

import gzip
import struct
import zlib
from pathlib import Path

GZIP_MAGIC = b"\x1f\x8b"
#: The kinds this package de-identifies.
IMAGE_KINDS = ("nifti1", "nifti1-pair", "nifti2", "nifti2-pair", "analyze", "mgh")
PAIR_KINDS = ("nifti1-pair", "nifti2-pair", "analyze")


def head(path: Path, size: int = 560) -> tuple[bytes, bool]:
    """The first ``size`` bytes of a file, uncompressed if it is gzipped; and whether it was."""
    with open(path, "rb") as fh:
        start = fh.read(size)
    if not start.startswith(GZIP_MAGIC):
        return start, False
    try:
        with gzip.open(path, "rb") as gz:
            return gz.read(size), True
    except (OSError, EOFError, zlib.error):
        return b"", True  # a broken gzip stream: the caller decides by extension


def byte_order(raw: bytes, sizes: tuple[int, ...] = (348, 540)) -> tuple[str, int] | None:
    """('<' or '>', header size) if the first four bytes are a known header size."""
    if len(raw) < 4:
        return None
    for order in ("<", ">"):
        (value,) = struct.unpack(order + "i", raw[:4])
        if value in sizes:
            return order, value
    return None


def kind_of_header(raw: bytes) -> str | None:
    """The kind named by a header's first bytes, or None if they name none we know."""
    if raw[128:132] == b"DICM":
        return None  # a DICOM file: its 128-byte preamble is free-form (nibabel's Siemens DWI)
    found = byte_order(raw)
    if found is not None:
        _, size = found
        if size == 540 and raw[4:8] in (b"n+2\x00", b"ni2\x00"):
            return "nifti2" if raw[4:7] == b"n+2" else "nifti2-pair"
        if size == 348 and len(raw) >= 348:
            magic = raw[344:348]
            if magic == b"n+1\x00":
                return "nifti1"
            if magic == b"ni1\x00":
                return "nifti1-pair"
            return "analyze"
    if len(raw) >= 28 and struct.unpack(">i", raw[:4])[0] == 1:
        dims = struct.unpack(">4i", raw[4:20])
        dtype = struct.unpack(">i", raw[20:24])[0]
        if all(0 < d < 1 << 20 for d in dims) and dtype in (0, 1, 3, 4):
            return "mgh"
    return None


def sniff(path: Path) -> str | None:
    """The neuroimaging kind of a file, or None (DICOM or anything else).

    A gzip file that cannot be opened but is named like a neuroimaging file is reported as
    such ('nifti1' for .nii.gz, 'mgh' for .mgz) so that the reader gives a clear reason.
    """
    raw, gzipped = head(path)
    kind = kind_of_header(raw)
    if kind is None and gzipped and not raw:
        name = path.name.lower()
        if name.endswith(".nii.gz"):
            return "nifti1"
        if name.endswith(".mgz"):
            return "mgh"
    return kind


def is_pair_image(path: Path) -> bool:
    """An ``.img`` whose ``.hdr`` beside it is an Analyze or NIfTI pair header."""
    if path.suffix.lower() != ".img":
        return False
    header = path.with_suffix(".hdr")
    if not header.is_file():
        header = path.with_suffix(".HDR")
    return header.is_file() and sniff(header) in PAIR_KINDS
