"""Check a release for residual identifiers, broken references and lost research value.

Why a separate checker: a de-identification tool reports what it did; only an independent
scan of what it wrote shows what is left. ``imgshare verify`` takes the identifying values
from the originals (``--against SRC``: the values of Table E.1-1 attributes and private text
in the source files) or from a corpus answer key (``--answer-key``), and searches every byte
of every output file and every path for them, in the encodings DICOM uses (ASCII and
Latin-1, UTF-8, ISO 2022 for Japanese), ignoring case. A hit inside a DICOM file is placed
at its tag path (through sequences, private blocks, the file meta information); a hit the
parser cannot place is reported at its byte offset. NIfTI files are searched as bytes (header
text fields, extensions) and JSON sidecars by their string values.

It also checks what a release must keep: that UID references resolve within the release,
that one source patient maps to one released ID (and two patients to two), that intervals
between a patient's study dates are kept, and that research attributes keep their values.
Output files are linked to their sources by a hash of their pixel data, which no metadata
tool changes; files without pixels are linked through their study.

The report never prints an identifier: each is masked to its first character, ``***`` and
its length, so the report itself can be shared. Text burned into pixels cannot be read
without OCR; where the answer key says where text was drawn, an unchanged pixel region is a
certain leak and a changed one is reported as not checked.

Exit codes: 0 clean, 1 identifying content found, 2 usage error.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import hashlib
import io
import json
import re
import sys
import warnings
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pydicom
from pydicom.datadict import dictionary_VR, keyword_for_tag
from pydicom.dataelem import DataElement, RawDataElement

STUDY_COMPONENT = "1.2.840.10008.3.1.2.3.1"
FREE_TEXT_VRS = {"LT", "ST", "UT", "UC"}
FREE_TEXT_HINTS = ("Description", "Comment", "History", "Protocol", "Reason", "Label", "Text")
MIN_NEEDLE = 3
PIXEL_TAGS = (0x7FE00010, 0x7FE00008, 0x7FE00009)
#: Where a value can hide; the scorer's table has one row per category, in this order.
CATEGORIES = {
    "attribute": "a standard attribute at the top level (Table E.1-1 and others)",
    "free text": "descriptions, comments, protocol names, history, labels",
    "sequence": "an attribute nested in a sequence (requests, references, SR content)",
    "other-language": "a person name's ideographic or phonetic group (non-Latin)",
    "private": "a private element (known or unknown creator, text, binary or UN)",
    "file meta": "the file meta information (group 0002)",
    "overlay": "an overlay plane (group 60xx)",
    "uid": "an original UID (instance, series, study, frame of reference)",
    "path": "a file or folder name",
    "pixels": "text burned into the pixel data",
    "unparsed bytes": "bytes of a DICOM file the parser did not place",
    "nifti header": "a NIfTI header field or extension",
    "json": "a string value in a JSON sidecar",
    "other file": "a file that is neither DICOM, NIfTI nor JSON",
}


def long_enough(value: str) -> bool:
    """Three characters, or two outside ASCII (a Japanese family name is often two)."""
    value = value.strip()
    return len(value) >= MIN_NEEDLE or (len(value) >= 2 and not value.isascii())


def mask(value: str) -> str:
    """An identifier as its first character, ``***`` and its length: safe to print."""
    value = str(value)
    return f"{value[:1]}***({len(value)})" if value else "***(0)"


@dataclass(frozen=True)
class Finding:
    """One identifying value found in the release. ``value`` is never printed."""

    file: str
    location: str
    category: str
    kind: str
    value: str = field(repr=False)

    def public(self, needles: Needles | None = None) -> dict[str, str]:
        """The finding as it may be shown: value masked, identifiers in the path masked."""
        file = needles.mask_text(self.file) if needles else self.file
        return {
            "file": file,
            "location": self.location,
            "category": self.category,
            "kind": self.kind,
            "value": mask(self.value),
        }


# --- the search ----------------------------------------------------------------------------


def _variants(value: str) -> set[bytes]:
    """The byte forms a value takes in files: each DICOM character set, lower-cased."""
    out = set()
    for codec in ("ascii", "latin-1", "utf-8", "iso2022_jp"):
        try:
            raw = value.encode(codec)
        except UnicodeEncodeError:
            continue
        if codec == "iso2022_jp" and raw.endswith(b"\x1b(B"):
            raw = raw[:-3]  # the switch back to ASCII may come later, after more text
        out.add(raw.lower())
    return {v for v in out if len(v) >= MIN_NEEDLE}  # bytes: two kanji are 4 to 8


def _trie(words: Iterable[bytes]) -> bytes:
    """One regular expression for many words, as a trie: fast for thousands of values."""
    root: dict[Any, Any] = {}
    for word in words:
        node = root
        for byte in word:
            node = node.setdefault(byte, {})
        node[None] = True

    def build(node: dict[Any, Any]) -> bytes:
        keys = sorted(k for k in node if k is not None)
        if not keys:
            return b""
        alts = [re.escape(bytes([k])) + build(node[k]) for k in keys]
        body = alts[0] if len(alts) == 1 else b"(?:" + b"|".join(alts) + b")"
        if None in node:
            return b"(?:" + body + b")?"
        return body

    return build(root)


_ALNUM = rb"a-z0-9\x80-\xff"


class Needles:
    """Identifying values and their kinds, compiled for searching bytes."""

    def __init__(self, pairs: dict[str, str]) -> None:
        self.kinds = {v: k for v, k in pairs.items() if long_enough(v)}
        self.by_bytes: dict[bytes, str] = {}
        for value in sorted(self.kinds, key=len, reverse=True):
            for raw in _variants(value):
                self.by_bytes.setdefault(raw, value)
        bounded = [w for w in self.by_bytes if w[:1].isalnum() and w[-1:].isalnum()]
        free = [w for w in self.by_bytes if w not in set(bounded)]
        self._bounded = (
            re.compile(rb"(?<![" + _ALNUM + rb"])" + _trie(bounded) + rb"(?![" + _ALNUM + rb"])")
            if bounded
            else None
        )
        self._free = re.compile(_trie(free)) if free else None

    @classmethod
    def from_pairs(cls, pairs: Iterable[tuple[str, str]]) -> Needles:
        out: dict[str, str] = {}
        for value, kind in pairs:
            out.setdefault(str(value).strip(), kind)
        return cls(out)

    def __len__(self) -> int:
        return len(self.kinds)

    def find(self, data: bytes) -> list[tuple[int, str]]:
        """(offset, value) of every identifying value in ``data``, ignoring ASCII case."""
        low = data.lower()
        hits = []
        for pattern in (self._bounded, self._free):
            if pattern is not None:
                hits += [(m.start(), self.by_bytes[m.group()]) for m in pattern.finditer(low)]
        return sorted(hits)

    def mask_text(self, text: str) -> str:
        """A path or name with every identifying value in it masked."""
        raw = text.encode("utf-8", "replace")
        for offset, value in sorted(self.find(raw), reverse=True):
            length = len(next(v for v in _variants(value) if raw.lower().find(v, offset) == offset))
            raw = raw[:offset] + mask(value).encode() + raw[offset + length :]
        return raw.decode("utf-8", "replace")


# --- scanning files ------------------------------------------------------------------------


def walk_files(root: str | Path) -> Iterator[tuple[Path, str]]:
    """Every regular file under ROOT in a fixed order, with its path relative to ROOT."""
    from imgshare.batch import find_files

    return find_files(Path(root))


def scan_file(path: Path, rel: str, needles: Needles) -> list[Finding]:
    """Every identifying value in one file's path and bytes, placed where it was found."""
    found = [
        Finding(rel, "path", "path", needles.kinds[v], v)
        for v in dict.fromkeys(v for _, v in needles.find(rel.encode("utf-8")))
    ]
    data = path.read_bytes()
    if data[128:132] == b"DICM":
        found += _scan_dicom(data, rel, needles)
    elif rel.endswith((".nii", ".nii.gz")):
        found += _scan_nifti(data, rel, needles)
    elif rel.endswith(".json"):
        found += _scan_json(data, rel, needles)
    else:
        found += [
            Finding(rel, f"byte {o}", "other file", needles.kinds[v], v)
            for o, v in needles.find(data)
        ]
    return found


