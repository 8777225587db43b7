"""Searching a release for identifying values: decoded values first, then every byte.

Why both: a value is found as text where the file can be decoded (each DICOM element in the
character sets the output declares, NIfTI text fields, JSON strings, TSV cells, paths) and
placed at its tag path or field; then the file's raw bytes are searched for the value in
every encoding PS3.3 C.12.1.1.2 allows, which finds what the parser could not place (the
preamble, a value written in an undeclared character set, a damaged element). Case is
ignored; how a value is matched is ``match``'s business.

A hit is not a finding when the released file declares an option under which Table E.1-1
keeps every attribute the value came from (see ``standard.allowed``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydicom.datadict import keyword_for_tag

from imgshare.verify import files, standard
from imgshare.verify.match import Matcher

PIXEL_TAGS = (0x7FE00010, 0x7FE00008, 0x7FE00009)
#: Specific Character Set: Defined Terms ("ISO_IR 100"), not text anyone wrote.
CHARSET = 0x00080005
#: Attributes that hold codes (Code Value, Coding Scheme Designator and Version, Context
#: Identifier, Mapping Resource, Long and URN Code Value), like a CS value.
CODE_TAGS = {0x00080100, 0x00080102, 0x00080103, 0x0008010F, 0x00080105, 0x00080119, 0x00080120}
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
    "table": "a cell of a BIDS table (TSV)",
    "other file": "a file that is neither DICOM, NIfTI, JSON nor TSV",
}
FREE_TEXT_VRS = {"LT", "ST", "UT", "UC"}
FREE_TEXT_HINTS = ("Description", "Comment", "History", "Protocol", "Reason", "Label", "Text")


@dataclass(frozen=True)
class Finding:
    """One identifying value found in the release. ``value`` is never printed."""

    file: str
    location: str
    category: str
    kind: str
    value: str = field(repr=False)


# --- scanning one released file


@dataclass
class Scanned:
    """What one released file holds: findings, and whether it could be read as its kind."""

    findings: list[Finding] = field(default_factory=list)
    unreadable: str | None = None
    kind: str = "other"
    dataset: Any = None  # a DICOM file's dataset, for the checks (read once)


def scan_file(path: Path, rel: str, matcher: Matcher) -> Scanned:
    """Every identifying value in one file's path and content, placed where it was found."""
    out = Scanned(kind=files.kind(path, rel))
    seen = set()
    for _, _, value in matcher.in_text(rel):
        if value not in seen and not _allowed(matcher, value, frozenset()):
            out.findings.append(Finding(rel, "path", "path", matcher.values[value].kind, value))
            seen.add(value)
    data = path.read_bytes()
    reader = {"nifti": _nifti, "json": _json, "tsv": _tsv}.get(out.kind, _other)
    try:
        if out.kind == "dicom":
            out.dataset = files.read_dicom(data)
            out.findings += _dicom(out.dataset, data, rel, matcher)
        else:
            out.findings += reader(path, data, rel, matcher)
    except files.Unreadable as exc:
        out.unreadable = str(exc)
        out.findings += _other(path, data, rel, matcher, "unparsed bytes")
    return out


def _allowed(
    matcher: Matcher, value: str, columns: frozenset[str], tags: tuple[int, ...] = (), vr: str = ""
) -> bool:
    """Is a hit no finding? Anywhere, if every attribute the value came from may keep it.

    At a tag path (TAGS), also when the attribute it was found in held it in the source too
    and the declared options keep that attribute (or clean it): a description kept under Clean
    Descriptors that repeats a private note, a vendor's name in Manufacturer that is also an
    institution's name. A name, date or UID stays a finding there unless the attribute is a
    code (a Defined Term such as an Image Type of PERFUSION, which is also a phantom's name).
    """
    v = matcher.values[value]
    if standard.allowed(frozenset(v.origins), v.kind, columns):
        return True
    if not tags:
        return False
    tag, low = tags[-1], value.lower()
    if not any(low in text for text in matcher.values.held.get(tag, ())):
        return False
    kept = standard.action(tag, columns) in ("K", "C")
    if vr == "CS" or tag in CODE_TAGS:
        return kept
    return kept and v.kind not in ("name", "date", "uid")


def _not_by_chance(value: str) -> bool:
    """In pixel bytes, only a long value with a letter in it is text someone put there."""
    return len(value.encode()) >= 12 and any(c.isalpha() for c in value)


def _finding(matcher: Matcher, rel: str, where: str, category: str, value: str) -> Finding:
    return Finding(rel, where, category, matcher.values[value].kind, value)


def category(tags: tuple[int, ...], vr: str, value: str) -> str:
    """The hiding place of a value found at a tag path."""
    groups = [t >> 16 for t in tags]
    keyword = keyword_for_tag(tags[-1]) or ""
    if any(g == 0x0002 for g in groups):
        return "file meta"
    if any(g % 2 == 1 for g in groups):
        return "private"  # a private group 6001 too: it is no overlay plane
    if any(g & 0xFF00 == 0x6000 for g in groups):
        return "overlay"
    if tags[-1] in PIXEL_TAGS:
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


