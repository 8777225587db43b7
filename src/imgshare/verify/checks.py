"""What a release must keep: each file, its pixels, one pseudonym per patient, intervals,
references and research values, judged by pairing each released file with its source.

Pairing. A released file is matched with the source file it came from by what
de-identification leaves alone: the hash of the pixel data together with the attributes that
place an instance in its series and in space (SOP Class, Modality, the image's size, Instance,
Series and Acquisition Number, Image Position and Orientation, Slice Location, Pixel
Spacing, Echo Number, Image Type). Identical pixels (blank slices, one test image sent for
two patients) are told apart by those attributes; a file whose pixels were cleaned or lost is
paired by the attributes alone, and one whose attributes a tool changed by its pixels alone.
What is still ambiguous is settled by the study the other files of the same released study
came from, and last by whole studies: a released study is paired with a source study holding
the same files, the released patient staying with one source patient. A file that matches
nothing is left unpaired, and fails the "paired" check: verify cannot vouch for it.
Why not through the UIDs: verify has no key, so a released UID cannot be traced back; and
the engine's run report, which could, is the engine's own account, holds source paths, and
exists for no other tool.

Checks are gates (a failure makes verify exit 1) or measures (reported, for comparing tools):
what the Basic Profile allows a tool to remove (a Type 3 reference sequence, a file held back
because its pixels could not be cleaned) is a measure, not a failure.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pydicom.uid import UID, UID_dictionary

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
LONGITUDINAL = {"rtnLongFullDatesOpt", "rtnLongModifDatesOpt"}


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


# --- the checks ----------------------------------------------------------------------------


@dataclass
class Check:
    """One check: passed of total, whether failing it fails the release, and why (no values)."""

    name: str
    gate: bool = True
    passed: int = 0
    total: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.passed == self.total


def run(sources: list[Record], outputs: list[Record]) -> tuple[dict[str, Check], list[str]]:
    """Every check over paired files, and what could not be checked."""
    links, _ = pair(sources, outputs)
    notes: list[str] = []
    undeclared = sum(1 for o in outputs if o.columns is None)
    if undeclared:
        notes.append(
            f"options: {undeclared} released DICOM file(s) declare no De-identification Method "
            "Code Sequence (0012,0064); they are judged under the Basic Profile alone"
        )
    patients = {p: i + 1 for i, p in enumerate(dict.fromkeys(s.patient for s in sources))}
    checks = {
        "files released": _released(sources, links),
        "paired": _paired(outputs, links),
        "valid": _valid(outputs),
        "pixel data": _pixel_data(outputs, links),
        "pseudonyms": _pseudonyms(sources, outputs, links, patients),
        "intervals": _intervals(sources, outputs, links, patients),
        "references": _broken(sources, outputs, links),
        "references kept": _kept_references(sources, outputs, links),
        "research": _research(outputs, links),
    }
    return checks, notes


def _released(sources, links) -> Check:
    c = Check("source files with a released file", gate=False)
    c.total = len(sources)
    c.passed = len({s.file for s in links.values()})
    if c.passed < c.total:
        c.notes.append(f"{c.total - c.passed} source file(s) have no released file (held back?)")
    return c


def _paired(outputs, links) -> Check:
    """A released file verify cannot trace to a source is a file it cannot vouch for."""
    c = Check("released files matched to one source file")
    c.total = len(outputs)
    c.passed = sum(o.file in links for o in outputs)
    if not c.ok:
        c.notes.append(f"{c.total - c.passed} released file(s) match no source file")
    return c


def _valid(outputs) -> Check:
    c = Check("released files that are still DICOM instances (UIDs present)")
    c.total = len(outputs)
    c.passed = sum(o.valid for o in outputs)
    if not c.ok:
        c.notes.append(f"{c.total - c.passed} file(s) lack a SOP Class, SOP Instance, Study or "
                       "Series Instance UID")  # fmt: skip
    return c


def _pixel_data(outputs, links) -> Check:
    c = Check("released images with their pixel data, of the size their attributes declare")
    for o in outputs:
        source = links.get(o.file)
        if o.pixels is None and (source is None or source.pixels is None):
            continue
        c.total += 1
        if o.pixel_ok:
            c.passed += 1
        elif o.pixels is None:
            c.notes.append(f"{o.modality or 'a'} file lost its pixel data")
        else:
            c.notes.append(f"{o.modality or 'a'} file's pixel data is not the declared size")
    return _tidy(c)


def _pseudonyms(sources, outputs, links, patients) -> Check:
    c = Check("patients with one released ID, shared with no other patient")
    released: dict[str, set[str]] = defaultdict(set)
    for o in outputs:
        if o.file in links:
            released[links[o.file].patient].add(o.patient)
    owners = Counter(i for ids in released.values() for i in ids)
    c.total = len(released)
    for patient, ids in released.items():
        ok = len(ids) == 1 and "" not in ids and owners[next(iter(ids))] == 1
        c.passed += ok
        if not ok:
            why = "an empty ID" if "" in ids else f"{len(ids)} IDs" if len(ids) > 1 else "an ID"
            shared = " shared with another patient" if len(ids) == 1 and "" not in ids else ""
            c.notes.append(f"source patient {patients[patient]} of {len(patients)}: {why}{shared}")
    return c


def _intervals(sources, outputs, links, patients) -> Check:
    """Kept where the release declares a longitudinal option; elsewhere dates may go."""
    c = Check("intervals between a patient's studies kept (where dates are retained)")
    dates: dict[str, set[str]] = defaultdict(set)
    longitudinal: dict[str, bool] = {}
    for o in outputs:
        s = links.get(o.file)
        if s is None:
            continue
        dates[s.study].add(o.date[:8])
        declares = bool((o.columns or frozenset()) & LONGITUDINAL)
        longitudinal[s.study] = longitudinal.get(s.study, True) and declares
    by_patient: dict[str, dict[str, str]] = defaultdict(dict)
    for s in sources:
        if s.study and s.date:
            by_patient[s.patient][s.study] = s.date[:8]
    for patient, studies in by_patient.items():
        ordered = sorted(studies.items(), key=lambda kv: kv[1])
        for (a, da), (b, db) in zip(ordered, ordered[1:], strict=False):
            if not (longitudinal.get(a) and longitudinal.get(b)):
                continue
            c.total += 1
            ra, rb = dates.get(a, set()), dates.get(b, set())
            if len(ra) == 1 and len(rb) == 1 and _days(*ra, *rb) == _days(da, db) is not None:
                c.passed += 1
            else:
                c.notes.append(f"source patient {patients[patient]}: interval not kept")
    return _tidy(c)


def _days(a: str, b: str) -> int | None:
    try:
        return (dt.datetime.strptime(b, "%Y%m%d") - dt.datetime.strptime(a, "%Y%m%d")).days
    except ValueError:
        return None


def _targets(records: list[Record]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for r in records:
        for kind, uid in r.targets.items():
            if uid:
                out[kind].add(uid)
    return out


def _unresolved(r: Record, targets: dict[str, set[str]]) -> int:
    return sum(uid not in targets[kind] for kind, uid in r.refs)


def _broken(sources, outputs, links) -> Check:
    """A reference that resolved in the sources and points nowhere in the release."""
    c = Check("references that resolve within the release (none broken)")
    src_targets, out_targets = _targets(sources), _targets(outputs)
    for o in outputs:
        s = links.get(o.file)
        broken = _unresolved(o, out_targets) - (_unresolved(s, src_targets) if s else 0)
        c.total += len(o.refs)
        c.passed += len(o.refs) - max(0, broken)
        if broken > 0:
            c.notes.append(f"{o.modality or 'a'} file: {broken} reference(s) point outside")
    return _tidy(c)


def _kept_references(sources, outputs, links) -> Check:
    c = Check("references of the sources still in the release", gate=False)
    src_targets, out_targets = _targets(sources), _targets(outputs)
    c.total = sum(len(s.refs) - _unresolved(s, src_targets) for s in sources)
    kept = sum(len(o.refs) - _unresolved(o, out_targets) for o in outputs if o.file in links)
    c.passed = min(kept, c.total)
    if c.passed < c.total:
        c.notes.append(f"{c.total - c.passed} reference(s) removed (Table E.1-1 allows removing "
                       "Type 3 reference sequences)")  # fmt: skip
    return c


def _research(outputs, links) -> Check:
    """Attributes the table keeps under the options each released file declares."""
    c = Check("attribute values kept where the declared options keep them")
    for o in outputs:
        s = links.get(o.file)
        if s is None:
            continue
        columns = o.columns or frozenset()
        for tag, (vr, value) in s.values.items():
            if standard.action(tag, columns) != "K":
                continue
            if vr == "UI" and not all(str(u) in UID_dictionary for u in _as_list(value)):
                continue  # an instance UID holds no research value; a class UID does
            c.total += 1
            if o.values.get(tag, (None, None))[1] == value:
                c.passed += 1
            else:
                from pydicom.datadict import keyword_for_tag

                c.notes.append(f"{o.modality or 'a'} {keyword_for_tag(tag) or hex(tag)} "
                               "changed or removed")  # fmt: skip
    return _tidy(c)


def _as_list(value: Any) -> tuple:
    return value if isinstance(value, tuple) else (value,)


def _tidy(c: Check) -> Check:
    c.notes = sorted(Counter(c.notes))[:20]
    return c


def burned_in(sources: list[Record]) -> list[str]:
    n = sum(s.burned_in for s in sources)
    if not n:
        return []
    return [f"pixels: {n} source file(s) declare burned-in annotation; text in pixels needs "
            "OCR (the Clean Pixel Data option's own check, or a second reader)"]  # fmt: skip