def _category(tags: list[int], vr: str, keyword: str, value: str) -> str:
    groups = [t >> 16 for t in tags]
    if any(g == 0x0002 for g in groups):
        return "file meta"
    if any(g & 0xFF00 == 0x6000 for g in groups):
        return "overlay"
    if any(g % 2 == 1 for g in groups):
        return "private"
    if tags[-1] in (0x7FE00010, 0x7FE00008, 0x7FE00009):
        return "pixels"
    if vr == "UI":
        return "uid"
    if vr in FREE_TEXT_VRS or any(h in keyword for h in FREE_TEXT_HINTS):
        return "free text"
    if len(tags) > 1:
        return "sequence"
    if not value.isascii():
        return "other-language"
    return "attribute"


def _tag_text(tag: int) -> str:
    return f"({tag >> 16:04X},{tag & 0xFFFF:04X})"


def _elements(ds: Any, prefix: str = "", tags: tuple[int, ...] = (), depth: int = 0):
    """(path, tags, vr, raw bytes) for every element, raw where pydicom has not parsed it."""
    for tag in list(ds.keys()):
        try:
            item = ds.get_item(tag)
        except Exception:  # noqa: BLE001 - a damaged element: its bytes are still searched
            continue
        vr = getattr(item, "VR", None)
        if vr is None:
            try:
                vr = dictionary_VR(tag)
            except KeyError:
                vr = "UN"
        path = prefix + _tag_text(int(tag))
        here = (*tags, int(tag))
        if vr == "SQ" and depth < 64:
            try:
                items = ds[tag].value
            except Exception:  # noqa: BLE001
                continue
            for i, sub in enumerate(items or []):
                yield from _elements(sub, f"{path}[{i}].", here, depth + 1)
            continue
        if isinstance(item, RawDataElement):
            raw = item.value or b""
        elif isinstance(item, DataElement):
            value = item.value
            if isinstance(value, bytes):
                raw = value
            elif value is None:
                raw = b""
            elif isinstance(value, list | tuple) or type(value).__name__ == "MultiValue":
                raw = "\\".join(str(v) for v in value).encode("utf-8", "replace")
            else:
                raw = str(value).encode("utf-8", "replace")
        else:
            continue
        yield path, here, vr, raw if isinstance(raw, bytes) else bytes(raw)


