"""The profile table is the standard's, complete, and its actions resolve as E.1.1 says."""

from __future__ import annotations

import collections

import pytest

from imgshare import profile

CT = "1.2.840.10008.5.1.4.1.1.2"
#: Basic Profile actions in Table E.1-1 (2024e), counted by hand from the standard's table.
BASIC_COUNTS = {"X": 384, "D": 92, "U": 54, "Z": 42, "X/D": 22, "X/Z": 11, "X/Z/D": 8,
                "Z/D": 6, "X/Z/U*": 2}  # fmt: skip


def test_table_has_621_rows_and_known_counts() -> None:
    rows = profile.table()
    assert len(rows) == 621
    counts = collections.Counter(r.basic for r in rows)
    assert counts == BASIC_COUNTS


def test_row_lookup_fixed_repeating_and_private() -> None:
    assert profile.row_for(0x00100010).name == "Patient's Name"
    assert profile.row_for(0x60023000).name == "Overlay Data"
    assert profile.row_for(0x50001234).name == "Curve Data"
    assert profile.row_for(0x00280010) is None  # Rows: not identifying, not listed
    assert "ODD" in profile.private_row().tag


def test_options_change_actions() -> None:
    row = profile.row_for(0x00081030)  # Study Description
    assert profile.action_for(row, ()) == "X"
    assert profile.action_for(row, ("clean-descriptors",)) == "C"
    date = profile.row_for(0x00080020)  # Study Date
    assert profile.action_for(date, ("retain-long-full-dates",)) == "K"
    assert profile.action_for(date, ("retain-long-modified-dates",)) == "C"


def test_exclusive_and_unknown_options_are_refused() -> None:
    with pytest.raises(ValueError, match="cannot be combined"):
        profile.check_options(["retain-long-full-dates", "retain-long-modified-dates"])
    with pytest.raises(ValueError, match="unknown"):
        profile.check_options(["retain-everything"])


@pytest.mark.parametrize(
    ("action", "tag", "sop", "expected"),
    [
        ("Z/D", 0x00100020, CT, "Z"),  # Patient ID is Type 2 in the CT IOD
        ("X/Z", 0x00080022, CT, "X"),  # Acquisition Date is Type 3 there
        ("X/Z/D", 0x00080080, CT, "X"),  # Institution Name, Type 3
        ("X/D", 0x00081030, "9.9.9", "D"),  # unknown IOD: keep it valid
        ("X/Z/U*", 0x00081140, "9.9.9", "U"),
        ("D", 0x00100010, CT, "D"),
    ],
)
def test_compound_actions_resolve_by_type(action: str, tag: int, sop: str, expected: str) -> None:
    assert profile.resolve_compound(action, tag, sop) == expected
