"""The engine's output files obey PS3.15 Table E.1-1, judged without the engine's own lookups.

Why this shape: the first conformance test asked the engine's profile module what the
engine should have done and then checked only the elements the engine had decided about,
which is how a run that deleted Pixel Data from implicit-VR files passed. Here:

- the table comes from its JSON (the packaged copy of innolitics' parse of the 2024e table),
  parsed by this test;
- compound actions (X/Z, X/D, Z/D, X/Z/D, X/Z/U*) are resolved by this test from the
  attribute's Type in the IOD, read from highdicom's offline copy of the standard's IOD and
  module tables (PS3.15 E.1.1: remove a Type 3 attribute, empty a Type 2, replace a Type 1);
  where highdicom does not know the IOD or the attribute, any choice the table offers passes;
- the engine runs on files (the project's DICOM samples and the DICOM files that ship with
  pydicom, written by no one here), through the batch as a user runs it, and each output is
  read back with pydicom;
- every element of every source is judged, including those the table does not list, which
  must come out unchanged (Pixel Data among them).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
import shutil
import warnings
from collections import defaultdict
from pathlib import Path

import pydicom
import pydicom.data
import pytest
from highdicom._standard_utils import (
    get_iod_module_map,
    get_module_attribute_map,
    get_sop_class_iod_map,
)
from pydicom.uid import UID, UID_dictionary

from imgshare import batch, samples
from imgshare.dicom import keys

ROOT = Path(__file__).resolve().parents[1]
TABLE = json.loads((ROOT / "src" / "imgshare" / "profile" / "table_e1_1.json").read_text())
#: The option names of the engine's command line, and their columns in the table's JSON
#: (PS3.15 Table E.1-1 headings, as TABLE_README.md names them).
COLUMN = {
    "retain-safe-private": "rtnSafePrivOpt", "retain-uids": "rtnUIDsOpt",
    "retain-device-identity": "rtnDevIdOpt", "retain-institution-identity": "rtnInstIdOpt",
    "retain-patient-characteristics": "rtnPatCharsOpt",
    "retain-long-full-dates": "rtnLongFullDatesOpt",
    "retain-long-modified-dates": "rtnLongModifDatesOpt", "clean-descriptors": "cleanDescOpt",
    "clean-structured-content": "cleanStructContOpt", "clean-graphics": "cleanGraphOpt",
}  # fmt: skip
OPTION_SETS = {
    "basic": (),
    "research": ("retain-long-modified-dates", "retain-patient-characteristics",
                 "clean-descriptors", "clean-structured-content", "clean-graphics"),
    "retain-all": ("retain-long-full-dates", "retain-uids", "retain-device-identity",
                   "retain-institution-identity", "retain-safe-private"),
}  # fmt: skip
#: What de-identification records about itself (PS3.15 E.1.1, PS3.3 C.12.1.1.7): it changes.
RECORDS = {0x00080005, 0x00120062, 0x00120063, 0x00120064, 0x00280301, 0x00280303}
#: Values that may change inside a sequence the table says to replace (D) or clean (C).
CHANGEABLE = {"AE", "LO", "SH", "LT", "ST", "UT", "UC", "PN", "DA", "DT", "TM", "UI"}
DUPLICATES = {"CT_small.dcm", "MR_small.dcm", "rtdose.dcm", "rtplan.dcm", "rtstruct.dcm",
              "test-SR.dcm", "waveform_ecg.dcm", "liver_1frame.dcm", "examples_overlay.dcm",
              "examples_palette.dcm"}  # fmt: skip


def _files() -> list[tuple[str, Path]]:
    """(test id, path): the project's DICOM samples and pydicom's own DICOM test files."""
    out = [(f"samples/{s.file}", samples.path(s.file)) for s in samples.manifest()
           if s.format == "DICOM"]  # fmt: skip
    shipped = Path(pydicom.data.__file__).parent  # read from disk: no download, no network
    for path in sorted([*shipped.glob("test_files/*.dcm"), *shipped.glob("charset_files/*.dcm")]):
        if path.name in DUPLICATES:
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ds = pydicom.dcmread(path)
                if "SOPClassUID" not in ds or "PatientID" not in ds:
                    continue
        except Exception:  # noqa: BLE001 - pydicom's deliberately broken files: not for this test
            continue
        out.append((f"pydicom/{path.name}", path))
    return out


FILES = _files()


# --- the table, read here -----------------------------------------------------------------


def _rows():
    fixed, masked, private = {}, [], None
    for row in TABLE:
        if "ODD" in row["tag"]:
            private = row
            continue
        digits = row["tag"].strip("()").replace(",", "").upper()
        if "X" in digits:
            mask = int("".join("0" if c == "X" else "F" for c in digits), 16)
            masked.append((mask, int(digits.replace("X", "0"), 16), row))
        else:
            fixed[int(digits, 16)] = row
    return fixed, masked, private


FIXED, MASKED, PRIVATE = _rows()


def table_row(tag: int):
    if (tag >> 16) % 2:
        return PRIVATE
    if tag in FIXED:
        return FIXED[tag]
    return next((row for mask, value, row in MASKED if tag & mask == value), None)


def table_action(row, options: tuple[str, ...]) -> str:
    """The row's action under the options; an option that keeps wins over one that cleans."""
    chosen = [row[COLUMN[o]] for o in options if COLUMN[o] in row]
    return "K" if "K" in chosen else chosen[0] if chosen else row["basicProfile"]