def _scan_dicom(data: bytes, rel: str, needles: Needles) -> list[Finding]:
    everywhere = needles.find(data)
    if not everywhere:
        return []
    found: list[Finding] = []
    placed: set[str] = set()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ds = pydicom.dcmread(io.BytesIO(data), force=True)
            datasets = [("", ds.file_meta), ("", ds)]
            for prefix, item in datasets:
                for path, tags, vr, raw in _elements(item, prefix):
                    hits = dict.fromkeys(v for _, v in needles.find(raw))
                    if tags[-1] in PIXEL_TAGS:
                        # random pixel bytes match short values by chance; burned-in text is
                        # checked by its pixel region instead
                        placed.update(hits)
                        hits = {v: None for v in hits if len(v.encode()) >= 8}
                    for value in hits:
                        keyword = keyword_for_tag(tags[-1]) or ""
                        category = _category(list(tags), vr, keyword, value)
                        found.append(Finding(rel, path, category, needles.kinds[value], value))
                        placed.add(value)
    except Exception:  # noqa: BLE001 - unreadable: every hit is reported by offset
        pass
    for offset, value in everywhere:
        if value not in placed:
            found.append(
                Finding(rel, f"byte {offset}", "unparsed bytes", needles.kinds[value], value)
            )
            placed.add(value)
    return found


