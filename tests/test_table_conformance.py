"""For every Table E.1-1 attribute in every DICOM sample, the output obeys the table.

The expected action is computed here independently of the engine's walk: from the table's
row, the chosen options and the attribute's Type in the IOD. Then the output element is
checked against what that action allows.
"""

from __future__ import annotations

import copy
import warnings

import pydicom
import pytest
from dicom_helpers import find

from imgshare import profile, samples
from imgshare.dicom import engine, keys
from imgshare.dicom.config import Config

KEY = b"t" * 32
OPTION_SETS = [
    (),
    ("retain-long-modified-dates", "retain-patient-characteristics", "clean-descriptors",
     "clean-structured-content", "clean-graphics"),
    ("retain-long-full-dates", "retain-uids", "retain-device-identity",
     "retain-institution-identity", "retain-safe-private"),
]  # fmt: skip
DICOM_SAMPLES = [s.file for s in samples.manifest() if s.format == "DICOM"]


def expected(tag: int, options: tuple[str, ...], sop: str | None, depth: int) -> str | None:
    lookup = 0x60003000 if (tag >> 16) & 0xFF00 == 0x6000 else tag
    row = profile.row_for(lookup)
    if row is None or tag & 0xFFFF == 0:
        return None
    return profile.resolve_compound(
        profile.action_for(row, options), tag, sop if depth == 0 else None
    )


def check(action: str, before, after, tag: int, ctx) -> str | None:
    """None if the output element obeys the action, else what is wrong."""
    if action == "X":
        return None if after is None else "should be removed"
    if after is None:
        return "should be present"
    if before.VR == "SQ":
        return None if action != "Z" or len(after.value) == 0 else "sequence should be empty"
    old, new = before.value, after.value
    if tag in engine.IDENTITY and action != "K":
        return None if new == ctx.subject_id else "should be the subject pseudonym"
    if action == "K":
        return None if new == old else "should be kept"
    if action == "Z":
        return None if new in ("", None, b"") or new == engine.DUMMY.get(before.VR) else "not empty"
    if action == "U":
        values = new if before.VM > 1 else [new]
        olds = old if before.VM > 1 else [old]
        ok = all(str(n) == keys.uid(KEY, str(o)) for n, o in zip(values, olds, strict=True))
        return None if ok or old in ("", None) else "UID not replaced consistently"
    if action == "D":
        return None if new != old or old == engine.DUMMY.get(before.VR) else "not replaced"
    if action == "C":
        if before.VR == "DA" and "retain-long-modified-dates" in ctx.config.options and old:
            from imgshare.dicom.dates import shift_da

            return None if new in (shift_da(str(old), ctx.offset), "") else "date not shifted"
        return None
    return f"unexpected action {action}"


@pytest.mark.parametrize("options", OPTION_SETS, ids=["basic", "research", "retain-all"])
@pytest.mark.parametrize("name", DICOM_SAMPLES)
def test_sample_output_obeys_table(name: str, options: tuple[str, ...]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        source = pydicom.dcmread(samples.path(name), force=True)
        out = copy.deepcopy(source)
        ctx = engine.apply(out, Config(key=KEY, options=options))
    sop = str(source.get("SOPClassUID", "")) or None
    problems, checked = [], 0
    for decision in ctx.decisions:
        depth = decision.path.count(".")
        tag = int(decision.path[-10:-6] + decision.path[-5:-1], 16)
        want = expected(tag, options, sop, depth)
        if want is None:
            continue
        graphics = (tag >> 16) & 0xFF00 in (0x6000, 0x5000) and "pixel module" in decision.reason
        if decision.action != want and not (want == "C" and graphics):
            problems.append(f"{decision.path}: planned {decision.action}, table says {want}")
            continue
        if graphics:
            want = decision.action  # removed, since it cannot be cleaned here
        before = find(source, decision.path)
        if before is None:
            continue
        after = find(out, decision.path) if want != "X" else find(out, decision.path)
        wrong = check(want, before, after, tag, ctx)
        if wrong and not _under_removed_parent(out, decision.path):
            problems.append(f"{decision.path} {decision.keyword}: {wrong}")
        checked += 1
    assert not problems, problems
    assert checked > 0


def _under_removed_parent(ds, path: str) -> bool:
    parts = path.split(".")
    return any(find(ds, ".".join(parts[:i])[:-3]) is None for i in range(1, len(parts)))