# --- Types from the IOD (highdicom's offline copy of PS3.3) --------------------------------


def iod_types(sop_class: str) -> dict[tuple[str, ...], str] | None:
    """(path of keywords) -> Type, for one SOP Class; None if the IOD is not known."""
    iod = get_sop_class_iod_map().get(sop_class)
    if iod is None:
        return None
    out: dict[tuple[str, ...], str] = {}
    attributes = get_module_attribute_map()
    for module in get_iod_module_map()[iod]:
        for attr in attributes.get(module["key"], []):
            key = (*attr["path"], attr["keyword"])
            old = out.get(key)
            out[key] = attr["type"] if old is None else min(old, attr["type"])
    return out


def allowed(action: str, kind: str | None) -> set[str]:
    """The actions E.1.1 allows for a compound action and a Type (None: not known)."""
    if "/" not in action:
        return {action}
    choices = set(action.replace("*", "").split("/"))
    if kind is None:
        return choices
    if kind.startswith("1"):
        pick = [c for c in ("U", "D") if c in choices]
    elif kind.startswith("2"):
        pick = [c for c in ("Z", "D") if c in choices]
    else:
        pick = ["X"] if "X" in choices else []
    return {pick[0]} if pick else choices


# --- running the engine --------------------------------------------------------------------


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Each option set run once over every file, as a user runs it; source -> output path."""
    root = tmp_path_factory.mktemp("conformance")
    key_file = keys.create_key(root / "key")
    # files that would claim the same output (same UIDs) go to separate runs
    batches: list[dict[str, Path]] = []
    for test_id, path in FILES:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ds = pydicom.dcmread(path, stop_before_pixels=True, force=True)
        uids = tuple(str(ds.get(k, "")) for k in ("StudyInstanceUID", "SeriesInstanceUID",
                                                   "SOPInstanceUID"))  # fmt: skip
        target = next((b for b in batches if uids not in b.values()), None)
        if target is None:
            target = {}
            batches.append(target)
        target[test_id] = uids
    out: dict[str, dict[str, tuple[Path | None, str]]] = {}
    paths = dict(FILES)
    for name, options in OPTION_SETS.items():
        out[name] = {}
        for i, group in enumerate(batches):
            src = root / f"src{i}"
            if not src.exists():
                for test_id in group:
                    dst = src / test_id.replace("/", "__")
                    dst.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy(paths[test_id], dst)
            dst = root / name / str(i)
            # pixels that may identify are released unreviewed: this test judges headers
            rep = batch.deidentify_tree(src, dst, options, key_file, release_unreviewed=True)
            for f in rep.files:
                test_id = f["source"].replace("__", "/")
                output = dst / f["output"] if f["status"] == "processed" else None
                out[name][test_id] = (output, f.get("reason", ""))
    return out


# --- judging one output --------------------------------------------------------------------


def _read(path: Path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pydicom.dcmread(path, force=True)


def _same(a, b) -> bool:
    if isinstance(a, pydicom.Sequence) or isinstance(b, pydicom.Sequence):
        return len(a) == len(b)  # items are judged one by one
    try:
        return a == b or float(a) == float(b)
    except (TypeError, ValueError):
        return False


def _texts(value) -> list[str]:
    if isinstance(value, list | tuple) or type(value).__name__ == "MultiValue":
        return [t for v in value for t in _texts(v)]
    return [] if value is None or isinstance(value, bytes) else [str(value)]


class Judge:
    """Walks a source and its output side by side and lists what breaks the table."""

    def __init__(self, source, output, options: tuple[str, ...]) -> None:
        self.options = options
        self.types = iod_types(str(source.get("SOPClassUID", "")))
        self.problems: list[str] = []
        self.checked = 0
        self.offsets: set[int] = set()
        # the source's own identifying words, which cleaned text must not hold
        self.words = {w for e in source.iterall() if e.VR == "PN" and e.value
                      and not e.tag.is_private
                      for t in _texts(e.value) for w in t.replace("=", "^").split("^")
                      if len(w) >= 3}  # fmt: skip
        self.words |= {str(source.get("PatientID", "")).strip()} - {""}
        self.removed_groups = {
            t >> 16 for t in source.keys()  # noqa: SIM118 (tags, not elements)
            if (t >> 16) & 0xFF00 in (0x5000, 0x6000) and t & 0xFFFF == 0x3000 and t not in output
        }  # fmt: skip
        self.walk(source, output, ())

    def note(self, path: str, what: str) -> None:
        self.problems.append(f"{path}: {what}")

    def walk(self, src, out, parents: tuple[str, ...], prefix: str = "", mode=None) -> None:
        """Judge each element of SRC against OUT; MODE is D or C inside a sequence that the
        table says to replace or clean (its text may change, its codes and numbers not)."""
        for elem in src:
            tag = int(elem.tag)
            path = f"{prefix}({tag >> 16:04X},{tag & 0xFFFF:04X}) {elem.keyword or 'private'}"
            if tag & 0xFFFF == 0 or tag in RECORDS:
                continue
            after = out.get(tag) if out is not None else None
            row = table_row(tag)
            if (tag >> 16) % 2:
                self.private(elem, after, path)
                continue
            if row is None:
                if (tag >> 16) in self.removed_groups:
                    continue  # an overlay plane removed whole with its data
                self.keep(elem, after, path, parents, mode)
                continue
            kind = None
            if self.types is not None:
                kind = self.types.get((*parents, elem.keyword)) or ("3" if not parents else None)
            wanted = allowed(table_action(row, self.options), kind)
            self.judge(elem, after, wanted, path, parents)

    def private(self, elem, after, path: str) -> None:
        self.checked += 1
        if "retain-safe-private" in self.options:
            return  # which private attributes are safe is the safe-private table's business
        if after is not None:
            self.note(path, "private element kept")

    def keep(self, elem, after, path: str, parents, mode) -> None:
        """Not in the table: kept as it was. A UID that names an instance may be replaced by
        a valid one; inside a sequence being replaced or cleaned, text may change but may not
        hold the source's names or IDs."""
        self.checked += 1
        if after is None:
            self.note(path, "not in Table E.1-1, so kept by the profile; removed")
        elif elem.VR == "SQ":
            self.items(elem, after, path, parents, mode)
        elif _same(elem.value, after.value):
            return
        elif elem.VR == "UI" and str(elem.value) not in UID_dictionary:
            if not all(UID(u).is_valid for u in _texts(after.value)):
                self.note(path, "instance UID replaced by an invalid one")
        elif mode is not None and elem.VR in CHANGEABLE:
            if self.holds_words(after.value):
                self.note(path, "text in a replaced or cleaned sequence still holds a name or ID")
        elif self.overlay_text(elem, after):
            return  # Clean Graphics: an overlay's own text goes with its blanked bitmap
        else:
            self.note(path, "not in Table E.1-1, so kept by the profile; changed")

    def overlay_text(self, elem, after) -> bool:
        """Under Clean Graphics, an overlay's Description (60xx,0022) and Label (60xx,1500)
        may be emptied: PS3.15 E.3.8 asks the option to clean text in graphics and overlays."""
        group, element = elem.tag >> 16, elem.tag & 0xFFFF
        return (
            "clean-graphics" in self.options
            and group & 0xFF00 == 0x6000
            and element in (0x0022, 0x1500)
            and not str(after.value or "").strip()
        )

    def holds_words(self, value) -> bool:
        """Does a value hold one of the source's names or IDs, as a whole word?"""
        return any(re.search(rf"(?<!\w){re.escape(w)}(?!\w)", t, re.IGNORECASE)
                   for t in _texts(value) for w in self.words)  # fmt: skip

    def items(self, elem, after, path: str, parents, mode=None) -> None:
        if len(after.value) != len(elem.value):
            self.note(path, f"{len(elem.value)} item(s) became {len(after.value)}")
            return
        for i, (a, b) in enumerate(zip(elem.value, after.value, strict=True)):
            self.walk(a, b, (*parents, elem.keyword), f"{path}[{i}].", mode)

    def judge(self, elem, after, wanted: set[str], path: str, parents) -> None:
        self.checked += 1
        old = elem.value
        empty = old in (None, "", b"") or (elem.VR == "SQ" and len(old) == 0)
        verdicts = {w: self.verdict(w, elem, after, empty) for w in wanted}
        if not any(v is None for v in verdicts.values()):
            self.note(path, " or ".join(f"{w}: {v}" for w, v in sorted(verdicts.items())))
            return
        if after is not None and elem.VR == "SQ" and wanted & {"K", "C", "U", "D"}:
            mode = next((m for m in ("D", "C") if m in wanted), None)
            self.items(elem, after, path, parents, mode)

    def verdict(self, action: str, elem, after, empty: bool) -> str | None:
        """None if the output element obeys the action, else what is wrong."""
        if action == "X":
            return None if after is None else "should be removed"
        if after is None:
            return None if empty else "should be present"
        new = after.value
        if elem.VR == "SQ":
            if action == "Z":
                return None if len(new) == 0 else "sequence should be empty"
            return None  # K, C, U, D on a sequence: its items are judged one by one
        if action == "K":
            return None if _same(elem.value, new) else "should be kept"
        if action == "Z":
            blank = new in (None, "", b"")
            return None if blank or empty or not _same(elem.value, new) else "not emptied"
        if action == "D":
            if new in (None, "", b""):
                return "should hold a dummy value"
            return None if empty or not _same(elem.value, new) else "not replaced"
        if action == "U":
            if empty:
                return None
            olds, news = _texts(elem.value), _texts(new)
            if len(olds) != len(news):
                return "UID count changed"
            bad = [n for o, n in zip(olds, news, strict=True) if n == o or not UID(n).is_valid]
            return None if not bad else "UID not replaced by a valid new one"
        if action == "C":
            return self.cleaned(elem, new)
        return f"unknown action {action}"

    def cleaned(self, elem, new) -> str | None:
        if elem.VR in ("DA", "DT"):
            if "retain-long-modified-dates" not in self.options:
                return None
            old, got = str(elem.value)[:8], str(new)[:8]
            if not old.strip():
                return None
            try:
                shifted = dt.datetime.strptime(got, "%Y%m%d")
                days = (shifted - dt.datetime.strptime(old, "%Y%m%d")).days
            except ValueError:
                return None if not got.strip() else "date not shifted to a valid date"
            self.offsets.add(days)
            return None if days != 0 else "date not shifted"
        if self.holds_words(new):
            return "cleaned text still holds a name or ID of the source"
        return None