def _scan_nifti(data: bytes, rel: str, needles: Needles) -> list[Finding]:
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    header = 540 if data[:4] in (b"\x1c\x02\x00\x00", b"\x00\x00\x02\x1c") else 348
    try:
        import struct

        offset_field = 168 if header == 540 else 108
        fmt = "<d" if header == 540 else "<f"
        vox = int(struct.unpack_from(fmt, data, offset_field)[0]) or header + 4
    except Exception:  # noqa: BLE001
        vox = header + 4
    found = []
    for offset, value in needles.find(data):
        where = "header" if offset < header else "extension" if offset < vox else "voxels"
        category = "pixels" if where == "voxels" else "nifti header"
        found.append(Finding(rel, f"{where} byte {offset}", category, needles.kinds[value], value))
    return found


def _scan_json(data: bytes, rel: str, needles: Needles) -> list[Finding]:
    try:
        doc = json.loads(data)
    except ValueError:
        return [
            Finding(rel, f"byte {o}", "json", needles.kinds[v], v) for o, v in needles.find(data)
        ]
    found = []

    def visit(node: Any, where: str) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                visit(str(k), f"{where}.{k}#key")
                visit(v, f"{where}.{k}")
        elif isinstance(node, list):
            for i, v in enumerate(node):
                visit(v, f"{where}[{i}]")
        elif isinstance(node, str):
            for value in dict.fromkeys(v for _, v in needles.find(node.encode("utf-8"))):
                found.append(Finding(rel, where, "json", needles.kinds[value], value))

    visit(doc, "$")
    return found


# --- identifying values from the originals ------------------------------------------------


SKIP_VRS = {"CS", "TM", "AS", "DS", "IS", "US", "SS", "UL", "SL", "FL", "FD", "SQ", "AT"}
SKIP_VRS |= {"OB", "OW", "OF", "OD", "OL", "OV", "UN", "UV", "SV"}
META_TEXT = {0x00020016: "device", 0x00020017: "device", 0x00020018: "device"}


def needles_from_source(src: str | Path) -> dict[str, str]:
    """Identifying values of the source files: Table E.1-1 values and private text.

    Quasi-identifiers that the Retain Patient Characteristics option keeps (sex, age, size,
    weight) and descriptions (cleaned, not removed) are not searched for as whole values;
    the names, IDs and dates inside descriptions are, since they come from other attributes.
    """
    from imgshare import profile

    out: dict[str, str] = {}

    def add(value: str, kind: str) -> None:
        value = value.strip()
        if long_enough(value) and value not in out:
            out[value] = kind

    for path, _ in walk_files(src):
        ds = _read(path)
        if ds is None:
            continue
        for tag, kind in META_TEXT.items():
            if tag in ds.file_meta:
                add(str(ds.file_meta[tag].value), kind)
        for elem in ds.iterall():
            tag = int(elem.tag)
            if elem.VR in SKIP_VRS or elem.value in (None, "", b""):
                continue
            values = elem.value if elem.VM > 1 else [elem.value]
            if elem.tag.is_private:
                if (
                    elem.VR in ("LO", "SH", "LT", "ST", "UT", "PN", "UC")
                    and elem.tag.element > 0xFF
                ):
                    for v in values:
                        add(str(v), "private text")
                continue
            row = profile.row_for(tag)
            if row is None or row.basic == "K":
                continue
            if "retain-patient-characteristics" in row.options:
                continue
            if elem.VR == "UI":
                for v in values:
                    add(str(v), "uid")
            elif elem.VR == "PN":
                for v in values:
                    _add_name(str(v), add)
            elif elem.VR in ("DA", "DT"):
                for v in values:
                    _add_date(str(v), add)
            elif "clean-descriptors" not in row.options:
                for v in values:
                    add(str(v), "id" if elem.VR in ("SH", "LO") else "text")
    return out


def _add_name(name: str, add: Any) -> None:
    add(name, "name")
    for group in name.split("="):
        for part in group.split("^"):
            add(part, "name")


