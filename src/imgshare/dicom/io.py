"""Reading a file that may not be DICOM, and writing a result that is never half there.

Why: a batch meets every kind of bad input, and each must end as one clear line in the
report (file, reason, no traceback) while the rest goes on. And an interrupted run must not
leave a file that looks finished but is not: each output is written to a temporary file in
the destination folder, flushed to disk, then renamed into place in one step.
"""

from __future__ import annotations

import gzip
import os
import struct
import tempfile
import zlib
from io import BytesIO
from pathlib import Path

import pydicom
from pydicom import Dataset
from pydicom.dataset import FileMetaDataset
from pydicom.errors import InvalidDicomError
from pydicom.pixels.utils import get_expected_length
from pydicom.uid import PYDICOM_IMPLEMENTATION_UID, ExplicitVRLittleEndian

from imgshare import __version__
from imgshare.dicom import fastwrite
from imgshare.dicom.errors import DeidError
from imgshare.reasons import from_exception

#: Elements larger than this are left in the file by the reader: never read if removed,
#: and copied file to file by the writer (fastwrite) if kept, as Pixel Data mostly is.
DEFER_SIZE = 64 * 1024
TMP_SUFFIX = ".imgshare-tmp"
DEFLATED = "1.2.840.10008.1.2.1.99"
IMPLEMENTATION_VERSION = f"IMGSHARE_{__version__}".replace(".", "_")[:16]


class NotDicom(Exception):
    """The file is not DICOM: skipped, not failed."""


GZIP_MAGIC = b"\x1f\x8b"
#: File names that say "DICOM": such a file that cannot be read fails rather than skips.
DICOM_NAMES = (".dcm", ".dicom", ".dic", ".ima", ".dcm.gz")
#: A gzipped DICOM file is decompressed in memory; larger ones are refused with a reason.
MAX_GUNZIP = 1024 * 1024 * 1024


def sniff(path: Path) -> str | None:
    """'dicom' or 'dicom-gzip' if a file is DICOM by its content, else None.

    Why first: other formats are recognised by their first bytes, and a DICOM preamble is
    128 bytes of anything (a Siemens preamble can look like a NIfTI header size, and a
    dual-format file starts as a TIFF). So DICOM is recognised before anything else: the
    DICM prefix at offset 128, in the file or in its gzip stream; else a bare dataset whose
    first element is a File Meta or an Identifying group element, as written without a
    preamble by old software.
    """
    try:
        with open(path, "rb") as fh:
            head = fh.read(132)
    except OSError:
        return None
    kind = "dicom"
    if head[:2] == GZIP_MAGIC:
        kind = "dicom-gzip"
        try:
            with gzip.open(path, "rb") as gz:
                head = gz.read(132)
        except (OSError, EOFError, zlib.error):
            return None
    if head[128:132] == b"DICM":
        return kind
    return kind if _bare_dataset(head) else None


def _bare_dataset(head: bytes) -> bool:
    """True if the bytes start with the first element of a dataset written without a
    preamble: group 0002 or 0008, a small element number, in either byte order."""
    if len(head) < 8:
        return False
    for order in ("<", ">"):
        group, element = struct.unpack(order + "HH", head[:4])
        if group in (0x0002, 0x0008) and element <= 0x0020:
            vr = head[4:6]
            explicit = vr.isalpha() and vr.isupper()
            (length,) = struct.unpack(
                order + ("H" if explicit else "I"), head[6:8] if explicit else head[4:8]
            )
            return length < 0x10000
    return False


def read(path: Path) -> tuple[Dataset, list[str]]:
    """Read a DICOM file for de-identification, with notes on anything unusual.

    Raises NotDicom for a file that is not DICOM, DeidError for DICOM that cannot be read.
    A gzipped DICOM file is decompressed (and its output written uncompressed, as DICOM
    has no gzip transfer syntax); the report's note says so.
    """
    notes: list[str] = []
    size = path.stat().st_size
    if size == 0:
        raise NotDicom("empty file (0 bytes)")
    source: Path | BytesIO = path
    if sniff(path) == "dicom-gzip":
        data = _gunzip(path)
        source, size = BytesIO(data), len(data)
        notes.append("gzip-compressed DICOM: read decompressed, written as plain DICOM")
    try:
        ds = pydicom.dcmread(source, defer_size=DEFER_SIZE)
    except InvalidDicomError:
        try:
            ds = _read_without_preamble(source)
        except NotDicom as exc:
            if path.name.lower().endswith(DICOM_NAMES):
                # Named as DICOM: the user meant it to go out, so it fails, never skips.
                raise DeidError(f"named as DICOM, but {exc}") from None
            raise
        notes.append("no preamble or DICM prefix: read as a bare dataset")
    except (EOFError, OSError, ValueError, KeyError, TypeError, OverflowError) as exc:
        raise DeidError(f"corrupt or truncated: {from_exception(exc)}") from None
    except Exception as exc:  # pydicom raises assorted errors on damaged files
        raise DeidError(f"corrupt or truncated: {from_exception(exc)}") from None
    if str(ds.file_meta.get("TransferSyntaxUID", "")) == DEFLATED and isinstance(source, Path):
        # Positions in a deflated file are positions in the inflated stream: nothing can be
        # left in the file to copy later, so it is read whole.
        ds = pydicom.dcmread(source)
    check(ds, size)
    if str(ds.file_meta.get("TransferSyntaxUID", "")) == DEFLATED:
        notes.append("deflated transfer syntax: written deflated again, as received")
    return ds, notes


