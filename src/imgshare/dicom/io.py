"""Reading a file that may not be DICOM, and writing a result that is never half there.

Why: a batch meets every kind of bad input, and each must end as one clear line in the
report (file, reason, no traceback) while the rest goes on. And an interrupted run must not
leave a file that looks finished but is not: each output is written to a temporary file in
the destination folder, flushed to disk, then renamed into place in one step.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pydicom
from pydicom import Dataset
from pydicom.dataset import FileMetaDataset
from pydicom.errors import InvalidDicomError
from pydicom.uid import PYDICOM_IMPLEMENTATION_UID, ExplicitVRLittleEndian

from imgshare import __version__
from imgshare.dicom import fastwrite
from imgshare.dicom.engine import DeidError
from imgshare.reasons import from_exception

#: Elements larger than this are read from the file only when needed (never, if removed).
DEFER_SIZE = 2 * 1024 * 1024
TMP_SUFFIX = ".imgshare-tmp"
DEFLATED = "1.2.840.10008.1.2.1.99"
IMPLEMENTATION_VERSION = f"IMGSHARE_{__version__}".replace(".", "_")[:16]


class NotDicom(Exception):
    """The file is not DICOM: skipped, not failed."""


def read(path: Path) -> tuple[Dataset, list[str]]:
    """Read a DICOM file for de-identification, with notes on anything unusual.

    Raises NotDicom for a file that is not DICOM, DeidError for DICOM that cannot be read.
    """
    notes: list[str] = []
    size = path.stat().st_size
    if size == 0:
        raise NotDicom("empty file (0 bytes)")
    try:
        ds = pydicom.dcmread(path, defer_size=DEFER_SIZE)
    except InvalidDicomError:
        ds = _read_without_preamble(path)
        notes.append("no preamble or DICM prefix: read as a bare dataset")
    except (EOFError, OSError, ValueError, KeyError, TypeError, OverflowError) as exc:
        raise DeidError(f"corrupt or truncated: {from_exception(exc)}") from None
    except Exception as exc:  # pydicom raises assorted errors on damaged files
        raise DeidError(f"corrupt or truncated: {from_exception(exc)}") from None
    media_class = str(ds.file_meta.get("MediaStorageSOPClassUID", ""))
    if ds.get("SOPClassUID") is None and media_class == "1.2.840.10008.1.3.10":
        raise NotDicom("DICOMDIR: a media directory, rebuilt when packaging, not copied")
    _check_complete(ds, size)
    if "SOPInstanceUID" not in ds or "SOPClassUID" not in ds:
        raise DeidError("no SOP Class UID or SOP Instance UID: not a composite instance")
    _check_pixel_length(ds)
    return ds, notes


def _check_complete(ds: Dataset, size: int) -> None:
    """pydicom stops quietly at a cut; the last element must end where the file ends."""
    tags = list(ds.keys())
    if not tags:
        raise DeidError("no data elements could be read")
    if str(ds.file_meta.get("TransferSyntaxUID", "")) == DEFLATED:
        return  # positions are in the inflated stream, not the file
    raw = ds.get_item(tags[-1])
    tell, length = getattr(raw, "value_tell", None), getattr(raw, "length", None)
    if tell is None or length is None or length == 0xFFFFFFFF:
        return
    end = tell + length
    if end > size or (isinstance(raw.value, bytes) and len(raw.value) < length):
        raise DeidError(f"truncated: the last element {tags[-1]} is cut off")
    if 0 < size - end < 8:
        raise DeidError("truncated: the file ends inside an element header")


def _read_without_preamble(path: Path) -> Dataset:
    try:
        ds = pydicom.dcmread(path, force=True, defer_size=DEFER_SIZE)
    except Exception as exc:
        raise NotDicom(f"not DICOM ({from_exception(exc)})") from None
    tags = list(ds.keys())
    if not tags or "SOPClassUID" not in ds or tags[0] >> 16 not in (0x0002, 0x0008):
        raise NotDicom("not DICOM: no DICM prefix and no recognisable dataset")
    return ds


def _check_pixel_length(ds: Dataset) -> None:
    """Uncompressed pixel data shorter than its header says means a truncated file."""
    if "PixelData" not in ds or ds.file_meta.get("TransferSyntaxUID") is None:
        return
    if ds.file_meta.TransferSyntaxUID.is_compressed:
        return
    try:
        rows, cols = int(ds.Rows), int(ds.Columns)
        frames = int(ds.get("NumberOfFrames", 1) or 1)
        samples = int(ds.get("SamplesPerPixel", 1) or 1)
        bits = int(ds.BitsAllocated)
    except (AttributeError, TypeError, ValueError):
        raise DeidError(
            "image attributes (Rows, Columns, Bits Allocated) missing or invalid"
        ) from None
    expected = rows * cols * frames * samples * bits // 8
    actual = (
        ds.get_item("PixelData").length if hasattr(ds.get_item("PixelData"), "length") else None
    )
    if actual is None:
        actual = len(ds.PixelData)
    if actual < expected:
        raise DeidError(f"pixel data truncated: {actual} of {expected} bytes")


def file_meta(ds: Dataset, transfer_syntax: str | None) -> FileMetaDataset:
    """New File Meta Information: nothing of the source's meta group survives."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = ds.SOPClassUID
    meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    meta.TransferSyntaxUID = transfer_syntax or ExplicitVRLittleEndian
    meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
    meta.ImplementationVersionName = IMPLEMENTATION_VERSION
    return meta


def write_temp(ds: Dataset, folder: Path, durable: bool = False) -> Path:
    """Write a dataset to a temporary file in ``folder`` (same file system as its target).

    The rename that follows is atomic, so a killed run never leaves a half-written output.
    ``durable`` also flushes each file to the disk before the rename, which survives a power
    cut too but costs a disk round trip per file; otherwise the batch syncs once at its end.
    """
    folder.mkdir(parents=True, exist_ok=True)
    source_syntax = ds.file_meta.get("TransferSyntaxUID") if hasattr(ds, "file_meta") else None
    if source_syntax is None and hasattr(ds, "original_encoding"):
        implicit, little = ds.original_encoding
        if implicit is not None:
            source_syntax = (
                "1.2.840.10008.1.2"
                if implicit
                else (ExplicitVRLittleEndian if little else "1.2.840.10008.1.2.2")
            )
    ds.file_meta = file_meta(ds, source_syntax)
    return temp_file(folder, lambda fh: fastwrite.write(fh, ds), durable)


def temp_file(folder: Path, write, durable: bool = False) -> Path:
    """Call ``write(fh)`` on a new temporary file in ``folder``; remove it if that fails."""
    folder.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=folder, prefix=".", suffix=TMP_SUFFIX)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return Path(name)


def commit(temp: Path, target: Path) -> None:
    """Move a finished temporary file into place atomically."""
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(temp, target)