def _add_date(value: str, add: Any) -> None:
    add(value, "date")
    try:
        d = dt.datetime.strptime(value.strip()[:8], "%Y%m%d").date()
    except ValueError:
        return
    for form in (f"{d:%d/%m/%Y}", f"{d:%Y-%m-%d}", f"{d:%d.%m.%Y}"):
        add(form, "date")


def _read(path: Path) -> Any:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return pydicom.dcmread(path)
    except Exception:  # noqa: BLE001 - not DICOM: nothing to take values from
        return None


# --- the release's structure: links, references, consistency --------------------------------


def _index(path: Path, rel: str) -> dict[str, Any] | None:
    """What the consistency checks need from one DICOM file."""
    ds = _read(path)
    if ds is None or not any(k in ds for k in ("SOPInstanceUID", "SOPClassUID", "PixelData")):
        return None
    pixels = ds.get("PixelData")
    from imgshare.corpus import RESEARCH_CANDIDATES

    return {
        "file": rel,
        "patient_id": str(ds.get("PatientID", "") or ""),
        "study": str(ds.get("StudyInstanceUID", "") or ""),
        "date": str(ds.get("StudyDate", "") or ""),
        "modality": str(ds.get("Modality", "") or ""),
        "pixel_sha256": hashlib.sha256(pixels).hexdigest() if pixels else None,
        "values": {k: _plain(ds[k].value) for k in RESEARCH_CANDIDATES if k in ds},
        "valid": "SOPInstanceUID" in ds and "SOPClassUID" in ds and "StudyInstanceUID" in ds,
        "burned_in": str(ds.get("BurnedInAnnotation", "") or "").upper() == "YES",
        "refs": list(_references(ds)),
        "targets": _targets(ds),
    }


def _plain(value: Any) -> Any:
    from imgshare.corpus import _plain as plain

    return plain(value)


def _targets(ds: Any) -> dict[str, str]:
    keys = {"sop": "SOPInstanceUID", "series": "SeriesInstanceUID", "study": "StudyInstanceUID"}
    out = {k: str(ds.get(v, "") or "") for k, v in keys.items()}
    out["frame"] = str(ds.get("FrameOfReferenceUID", "") or "")
    return out


def _references(ds: Any, depth: int = 0) -> Iterator[tuple[str, str]]:
    """(target kind, UID) of each reference to another instance, series, study or frame."""
    for elem in ds:
        if elem.VR == "SQ":
            for item in elem.value:
                yield from _references(item, depth + 1)
            continue
        if depth == 0 or elem.VR != "UI" or not elem.value:
            continue
        word = elem.keyword
        if word == "ReferencedSOPInstanceUID":
            kind = "study" if str(ds.get("ReferencedSOPClassUID", "")) == STUDY_COMPONENT else "sop"
            yield kind, str(elem.value)
        elif word == "StudyInstanceUID":
            yield "study", str(elem.value)
        elif word == "SeriesInstanceUID":
            yield "series", str(elem.value)
        elif word in ("FrameOfReferenceUID", "ReferencedFrameOfReferenceUID"):
            yield "frame", str(elem.value)


def reference_check(index: list[dict[str, Any]]) -> tuple[int, int]:
    """(references that resolve within the set, all references) over indexed files."""
    targets: dict[str, set[str]] = defaultdict(set)
    for f in index:
        for kind, uid in f["targets"].items():
            if uid:
                targets[kind].add(uid)
    total = resolved = 0
    for f in index:
        for kind, uid in f["refs"]:
            total += 1
            resolved += uid in targets[kind]
    return resolved, total


def count_references(path: Path) -> int:
    """References in one file (the corpus key counts them; all resolve within the corpus)."""
    entry = _index(path, path.name)
    return len(entry["refs"]) if entry else 0


@dataclass
class Check:
    """One consistency or retention check: passed of total, and why any failed."""

    name: str
    passed: int = 0
    total: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.passed == self.total


