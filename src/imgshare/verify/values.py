"""The identifying values of the original files, decoded in their own character sets.

Why from the originals, and decoded: verify needs no list of names to look for; the sources
carry them. Every element of every DICOM source is decoded by pydicom in the character
set(s) the file declares (all Defined Terms of PS3.3 C.12.1.1.2, ISO 2022 code extensions
included), so a Cyrillic, Korean or Chinese name is a string here, not bytes in one guessed
encoding. NIfTI headers and extensions are read with nibabel, BIDS sidecars and tables as
JSON and TSV.

Which values identify someone is decided here, not by the engine: every person name (PN, in
any element, standard or private, and each of its groups and components); the values of the
attributes Table E.1-1 lists (IDs, dates in the spellings people write them, UIDs, addresses,
institution and device names, free text as a whole); the text of private elements; the text
fields and extensions of NIfTI headers; sidecar values under a DICOM keyword the table lists
or under a key that names a person, record, date or place; the same in BIDS tables; and
subject and session labels that look like a record number or a date. Each value remembers
the attributes it came from, so that a release that declares an option which keeps one of
them (Retain Device Identity keeps the station name) is not blamed for keeping it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from pydicom.datadict import dictionary_VR, keyword_for_tag, tag_for_keyword
from pydicom.uid import UID_dictionary

from imgshare.verify import files, standard

MIN_LENGTH = 3
#: Values that stand for "no value": never searched for (a source may already hold them).
PLACEHOLDERS = {
    "anonymous", "anonymized", "anonymised", "unknown", "none", "n/a", "na", "null",
    "removed", "deidentified", "de-identified", "redacted", "not applicable",
}  # fmt: skip
TEXT_VRS = {"AE", "LO", "SH", "LT", "ST", "UT", "UC", "UR"}
FREE_TEXT_VRS = {"LT", "ST", "UT", "UC"}
DATE_VRS = {"DA", "DT"}
#: Sidecar keys (beyond DICOM keywords, which the table decides) and table columns that hold a
#: person, a record, a date or a place. A table column also counts when one of its words is
#: "name" or "id" (patient_name, hospital_id); a sidecar key does not (TaskName is a task).
IDENTIFYING_KEY = re.compile(
    r"patient|person|physician|doctor|operator|referring|mrn|record|birth|dob|address|phone|"
    r"e-?mail|postcode|zip|ssn|nhs|insurance|accession|institution|hospital|comment|note|"
    r"serial|station",
    re.IGNORECASE,
)
IDENTIFYING_WORD = {"name", "id", "surname", "date"}
BIDS_LABEL = re.compile(r"(?:^|[/_])(sub|ses)-([A-Za-z0-9]+)")
ISO_DATE = re.compile(r"(?<!\d)(\d{4})-?(\d{2})-?(\d{2})(?!\d)")
LEADING_DATE = re.compile(r"\s*(\d{4})-?(\d{2})-?(\d{2})")
SUBJECT_COLUMNS = ("participant_id", "session_id", "filename")
#: Where a value came from when it did not come from a DICOM attribute, or from an answer key
#: (a key's values are identifying by definition: never dropped, never allowed).
NOT_DICOM = standard.NOT_DICOM
KEY = standard.KEY
#: Types of value, from the most to the least specific; a value seen as two keeps the first.
KIND_ORDER = ("name", "id", "date", "uid", "address", "phone", "institution", "device",
              "label", "private text", "header text", "text")  # fmt: skip


def _rank(kind: str) -> int:
    return KIND_ORDER.index(kind) if kind in KIND_ORDER else len(KIND_ORDER)


def long_enough(value: str) -> bool:
    """Three characters, or two outside ASCII (a Korean or Chinese family name is often one
    or two characters; one is too short to search for without finding it everywhere)."""
    value = value.strip()
    return len(value) >= MIN_LENGTH or (len(value) >= 2 and not value.isascii())


@dataclass
class Value:
    """One identifying value, its kind, and the attributes it came from (tags)."""

    text: str = field(repr=False)
    kind: str
    origins: set[int] = field(default_factory=set)


class Values(dict[str, Value]):
    """Identifying values by their text (as found, case kept), with their origins.

    ``common`` holds the values the sources also carry in attributes the standard keeps
    (a ROI's interpreted type "GTV" that is also its name): those are not identifying, unless
    they are a name, a date or a UID (see ``drop_common``). ``held`` holds, per attribute
    (by tag, at any depth), the sources' text of it in lower case: a value found inside an
    attribute that held it in the source too, where the declared options keep that attribute,
    was kept, not leaked (see ``scan``).
    """

    def __init__(self) -> None:
        super().__init__()
        self.common: set[str] = set()
        self.held: dict[int, set[str]] = {}

    def drop_common(self) -> None:
        for text in [t for t, v in self.items() if t.lower() in self.common]:
            if self[text].kind not in ("name", "date", "uid") and KEY not in self[text].origins:
                del self[text]

    def add(self, text: str, kind: str, origin: int) -> None:
        text = " ".join(str(text).split()) if "\n" in str(text) else str(text).strip()
        if not long_enough(text) or text.casefold() in PLACEHOLDERS:
            return
        entry = self.get(text)
        if entry is None:
            self[text] = Value(text, kind, {origin})
            return
        entry.origins.add(origin)
        if _rank(kind) < _rank(entry.kind):
            entry.kind = kind

    def add_name(self, name: str, origin: int) -> None:
        """A person name, each of its groups and each component of each group."""
        self.add(name, "name", origin)
        for group in name.split("="):
            self.add(group, "name", origin)
            for part in group.split("^"):
                self.add(part, "name", origin)

    def add_date(self, value: str, origin: int) -> None:
        """A date (DA, the date of a DT, an ISO date or date-time) in the forms people write."""
        m = LEADING_DATE.match(value)
        if not m:
            return
        try:
            d = dt.date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            return
        for form in ("%Y%m%d", "%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%m/%d/%Y", "%Y/%m/%d",
                     "%d-%m-%Y"):  # fmt: skip
            self.add(d.strftime(form), "date", origin)

    def add_dates_in(self, text: str, origin: int) -> None:
        for m in ISO_DATE.finditer(text):
            self.add_date(m.group(0), origin)


#: The kind of value an attribute holds, by a word of its keyword (first match wins).
KEYWORD_KINDS = (("Address", "address"), ("Telephone", "phone"), ("Institution", "institution"),
                 ("Station", "device"), ("Serial", "device"), ("Device", "device"))  # fmt: skip


def _kind(tag: int, vr: str) -> str:
    keyword = keyword_for_tag(tag) or ""
    for word, kind in KEYWORD_KINDS:
        if word in keyword:
            return kind
    if vr == "AE":
        return "device"
    return "text" if vr in FREE_TEXT_VRS else "id"


def _origin(tags: tuple[int, ...]) -> int:
    tag = tags[-1]
    if tag == 0x00020003:  # Media Storage SOP Instance UID: the SOP Instance UID again
        return 0x00080018
    return tag


def from_dataset(ds: Any, into: Values) -> None:
    """Every identifying value of one DICOM dataset (file meta information included)."""
    for dataset in (getattr(ds, "file_meta", None), ds):
        if dataset is None:
            continue
        for _, tags, vr, raw, value in files.elements(dataset):
            _element(tags, vr, raw, value, into)


def _element(tags: tuple[int, ...], vr: str, raw: bytes | None, value: Any, into: Values) -> None:
    tag = tags[-1]
    private = any((t >> 16) % 2 == 1 for t in tags)
    if private and tag & 0xFF00 == 0 and tag & 0xFFFF >= 0x10:
        return  # a private creator names a vendor's block, not a person
    texts = files.strings(value)
    texts += _other_decodings(raw, texts)
    origin = _origin(tags)
    if vr == "PN":
        for text in texts:
            into.add_name(text, origin)
        return
    if not private and texts:
        into.held.setdefault(tag, set()).update(t.lower() for t in texts)
    if not (private or standard.listed(tag)):
        into.common.update(t.lower() for t in texts)  # kept by the profile: not identifying
        return
    if vr == "UI":
        for text in texts:
            if text not in UID_dictionary:  # a registered UID names a class, not an instance
                into.add(text, "uid", origin)
    elif vr in DATE_VRS:
        for text in texts:
            into.add_date(text, origin)
            if vr == "DT":
                into.add(text, "date", origin)
    elif vr in TEXT_VRS:
        kind = "private text" if private else _kind(tag, vr)
        for text in texts:
            into.add(text, kind, origin)
            if vr in FREE_TEXT_VRS:
                into.add_dates_in(text, origin)


def _other_decodings(raw: bytes | None, texts: list[str]) -> list[str]:
    """The raw value read as UTF-8 too, when that differs from the declared decoding.

    Why: a source written in UTF-8 without declaring it is decoded by pydicom as Latin-1;
    a tool that re-encodes it correctly would write the name verify would then not know.
    """
    if not raw or raw.isascii():
        return []
    try:
        text = raw.decode("utf-8").strip("\x00 ")
    except UnicodeDecodeError:
        return []
    return [t for t in text.split("\\") if t and t not in texts]


def from_nifti(header: Any, into: Values) -> None:
    """Text fields and extensions of a NIfTI/Analyze header (a DICOM extension as DICOM)."""
    for _, text in files.nifti_text(header):
        into.add(text, "header text", NOT_DICOM)
        into.add_dates_in(text, NOT_DICOM)
    for code, raw in files.nifti_extensions(header):
        if code == 2:  # NIFTI_ECODE_DICOM: a DICOM dataset without preamble
            with contextlib.suppress(files.Unreadable):
                from_dataset(files.read_dicom(raw), into)
        try:
            text = raw.decode("utf-8").strip("\x00 \n")
        except UnicodeDecodeError:
            continue  # binary content: a DICOM extension was read above, others hold no text
        if all(c.isprintable() or c in "\n\r\t" for c in text):
            into.add(text, "header text", NOT_DICOM)
            into.add_dates_in(text, NOT_DICOM)


def from_json(doc: Any, into: Values, key: str = "") -> None:
    """Sidecar values under a DICOM keyword the table lists, or under an identifying key."""
    if isinstance(doc, dict):
        for k, v in doc.items():
            from_json(v, into, str(k))
        return
    if isinstance(doc, list):
        for v in doc:
            from_json(v, into, key)
        return
    if not isinstance(doc, str):
        return
    tag = tag_for_keyword(key)
    if tag is not None and standard.listed(tag):
        vr = dictionary_VR(tag)
        if vr == "PN":
            into.add_name(doc, tag)
        elif vr in DATE_VRS:
            into.add_date(doc, tag)
        elif vr in TEXT_VRS or vr == "UI":
            into.add(doc, "uid" if vr == "UI" else _kind(tag, vr), tag)
            into.add_dates_in(doc, tag)
    elif tag is None and IDENTIFYING_KEY.search(key):
        if "^" in doc:
            into.add_name(doc, NOT_DICOM)
        into.add(doc, "text", NOT_DICOM)
        into.add_dates_in(doc, NOT_DICOM)


def from_table(header: list[str], rows: list[list[str]], into: Values) -> None:
    """Cells of a BIDS table in identifying columns; labels; dates in date columns."""
    for i, column in enumerate(header):
        labels = column in SUBJECT_COLUMNS
        words = set(re.split(r"[_\-\s]+", column.lower()))
        identifying = labels or IDENTIFYING_KEY.search(column) or words & IDENTIFYING_WORD
        identifying = identifying or "time" in words
        if not identifying:
            continue
        for row in rows:
            cell = row[i].strip() if i < len(row) else ""
            if not cell:
                continue  # "n/a" and other placeholders are no values either (PLACEHOLDERS)
            if labels:
                from_path(cell, into)
                continue
            into.add_dates_in(cell, NOT_DICOM)
            if "time" in column.lower() or "date" in column.lower():
                continue
            if "^" in cell:
                into.add_name(cell, NOT_DICOM)
            into.add(cell, "text", NOT_DICOM)


def from_path(rel: str, into: Values) -> None:
    """BIDS subject and session labels that look like a record number or a date."""
    for entity, label in BIDS_LABEL.findall(rel):
        if ISO_DATE.fullmatch(label):
            into.add_date(label, NOT_DICOM)
        if len(label) >= 4 and any(c.isdigit() for c in label):
            into.add(label, "label", NOT_DICOM)
            into.add(f"{entity}-{label}", "label", NOT_DICOM)


__all__ = ["Value", "Values", "long_enough", "from_dataset", "from_nifti", "from_json",
           "from_table", "from_path"]  # fmt: skip
