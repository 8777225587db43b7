"""Walking a folder and reading each file as what it is: DICOM, NIfTI, JSON, TSV or other.

Why verify has its own walker and readers: it must see every file the release holds, hidden
ones and the engine's own journal included, and read them with the field's libraries
(pydicom, nibabel) rather than through the engine that wrote them.
"""

from __future__ import annotations

import io
import json
import os
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pydicom
from pydicom.dataelem import RawDataElement

NIFTI_SUFFIXES = (".nii", ".nii.gz", ".hdr", ".mgz", ".mgh")
DICOM_SUFFIXES = (".dcm", ".dicom", ".ima")


def walk(root: str | Path) -> Iterator[tuple[Path, str]]:
    """Every file under ROOT (or ROOT itself), sorted, with its path relative to ROOT.

    A symbolic link to a file is read as the file it points to: whatever a copy of the
    release would carry is checked."""
    root = Path(root)
    if root.is_file():
        yield root, root.name
        return
    for folder, dirs, names in os.walk(root):
        dirs.sort()
        for name in sorted(names):
            path = Path(folder) / name
            if path.is_file():
                yield path, path.relative_to(root).as_posix()


def kind(path: Path, rel: str) -> str:
    """dicom, nifti, json, tsv or other: by content for DICOM, by name for the rest."""
    low = rel.lower()
    with open(path, "rb") as fh:
        head = fh.read(132)
    if head[128:132] == b"DICM" or low.endswith(DICOM_SUFFIXES):
        return "dicom"
    if low.endswith(NIFTI_SUFFIXES):
        return "nifti"
    if low.endswith(".json"):
        return "json"
    if low.endswith(".tsv"):
        return "tsv"
    return "other"


class Unreadable(Exception):
    """A file that claims a format but cannot be read as it."""


def read_dicom(data: bytes) -> Any:
    """A dataset from a file's bytes, every element decoded on access. Raises Unreadable."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ds = pydicom.dcmread(io.BytesIO(data), force=True)
            if not any(tag >> 16 >= 0x0008 for tag in ds.keys()):  # noqa: SIM118 (tags)
                raise Unreadable("no data set after the file meta information")
            return ds  # elements stay raw until read: their stored bytes are searched too
    except Unreadable:
        raise
    except Exception as exc:  # noqa: BLE001 - pydicom raises many kinds on bad input
        raise Unreadable(type(exc).__name__) from None


def read_nifti(path: Path) -> Any:
    """The header of a NIfTI-1/-2, Analyze or MGH image (nibabel). Raises Unreadable."""
    import nibabel as nib

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return nib.load(str(path)).header
    except Exception as exc:  # noqa: BLE001
        raise Unreadable(type(exc).__name__) from None


def read_json(data: bytes) -> Any:
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise Unreadable("not valid JSON") from None


def read_tsv(data: bytes) -> tuple[list[str], list[list[str]]]:
    """A BIDS table: header and rows of tab-separated UTF-8 text."""
    try:
        lines = data.decode("utf-8").splitlines()
    except UnicodeDecodeError:
        raise Unreadable("not UTF-8 text") from None
    rows = [line.split("\t") for line in lines if line.strip()]
    return (rows[0], rows[1:]) if rows else ([], [])


def nifti_text(header: Any) -> Iterator[tuple[str, str]]:
    """(field, text) of each text field of a NIfTI/Analyze header that holds text."""
    try:
        names = list(header.keys())
    except Exception:  # noqa: BLE001 - MGH headers are not mappings of fields
        return
    for name in names:
        if name == "magic":  # the format's signature ("n+1"), not text anyone wrote
            continue
        try:
            value = header[name]
        except Exception:  # noqa: BLE001
            continue
        if getattr(value, "dtype", None) is not None and value.dtype.kind == "S":
            text = bytes(value.tobytes()).split(b"\x00")[0].decode("latin-1").strip()
            if text:
                yield name, text


def nifti_extensions(header: Any) -> Iterator[tuple[int, bytes]]:
    """(code, raw content) of each header extension."""
    for ext in getattr(header, "extensions", None) or []:
        try:
            yield int(ext.get_code()), bytes(ext.content)
        except Exception:  # noqa: BLE001 - a damaged extension: nothing to read
            continue


def elements(ds: Any, prefix: str = "", tags: tuple[int, ...] = (), depth: int = 0):
    """(path, tags, VR, raw bytes or None, decoded value or None) of every element, nested.

    The raw bytes are the element's value as stored in the file (before pydicom decodes it
    in the dataset's declared character sets); the decoded value is what pydicom makes of
    it. Both are searched: the first finds a value written in a character set the file does
    not declare, the second a value split by ISO 2022 escape sequences.
    """
    for tag in list(ds.keys()):
        try:
            item = ds.get_item(tag)
        except Exception:  # noqa: BLE001 - damaged: the whole-file byte search still sees it
            continue
        raw = item.value if isinstance(item, RawDataElement) else None
        if raw is not None and not isinstance(raw, bytes | bytearray):
            raw = None
        here = (*tags, int(tag))
        path = prefix + f"({int(tag) >> 16:04X},{int(tag) & 0xFFFF:04X})"
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                elem = ds[tag]
                vr, value = elem.VR, elem.value
        except Exception:  # noqa: BLE001 - a value pydicom cannot decode: keep its bytes
            vr, value = "UN", None
        if vr == "SQ" and value is not None:
            if depth < 32:
                for i, sub in enumerate(value):
                    yield from elements(sub, f"{path}[{i}].", here, depth + 1)
            continue
        if isinstance(value, bytes | bytearray):
            raw, value = bytes(value), None
        yield path, here, vr, bytes(raw) if raw is not None else None, value


def strings(value: Any) -> list[str]:
    """The text of a decoded value, one string per value of a multi-valued element."""
    if value is None:
        return []
    if isinstance(value, list | tuple) or type(value).__name__ == "MultiValue":
        return [s for v in value for s in strings(v)]
    if isinstance(value, bytes | bytearray):
        return []
    text = str(value).strip()
    return [text] if text else []