@dataclass
class Result:
    """Everything verify found. ``findings`` hold values; use ``to_json`` to share."""

    findings: list[Finding]
    checks: dict[str, Check]
    not_checked: list[str]
    files: int
    needles: Needles | None = None

    @property
    def clean(self) -> bool:
        return not self.findings

    def to_json(self) -> dict[str, Any]:
        return {
            "files": self.files,
            "findings": [f.public(self.needles) for f in self.findings],
            "leaks_by_category": dict(Counter(f.category for f in self.findings)),
            "identifiers_searched": len(self.needles) if self.needles else 0,
            "checks": {k: asdict(c) for k, c in self.checks.items()},
            "not_checked": self.not_checked,
            "clean": self.clean,
        }

    def text(self) -> str:
        lines = [
            f"imgshare verify: {self.files} file(s), "
            f"{len(self.needles) if self.needles else 0} identifying value(s) searched",
        ]
        if self.findings:
            lines.append(f"FOUND {len(self.findings)} identifying value(s):")
            for f in self.findings:
                p = f.public(self.needles)
                lines.append(
                    f"  {p['file']}: {p['location']} [{p['category']}, {p['kind']}] {p['value']}"
                )
        else:
            lines.append("no identifying values found")
        for c in self.checks.values():
            lines.append(f"{c.name}: {c.passed} of {c.total}{'' if c.ok else '  FAILED'}")
            lines += [f"  {n}" for n in c.notes[:10]]
        lines += [f"not checked: {n}" for n in self.not_checked]
        return "\n".join(lines) + "\n"


def verify(
    release: str | Path,
    against: str | Path | None = None,
    answer_key: str | Path | dict[str, Any] | None = None,
) -> Result:
    """Scan a release; compare it with its source (SRC) or a corpus answer key, or both."""
    release = Path(release)
    pairs: dict[str, str] = {}
    key: dict[str, Any] | None = None
    if answer_key is not None:
        key = (
            answer_key if isinstance(answer_key, dict) else json.loads(Path(answer_key).read_text())
        )
        pairs.update({i["value"]: i["kind"] for i in key["identifiers"]})
    source_index: list[dict[str, Any]] = []
    if against is not None:
        pairs.update(needles_from_source(against))
        source_index = [e for p, r in walk_files(against) if (e := _index(p, r))]
    needles = Needles(pairs)
    findings: list[Finding] = []
    files = list(walk_files(release))
    for path, rel in files:
        findings += scan_file(path, rel, needles)
    out_index = [e for p, r in files if (e := _index(p, r))]
    not_checked: list[str] = []
    if key is not None:
        findings += _pixel_text(key, files, not_checked)
        sources = key["files"]
        patients = key["patients"]
        expected_refs = key["references"]
    else:
        sources = [
            {
                "file": e["file"],
                "patient": e["patient_id"],
                "study": e["study"],
                "modality": e["modality"],
                "pixel_sha256": e["pixel_sha256"],
                "research": e["values"],
            }
            for e in source_index
        ]
        patients = _patients_from_index(source_index)
        expected_refs = reference_check(source_index)[0]
        burned = [e["file"] for e in source_index if e["burned_in"]]
        if burned:
            not_checked.append(
                f"pixels: {len(burned)} source file(s) declare burned-in annotation; "
                "text in pixels needs OCR"
            )
    dicom_files = sum(_is_dicom(p) for p, _ in files)
    checks = _checks(sources, patients, expected_refs, out_index, dicom_files) if sources else {}
    return Result(findings, checks, not_checked, len(files), needles)


