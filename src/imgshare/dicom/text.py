"""Clean Descriptors and Clean Structured Content: remove identifying values from free text.

Why: descriptions, comments and report text are useful to researchers and often name the
patient, the staff, a date or an accession number. Cleaning removes, from each text value,
(1) every identifying value found anywhere in the same dataset (names in any component order
and case, IDs, dates written in common formats) and (2) patterns that identify whatever
their source (dates, phone numbers, e-mail addresses, long digit runs). Where a value still
looks identifying after that (a title followed by a name, say), it is removed whole: a
value that cannot be cleaned with confidence does not go out.

What it cannot catch: a name or place that appears nowhere in the header and follows no
pattern (for example a relative's name typed into a comment), misspellings, and text
burned into pixels. The de-identification chapter says so.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

REDACTED = "[REMOVED]"
MIN_TOKEN = 2  # shortest name component or ID that is searched for

_MONTHS = "jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec|january|february|march|april|june|july|august|september|october|november|december"  # noqa: E501
PATTERNS = [
    # dates: 2017-03-02, 02/03/2017, 2.3.17, 20170302, 3 March 2017, March 3, 2017
    re.compile(r"\b\d{4}[-/.]\d{1,2}[-/.]\d{1,2}\b"),
    re.compile(r"\b\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}\b"),
    re.compile(r"\b(19|20)\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])\b"),
    re.compile(rf"\b\d{{1,2}}\s*(?:{_MONTHS})\.?,?\s*\d{{2,4}}\b", re.I),
    re.compile(rf"\b(?:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s*\d{{2,4}}\b", re.I),
    # e-mail addresses and phone numbers
    re.compile(r"\b[\w.+-]+@[\w-]+(\.[\w-]+)+\b"),
    re.compile(r"(?:\+\d{1,3}[\s-]?)?(?:\(\d{2,4}\)[\s-]?)?\d{2,4}[\s-]\d{3,4}[\s-]\d{3,4}\b"),
    # long runs of digits (record numbers, accession numbers), with separators
    re.compile(r"\b\d(?:[\s-]?\d){4,}\b"),
]
#: After cleaning, text that still matches this is removed whole.
SUSPICIOUS = re.compile(
    r"\b(?:dr|mr|mrs|ms|miss|prof|patient|pt|name|dob|born|mrn)\b\.?\s*[:#]?\s*(?P<name>[A-Z][a-z]+)",
    re.I,
)


def date_variants(value: str) -> set[str]:
    """A DICOM date written in the ways people type dates in free text."""
    try:
        date = dt.datetime.strptime(value.strip()[:8], "%Y%m%d").date()
    except ValueError:
        return set()
    d, m, y = date.day, date.month, date.year
    forms = {
        f"{y:04d}{m:02d}{d:02d}",
        f"{y:04d}-{m:02d}-{d:02d}",
        f"{d:02d}/{m:02d}/{y:04d}",
        f"{m:02d}/{d:02d}/{y:04d}",
        f"{d}/{m}/{y}",
        f"{m}/{d}/{y}",
        f"{d:02d}.{m:02d}.{y:04d}",
        f"{d:02d}-{m:02d}-{y:04d}",
        f"{d:02d}/{m:02d}/{y % 100:02d}",
        f"{m:02d}/{d:02d}/{y % 100:02d}",
        date.strftime("%d %B %Y"),
        date.strftime("%d %b %Y"),
        date.strftime("%B %d, %Y"),
        date.strftime("%b %d, %Y"),
    }
    return forms


def name_tokens(value: str) -> set[str]:
    """Components of a DICOM person name (all groups), and the name written as a phrase."""
    tokens: set[str] = set()
    for group in value.split("="):
        parts = [p.strip() for p in group.split("^") if p.strip()]
        for part in parts:
            tokens.add(part)
            tokens.update(w for w in re.split(r"[\s,.]+", part) if len(w) >= MIN_TOKEN)
        if len(parts) >= 2:
            tokens.add(" ".join(parts))
            tokens.add(" ".join(reversed(parts)))
    return {t for t in tokens if len(t) >= MIN_TOKEN}


class Cleaner:
    """Removes a dataset's own identifying values, and identifying patterns, from text."""

    def __init__(self, values: Iterable[str]) -> None:
        tokens = sorted({v for v in values if len(v) >= MIN_TOKEN}, key=len, reverse=True)
        self._values = (
            re.compile(
                "|".join((r"(?<![A-Za-z0-9])" + re.escape(t) + r"(?![A-Za-z0-9])") for t in tokens),
                re.I,
            )
            if tokens
            else None
        )

    def clean(self, text: str) -> str | None:
        """The text without identifying content, or None when it cannot be made safe."""
        original = text
        if self._values is not None:
            text = self._values.sub(REDACTED, text)
        for pattern in PATTERNS:
            text = pattern.sub(REDACTED, text)
        if SUSPICIOUS.search(text):
            return None
        # A title can itself be a header value (the prefix "Dr" of another person's name):
        # removing it must not hide the name that followed it, so look at the original too.
        for match in SUSPICIOUS.finditer(original):
            word = re.escape(match.group("name"))
            if re.search(rf"(?<![A-Za-z0-9]){word}(?![A-Za-z0-9])", text, re.I):
                return None
        return text