def _judge(runs, test_id: str, option_set: str) -> Judge | None:
    output, reason = runs[option_set][test_id]
    if output is None:
        assert reason, f"{test_id} was not released and no reason was given"
        return None
    source = _read(dict(FILES)[test_id])
    try:
        released = _read(output)
    except Exception as exc:  # noqa: BLE001 - any reason pydicom gives is a failure here
        pytest.fail(f"{test_id}: the released file cannot be read by pydicom: {exc}")
    return Judge(source, released, OPTION_SETS[option_set])


#: Where the engine departs from this test's reading of the table, on purpose (strict, so a
#: change of behaviour fails until its marker goes). Source Image Sequence (X/Z/U*) is Type 2
#: inside the per-frame Derivation Image Sequence of a Segmentation, so this test wants it
#: emptied (Z); the engine keeps its references with new UIDs (U), because emptying it leaves
#: the Common Instance Reference Module listing references that are gone, a new dciodvfy
#: error kind (test_realworld). No original value survives either way.
NESTED_REFERENCES = "engine keeps nested references (U) where Z would break the IOD (dciodvfy)"
KNOWN = {
    (options, f): NESTED_REFERENCES
    for options in ("basic", "research")
    for f in ("samples/dicom/liver_1frame.dcm", "pydicom/liver_expb_1frame.dcm")
}