def _is_dicom(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(132)[128:] == b"DICM"


def _patients_from_index(index: list[dict[str, Any]]) -> list[dict[str, Any]]:
    studies: dict[str, dict[str, str]] = defaultdict(dict)
    for e in index:
        if e["study"] and e["date"]:
            studies[e["patient_id"]][e["study"]] = e["date"]
    out = []
    for patient, by_study in studies.items():
        ordered = sorted(by_study.items(), key=lambda kv: kv[1])
        days = [_days(a[1], b[1]) for a, b in zip(ordered, ordered[1:], strict=False)]
        out.append(
            {
                "patient": patient,
                "studies": [{"study": s, "date": d} for s, d in ordered],
                "intervals_days": days,
            }
        )
    return out


def _days(a: str, b: str) -> int | None:
    try:
        da = dt.datetime.strptime(a[:8], "%Y%m%d")
        db = dt.datetime.strptime(b[:8], "%Y%m%d")
    except ValueError:
        return None
    return (db - da).days


def _pixel_text(
    key: dict[str, Any], files: list[tuple[Path, str]], notes: list[str]
) -> list[Finding]:
    """Burned-in text: a pixel region left byte for byte as it was is a certain leak."""
    found: list[Finding] = []
    unchecked = 0
    entries = key.get("pixel_text", [])
    shapes = {tuple(e["image"]) for e in entries}
    regions: dict[str, str] = {}  # region hash -> released file (each file read once)
    for path, rel in files if entries else []:
        ds = _read(path)
        if ds is None or "PixelData" not in ds:
            continue
        shape = (ds.get("Rows"), ds.get("Columns"), ds.get("BitsAllocated"))
        if shape not in shapes:
            continue
        for e in entries:
            if tuple(e["image"]) == shape:
                r0, r1 = e["rows"]
                width = shape[1] * shape[2] // 8
                digest = hashlib.sha256(ds.PixelData[r0 * width : r1 * width]).hexdigest()
                regions.setdefault(digest, rel)
    for entry in entries:
        r0, r1 = entry["rows"]
        hit = regions.get(entry["region_sha256"])
        if hit is not None:
            kinds = "+".join(entry.get("text_kinds", ["text"]))
            found.append(Finding(hit, f"pixels rows {r0}-{r1}", "pixels", kinds, "burned-in text"))
        else:
            unchecked += 1
    if unchecked:
        notes.append(
            f"pixels: {unchecked} burned-in text region(s) changed; whether text remains needs OCR"
        )
    return found


def _checks(
    sources: list[dict[str, Any]],
    patients: list[dict[str, Any]],
    expected_refs: int,
    out: list[dict[str, Any]],
    dicom_files: int = 0,
) -> dict[str, Check]:
    by_pixels = {s["pixel_sha256"]: s for s in sources if s["pixel_sha256"]}
    link: dict[str, dict[str, Any]] = {}
    for o in out:
        if o["pixel_sha256"] in by_pixels:
            link[o["file"]] = by_pixels[o["pixel_sha256"]]
    # files without pixels: through the released study that holds linked files
    study_of: dict[str, Counter[str]] = defaultdict(Counter)
    for o in out:
        if o["file"] in link:
            study_of[o["study"]][link[o["file"]]["study"]] += 1
    for o in out:
        if o["file"] in link or not study_of.get(o["study"]):
            continue
        src_study = study_of[o["study"]].most_common(1)[0][0]
        candidates = [
            s
            for s in sources
            if s["study"] == src_study and s["modality"] == o["modality"] and not s["pixel_sha256"]
        ]
        if len(candidates) == 1:
            link[o["file"]] = candidates[0]
    checks: dict[str, Check] = {}

    c = checks["files released"] = Check("source files with a released file")
    linked_sources = {s["file"] for s in link.values()}
    c.total, c.passed = len(sources), len(linked_sources)
    if c.passed < c.total:
        c.notes.append(f"{c.total - c.passed} source file(s) missing or not recognisable")

    c = checks["valid"] = Check("released files that are still DICOM instances (UIDs present)")
    c.total, c.passed = max(dicom_files, len(out)), sum(o["valid"] for o in out)

    c = checks["pseudonyms"] = Check("patients with one released ID (and not shared)")
    released: dict[str, set[str]] = defaultdict(set)
    for o in out:
        if o["file"] in link:
            released[link[o["file"]]["patient"]].add(o["patient_id"])
    owners = Counter(next(iter(ids)) for ids in released.values() if len(ids) == 1)
    c.total = len({s["patient"] for s in sources})
    for patient, ids in released.items():
        ok = len(ids) == 1 and "" not in ids and owners[next(iter(ids))] == 1
        c.passed += ok
        if not ok:
            c.notes.append(
                f"{patient}: {len(ids)} released ID(s)" + (" (one is empty)" if "" in ids else "")
            )

    c = checks["intervals"] = Check("intervals between a patient's studies kept")
    released_date: dict[str, set[str]] = defaultdict(set)
    for o in out:
        if o["file"] in link:
            released_date[link[o["file"]]["study"]].add(o["date"])
    for p in patients:
        studies = p["studies"]
        for (a, b), days in zip(
            zip(studies, studies[1:], strict=False), p["intervals_days"], strict=False
        ):
            c.total += 1
            da, db = released_date.get(a["study"], set()), released_date.get(b["study"], set())
            if len(da) == 1 and len(db) == 1 and _days(next(iter(da)), next(iter(db))) == days:
                c.passed += 1
            else:
                c.notes.append(
                    f"{p['patient']}: interval not kept (released dates {len(da)}/{len(db)})"
                )

    resolved, found_refs = reference_check(out)
    c = checks["references"] = Check("references that resolve within the release (not broken)")
    c.total, c.passed = found_refs, resolved
    if resolved < found_refs:
        c.notes.append(f"{found_refs - resolved} reference(s) point outside the release")
    c = checks["references kept"] = Check("references of the source still in the release")
    c.total, c.passed = expected_refs, min(found_refs, expected_refs)
    if found_refs < expected_refs:
        c.notes.append(f"{expected_refs - found_refs} reference(s) removed")

    c = checks["research"] = Check("research attribute values kept")
    for o in out:
        src = link.get(o["file"])
        if src is None:
            continue
        for keyword, value in src["research"].items():
            c.total += 1
            if _same(o["values"].get(keyword), value):
                c.passed += 1
            else:
                c.notes.append(f"{o['modality']} {keyword} changed or removed")
    c.notes = sorted(Counter(c.notes).keys())[:20] if c.notes else []
    return checks


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    try:
        return abs(float(a) - float(b)) < 1e-6
    except (TypeError, ValueError):
        return str(a).strip() == str(b).strip()


# --- the command line ---------------------------------------------------------------------


def build_parser(parser: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    p = parser or argparse.ArgumentParser(prog="imgshare verify")
    p.add_argument("release", type=Path, metavar="DIR", help="the de-identified release")
    p.add_argument("--against", type=Path, metavar="SRC", help="the original files")
    p.add_argument("--answer-key", type=Path, metavar="KEY.json", help="a corpus answer key")
    p.add_argument("--report", type=Path, metavar="FILE", help="write the JSON report here")
    return p


def run(args: argparse.Namespace) -> int:
    """Exit 0 clean, 1 identifying content found, 2 usage error."""
    if not args.release.exists():
        print(f"imgshare verify: error: {args.release} does not exist", file=sys.stderr)
        return 2
    if args.against is None and args.answer_key is None:
        print("imgshare verify: error: give --against SRC or --answer-key KEY", file=sys.stderr)
        return 2
    for p in (args.against, args.answer_key):
        if p is not None and not p.exists():
            print(f"imgshare verify: error: {p} does not exist", file=sys.stderr)
            return 2
    result = verify(args.release, args.against, args.answer_key)
    print(result.text(), end="")
    if args.report:
        args.report.parent.mkdir(parents=True, exist_ok=True)
        args.report.write_text(json.dumps(result.to_json(), indent=1, ensure_ascii=False) + "\n")
    return 1 if result.findings else 0


def main(argv: list[str] | None = None) -> int:
    return run(build_parser().parse_args(argv))


__all__ = ["verify", "Result", "Finding", "Needles", "mask", "scan_file", "main", "CATEGORIES"]


if __name__ == "__main__":
    sys.exit(main())
