"""Date shifting that keeps intervals within a subject (Retain Longitudinal, Modified Dates).

Why: shifting every date of a subject by the same whole number of days hides the calendar
while keeping the time between scans, which longitudinal analyses need. Times of day are
kept. A value that cannot be parsed with confidence is not guessed at: the caller removes it.
"""

from __future__ import annotations

import datetime as dt
import re

_DA = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_DT = re.compile(r"^(\d{4})(\d{2})(\d{2})(\d*(?:\.\d+)?)?([+-]\d{4})?$")


def shift_da(value: str, days: int) -> str | None:
    """Shift a DA value (YYYYMMDD) by whole days; None if it is not a valid full date."""
    match = _DA.match(value.strip())
    if not match:
        return None
    try:
        date = dt.date(*map(int, match.groups()))
    except ValueError:
        return None
    try:
        return (date + dt.timedelta(days=days)).strftime("%Y%m%d")
    except OverflowError:
        return None


def shift_dt(value: str, days: int) -> str | None:
    """Shift the date part of a DT value, keeping time, fraction and offset as written."""
    match = _DT.match(value.strip())
    if not match:
        return None
    year, month, day, rest, zone = match.groups()
    shifted = shift_da(year + month + day, days)
    if shifted is None:
        return None
    return shifted + (rest or "") + (zone or "")