def check(ds: Dataset, size: int) -> None:
    """The checks every dataset read for de-identification passes (by both readers: this
    module's and the header-only path's scanner): an instance, whole, its pixels whole."""
    media_class = str(ds.file_meta.get("MediaStorageSOPClassUID", ""))
    if ds.get("SOPClassUID") is None and media_class == "1.2.840.10008.1.3.10":
        raise NotDicom("DICOMDIR: a media directory, rebuilt when packaging, not copied")
    _check_complete(ds, size)
    if "SOPInstanceUID" not in ds or "SOPClassUID" not in ds:
        raise DeidError("no SOP Class UID or SOP Instance UID: not a composite instance")
    _check_pixel_length(ds)


def _gunzip(path: Path) -> bytes:
    """The decompressed bytes of a gzipped file, or DeidError with the reason."""
    try:
        with gzip.open(path, "rb") as gz:
            data = gz.read(MAX_GUNZIP + 1)
    except EOFError:
        raise DeidError("truncated gzip stream: the file ends inside the compressed data") from None
    except (OSError, zlib.error) as exc:
        raise DeidError(f"corrupt gzip stream: {from_exception(exc, 120)}") from None
    if len(data) > MAX_GUNZIP:
        raise DeidError(f"gzipped DICOM larger than {MAX_GUNZIP >> 20} MiB decompressed")
    return data


def _check_complete(ds: Dataset, size: int) -> None:
    """pydicom stops quietly at a cut; the last element must end where the file ends."""
    tags = list(ds.keys())
    if not tags:
        raise DeidError("no data elements could be read")
    if str(ds.file_meta.get("TransferSyntaxUID", "")) == DEFLATED:
        return  # positions are in the inflated stream, not the file
    raw = ds.get_item(tags[-1], keep_deferred=True)
    tell, length = getattr(raw, "value_tell", None), getattr(raw, "length", None)
    if tell is None or length is None or length == 0xFFFFFFFF:
        return
    end = tell + length
    if end > size or (isinstance(raw.value, bytes) and len(raw.value) < length):
        raise DeidError(f"truncated: the last element {tags[-1]} is cut off")
    if 0 < size - end < 8:
        raise DeidError("truncated: the file ends inside an element header")


def _read_without_preamble(source: Path | BytesIO) -> Dataset:
    if isinstance(source, BytesIO):
        source.seek(0)
    try:
        ds = pydicom.dcmread(source, force=True, defer_size=DEFER_SIZE)
    except Exception as exc:
        raise NotDicom(f"not DICOM ({from_exception(exc)})") from None
    tags = list(ds.keys())
    if not tags or "SOPClassUID" not in ds or tags[0] >> 16 not in (0x0002, 0x0008):
        raise NotDicom("not DICOM: no DICM prefix and no recognisable dataset")
    return ds


def _check_pixel_length(ds: Dataset) -> None:
    """Native pixel data shorter than its header says means a truncated file.

    The expected length is pydicom's own (``get_expected_length``), which knows subsampled
    YBR (4:2:2 and 4:2:0 store fewer bytes than Rows x Columns x 3) and 1-bit packed data.
    """
    if "PixelData" not in ds or ds.file_meta.get("TransferSyntaxUID") is None:
        return
    if ds.file_meta.TransferSyntaxUID.is_compressed:
        return
    check_native_pixel_length(ds)


def check_native_pixel_length(ds: Dataset) -> None:
    """The check above for a dataset known to hold native (uncompressed) Pixel Data."""
    try:
        expected = int(get_expected_length(ds, "bytes"))
    except (AttributeError, TypeError, ValueError, KeyError):
        raise DeidError(
            "image attributes (Rows, Columns, Bits Allocated, Samples per Pixel) missing or invalid"
        ) from None
    raw = ds.get_item("PixelData", keep_deferred=True)
    actual = getattr(raw, "length", None)
    if actual is None or actual == 0xFFFFFFFF:
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
