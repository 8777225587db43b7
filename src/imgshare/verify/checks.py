"""What a release must keep: each file, its pixels, one pseudonym per patient, intervals,
references and research values, judged on released files paired with their sources
(``pairing``).

Checks are gates (a failure makes verify exit 1) or measures (reported, for comparing tools):
what the Basic Profile allows a tool to remove (a Type 3 reference sequence, a file held back
because its pixels could not be cleaned) is a measure, not a failure.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from pydicom.datadict import keyword_for_tag
from pydicom.uid import UID_dictionary

from imgshare.verify import standard
from imgshare.verify.pairing import Record, pair

LONGITUDINAL = {"rtnLongFullDatesOpt", "rtnLongModifDatesOpt"}


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
