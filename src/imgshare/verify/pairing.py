"""Pairing each released file with the source file it came from, by what de-identification
leaves alone.

A released file is matched by the hash of its pixel data together with the attributes that
place an instance in its series and in space (SOP Class, Modality, the image's size,
Instance, Series and Acquisition Number, Image Position and Orientation, Slice Location,
Pixel Spacing, Echo Number, Image Type). Identical pixels (blank slices, one test image sent
for two patients) are told apart by those attributes; a file whose pixels were cleaned or
lost is paired by the attributes alone, and one whose attributes a tool changed by its
pixels alone. What is still ambiguous is settled by the study the other files of the same
released study came from, and last by whole studies: a released study is paired with a
source study holding the same files, the released patient staying with one source patient.
A file that matches nothing is left unpaired, never guessed.

Why not through the UIDs: verify has no key, so a released UID cannot be traced back; and
the engine's run report, which could, is the engine's own account, holds source paths, and
exists for no other tool.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pydicom.uid import UID

from imgshare.verify import standard

PIXEL_TAGS = (0x7FE00010, 0x7FE00008, 0x7FE00009)
#: Attributes that place an instance in its series and in space (none identifies a person).
GEOMETRY = (
    "SOPClassUID", "Modality", "Rows", "Columns", "NumberOfFrames", "BitsAllocated",
    "SamplesPerPixel", "InstanceNumber", "SeriesNumber", "AcquisitionNumber",
    "ImagePositionPatient", "ImageOrientationPatient", "SliceLocation", "PixelSpacing",
    "EchoNumbers", "ImageType",
)  # fmt: skip
#: Attributes that record the de-identification itself or follow from pixel cleaning: they
#: change by design (PS3.15 E.1.1, PS3.3 C.7.6.1.1.11 and C.12.1.1.7).
RECORDS = {0x00080005, 0x00120062, 0x00120063, 0x00120064, 0x00280301, 0x00280302, 0x00280303}
STUDY_COMPONENT = "1.2.840.10008.3.1.2.3.1"


def _plain(value: Any) -> Any:
    if isinstance(value, list | tuple) or type(value).__name__ == "MultiValue":
        return tuple(_plain(v) for v in value)
    if isinstance(value, bytes | bytearray):
        return hashlib.sha256(value).hexdigest()
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value).strip()
    return round(number, 4) if not isinstance(value, str) or value.strip() else ""


@dataclass
class Record:
    """What the checks need from one DICOM file (no value of it is ever printed)."""

    file: str
    patient: str
    study: str
    series: str
    date: str
    modality: str
    pixels: str | None
    pixel_ok: bool | None
    geometry: tuple
    shape: tuple
    columns: frozenset[str] | None
    valid: bool
    burned_in: bool
    values: dict[int, tuple[str, Any]] = field(default_factory=dict)
    refs: list[tuple[str, str]] = field(default_factory=list)
    targets: dict[str, str] = field(default_factory=dict)


def record(ds: Any, rel: str) -> Record:
    """The record of a dataset: identity, pixels, geometry, declared options, values."""
    pixel_tag = next((t for t in PIXEL_TAGS if t in ds), None)
    pixels = pixel_ok = None
    if pixel_tag is not None:
        raw = ds[pixel_tag].value
        raw = raw if isinstance(raw, bytes) else b""
        pixels = hashlib.sha256(raw).hexdigest()
        pixel_ok = _pixel_size_ok(ds, raw)
    values = {}
    for elem in ds:
        tag = int(elem.tag)
        if elem.VR in ("SQ", "PN") or tag in PIXEL_TAGS or tag in RECORDS or tag & 0xFFFF == 0:
            continue
        if elem.tag.is_private or (tag >> 16) & 0xFF00 in (0x5000, 0x6000):
            continue
        values[tag] = (elem.VR, _plain(elem.value))

    def text(keyword: str) -> str:
        return str(ds.get(keyword, "") or "").strip()

    date = next((text(k) for k in ("StudyDate", "SeriesDate", "AcquisitionDate") if text(k)), "")
    return Record(
        file=rel,
        patient=text("PatientID"),
        study=text("StudyInstanceUID"),
        series=text("SeriesInstanceUID"),
        date=date,
        modality=text("Modality"),
        pixels=pixels,
        pixel_ok=pixel_ok,
        geometry=tuple(_plain(ds.get(k)) if k in ds else None for k in GEOMETRY),
        shape=tuple(_plain(ds.get(k)) for k in ("Rows", "Columns", "BitsAllocated")),
        columns=standard.declared(ds),
        valid=all(
            text(k)
            for k in ("SOPClassUID", "SOPInstanceUID", "StudyInstanceUID", "SeriesInstanceUID")
        ),  # fmt: skip
        burned_in=text("BurnedInAnnotation").upper() == "YES",
        values=values,
        refs=list(_references(ds)),
        targets={
            "sop": text("SOPInstanceUID"),
            "series": text("SeriesInstanceUID"),
            "study": text("StudyInstanceUID"),
            "frame": text("FrameOfReferenceUID"),
        },
    )


def _pixel_size_ok(ds: Any, raw: bytes) -> bool:
    """Pixel Data of the size its attributes declare (native), or encapsulated fragments."""
    if not raw:
        return False
    syntax = getattr(getattr(ds, "file_meta", None), "TransferSyntaxUID", None)
    if syntax is not None and UID(str(syntax)).is_encapsulated:
        return raw[:4] == b"\xfe\xff\x00\xe0"
    try:
        rows, cols = int(ds.Rows), int(ds.Columns)
        bits = int(ds.get("BitsAllocated", 8))
        frames = int(ds.get("NumberOfFrames", 1) or 1)
        samples = int(ds.get("SamplesPerPixel", 1) or 1)
    except (AttributeError, TypeError, ValueError):
        return False
    expected = (rows * cols * frames * samples * bits + 7) // 8
    return expected <= len(raw) <= expected + 1


def _references(ds: Any, depth: int = 0) -> Iterator[tuple[str, str]]:
    """(kind of target, UID) of each reference to another instance, series, study or frame."""
    for elem in ds:
        if elem.VR == "SQ":
            for item in elem.value or []:
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


# --- pairing -------------------------------------------------------------------------------


def pair(sources: list[Record], outputs: list[Record]) -> tuple[dict[str, Record], int]:
    """Released file -> its source record, and how many released files stayed unmatched."""
    links: dict[str, Record] = {}
    used: set[str] = set()
    keys = (
        lambda r: (r.pixels, r.geometry) if r.pixels else None,
        lambda r: r.geometry,
        lambda r: (r.pixels, r.shape) if r.pixels else None,
    )
    for _ in range(8):
        before = len(links)
        for key in keys:
            _pair_by(key, sources, outputs, links, used)
        if links:  # settle what is left by the study the rest of its study came from
            study_of = _study_map(links, outputs)
            for key in keys:
                _pair_by(key, sources, outputs, links, used, study_of)
        if len(links) == before:
            for key in keys:  # whole studies that no attribute tells apart
                _pair_by_study(key, sources, outputs, links, used)
        if len(links) == before:
            break
    return links, sum(1 for o in outputs if o.file not in links)


def _pair_by_study(key, sources, outputs, links, used) -> None:
    """Pair a released study with the source study that holds most of the same files.

    Two patients whose studies hold identical images (the same blank slices, at the same
    positions) cannot be told apart by content; any source study with the same files is then
    as good as another for every check, provided a released study stays with one source
    study and a released patient with one source patient. So the choice prefers the source
    study this released study already maps to, then one no other released study maps to,
    then the one holding most of its files, then the source patient its released patients
    already map to, then one no other released patient maps to.
    """
    by_study: dict[str, list[Record]] = defaultdict(list)
    patient_of_study: dict[str, str] = {}
    for s in sources:
        if s.file not in used and key(s) is not None:
            by_study[s.study].append(s)
            patient_of_study[s.study] = s.patient
    waiting: dict[str, list[Record]] = defaultdict(list)
    for o in outputs:
        if o.file not in links and key(o) is not None:
            waiting[o.study].append(o)
    out_by_file = {o.file: o for o in outputs}
    current = _study_map(links, outputs)
    patient_of: dict[str, str] = {}
    for o_file, s in links.items():
        patient_of.setdefault(out_by_file[o_file].patient, s.patient)
    for study in sorted(waiting):
        outs = sorted(waiting[study], key=lambda r: r.file)
        need = Counter(key(o) for o in outs)
        cover = {
            st: sum((need & Counter(key(s) for s in srcs if s.file not in used)).values())
            for st, srcs in by_study.items()
        }
        fits = [st for st, n in cover.items() if n]
        if not fits:
            continue
        mapped = Counter(patient_of[o.patient] for o in outs if o.patient in patient_of)
        want = mapped.most_common(1)[0][0] if mapped else None
        taken = set(patient_of.values())
        mine = current.get(study)
        others = {st for released, st in current.items() if released != study}
        left = {st: sum(s.file not in used for s in by_study[st]) for st in fits}
        fits.sort(key=lambda st: (st != mine, st in others, -cover[st],
                                  patient_of_study[st] != want, patient_of_study[st] in taken,
                                  abs(left[st] - len(outs)), st))  # fmt: skip
        chosen = fits[0]
        current[study] = chosen
        for o in outs:
            s = next((s for s in sorted(by_study[chosen], key=lambda r: r.file)
                      if s.file not in used and key(s) == key(o)), None)  # fmt: skip
            if s is not None:
                links[o.file] = s
                used.add(s.file)
                patient_of.setdefault(o.patient, s.patient)


def _pair_by(key, sources, outputs, links, used, study_of=None) -> None:
    groups: dict[Any, tuple[list[Record], list[Record]]] = defaultdict(lambda: ([], []))
    for s in sources:
        k = key(s)
        if k is not None and s.file not in used:
            groups[(k, s.study if study_of is not None else None)][0].append(s)
    for o in outputs:
        k = key(o)
        if k is None or o.file in links:
            continue
        study = None
        if study_of is not None:
            study = study_of.get(o.study)
            if study is None:
                continue
        groups[(k, study)][1].append(o)
    for srcs, outs in groups.values():
        if not srcs or not outs:
            continue
        one_series = len({(s.patient, s.study, s.series) for s in srcs}) == 1
        if len(srcs) == len(outs) and (len(srcs) == 1 or one_series):
            # identical in every way that matters to the checks: any order will do
            for s, o in zip(sorted(srcs, key=lambda r: r.file), sorted(outs, key=lambda r: r.file),
                            strict=True):  # fmt: skip
                links[o.file] = s
                used.add(s.file)


def _study_map(links: dict[str, Record], outputs: list[Record]) -> dict[str, str]:
    votes: dict[str, Counter[str]] = defaultdict(Counter)
    for o in outputs:
        if o.file in links:
            votes[o.study][links[o.file].study] += 1
    return {study: c.most_common(1)[0][0] for study, c in votes.items()}