def _dicom(ds: Any, data: bytes, rel: str, matcher: Matcher) -> list[Finding]:
    everywhere = matcher.in_bytes(data)
    columns = standard.declared(ds) or frozenset()
    found: list[Finding] = []
    placed: set[str] = set()
    for dataset in (getattr(ds, "file_meta", None), ds):
        for where, tags, vr, raw, value in files.elements(dataset) if dataset is not None else []:
            hits = {v: None for text in files.strings(value) for _, _, v in matcher.in_text(text)}
            if raw:
                byte_hits = {v: None for _, v in matcher.in_bytes(raw)}
                if tags[-1] in PIXEL_TAGS:
                    # pixel bytes match short or numeric values by chance; burned-in text is
                    # judged by its pixel region (answer key) or by OCR instead
                    placed.update(byte_hits)
                    byte_hits = {v: None for v in byte_hits if _not_by_chance(v)}
                hits.update(byte_hits)
            for value_hit in hits:
                placed.add(value_hit)
                if tags[-1] == CHARSET or _allowed(matcher, value_hit, columns, tags, vr):
                    continue
                where_cat = category(tags, vr, value_hit)
                found.append(_finding(matcher, rel, where, where_cat, value_hit))
    for offset, value in everywhere:
        if value not in placed and not _allowed(matcher, value, columns):
            found.append(_finding(matcher, rel, f"byte {offset}", "unparsed bytes", value))
            placed.add(value)
    return found


def _nifti(path: Path, data: bytes, rel: str, matcher: Matcher) -> list[Finding]:
    header = files.read_nifti(path)
    found = []
    for name, text in files.nifti_text(header):
        for value in dict.fromkeys(v for _, _, v in matcher.in_text(text)):
            found.append(_finding(matcher, rel, f"header {name}", "nifti header", value))
    for i, (code, raw) in enumerate(files.nifti_extensions(header)):
        hits = dict.fromkeys(v for _, v in matcher.in_bytes(raw))
        hits.update(dict.fromkeys(v for _, _, v in matcher.in_text(raw.decode("utf-8", "replace"))))
        for value in hits:
            found.append(
                _finding(matcher, rel, f"extension {i} (code {code})", "nifti header", value)
            )
    return found


def _json(path: Path, data: bytes, rel: str, matcher: Matcher) -> list[Finding]:
    doc = files.read_json(data)
    found: list[Finding] = []

    def visit(node: Any, where: str) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                visit(str(k), f"{where}.{k}#key")
                visit(v, f"{where}.{k}")
        elif isinstance(node, list):
            for i, v in enumerate(node):
                visit(v, f"{where}[{i}]")
        elif isinstance(node, str):
            for value in dict.fromkeys(v for _, _, v in matcher.in_text(node)):
                found.append(_finding(matcher, rel, where, "json", value))

    visit(doc, "$")
    return found


def _tsv(path: Path, data: bytes, rel: str, matcher: Matcher) -> list[Finding]:
    header, rows = files.read_tsv(data)
    found = []
    for r, row in enumerate([header, *rows]):
        for c, cell in enumerate(row):
            column = header[c] if c < len(header) else f"column {c + 1}"
            for value in dict.fromkeys(v for _, _, v in matcher.in_text(cell)):
                where = "header" if r == 0 else f"row {r} column {column}"
                found.append(_finding(matcher, rel, where, "table", value))
    return found


def _other(
    path: Path, data: bytes, rel: str, matcher: Matcher, cat: str = "other file"
) -> list[Finding]:
    hits = {v: o for o, v in reversed(matcher.in_bytes(data))}
    return [_finding(matcher, rel, f"byte {o}", cat, v) for v, o in hits.items()]


# --- burned-in text where the answer key says it was drawn -----------------------------------


def pixel_text(
    key: dict[str, Any], outputs: list[tuple[Path, str]], notes: list[str]
) -> list[Finding]:
    """A pixel region left byte for byte as it was holds its text still: a certain leak."""
    entries = key.get("pixel_text", [])
    shapes = {tuple(e["image"]) for e in entries}
    regions: dict[str, str] = {}
    for path, rel in outputs if entries else []:
        try:
            ds = files.read_dicom(path.read_bytes())
        except files.Unreadable:
            continue
        pixels = ds.get("PixelData")
        shape = (ds.get("Rows"), ds.get("Columns"), ds.get("BitsAllocated"))
        if pixels is None or shape not in shapes or not isinstance(pixels, bytes):
            continue
        for e in entries:
            if tuple(e["image"]) == shape:
                r0, r1 = e["rows"]
                width = shape[1] * shape[2] // 8
                regions.setdefault(hashlib.sha256(pixels[r0 * width : r1 * width]).hexdigest(), rel)
    found, unchecked = [], 0
    for entry in entries:
        r0, r1 = entry["rows"]
        hit = regions.get(entry["region_sha256"])
        if hit is None:
            unchecked += 1
            continue
        kinds = "+".join(entry.get("text_kinds", ["text"]))
        found.append(Finding(hit, f"pixels rows {r0}-{r1}", "pixels", kinds, "burned-in text"))
    if unchecked:
        notes.append(
            f"pixels: {unchecked} burned-in text region(s) changed; whether text remains "
            "needs OCR (the Clean Pixel Data option's own check, or a second reader)"
        )
    return found