def _cases():
    for name in OPTION_SETS:
        for test_id, _ in FILES:
            reason = KNOWN.get((name, test_id))
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            yield pytest.param(test_id, name, id=f"{name}-{test_id}", marks=marks)


@pytest.mark.parametrize("test_id, option_set", list(_cases()))
def test_output_obeys_the_table(runs, test_id: str, option_set: str) -> None:
    judge = _judge(runs, test_id, option_set)
    if judge is None:
        return
    assert judge.checked > 0
    assert not judge.problems, judge.problems[:20]
    assert len(judge.offsets) <= 1, f"dates shifted by different offsets: {judge.offsets}"


@pytest.mark.parametrize("option_set", ["basic", "research"])
def test_uids_are_replaced_consistently_across_files(runs, option_set: str) -> None:
    """One original UID becomes one new UID in every file and place; two never become one."""
    forward: dict[str, set[str]] = defaultdict(set)
    for test_id, path in FILES:
        output, _ = runs[option_set][test_id]
        if output is None:
            continue
        try:
            source, out = _read(path), _read(output)
        except Exception:  # noqa: BLE001 - an unreadable output fails its own test above
            continue
        for tag in ("StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID",
                    "FrameOfReferenceUID"):  # fmt: skip
            if tag in source and tag in out:
                forward[str(source[tag].value)].add(str(out[tag].value))
    assert forward
    assert all(len(new) == 1 for new in forward.values())
    backward: dict[str, set[str]] = defaultdict(set)
    for old, new in forward.items():
        backward[next(iter(new))].add(old)
    assert all(len(old) == 1 for old in backward.values())


def test_the_judge_catches_what_the_first_release_missed(tmp_path) -> None:
    """Break an output on purpose: the judge must see each break (the test can fail)."""
    source = _read(samples.path("dicom/CT_small.dcm"))
    out = copy.deepcopy(source)
    del out.PixelData  # the implicit-VR bug of the first release
    out.PatientName = source.PatientName  # a name kept
    out.InstitutionName = "other"  # X for the Basic Profile, Type 3 in the CT IOD: must go
    if "RescaleSlope" in out:
        out.RescaleSlope = "9"  # not in the table: must be kept as it was
    problems = Judge(source, out, ()).problems
    text = "\n".join(problems)
    assert "(7FE0,0010) PixelData: not in Table E.1-1, so kept by the profile; removed" in text
    assert "(0010,0010) PatientName" in text
    assert "(0008,0080) InstitutionName: X: should be removed" in text
    assert "(0028,1053) RescaleSlope: not in Table E.1-1, so kept by the profile; changed" in text
