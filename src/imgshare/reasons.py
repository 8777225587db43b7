"""One-line reasons for the report and stderr, made from exceptions without their values.

Why: a library's error message may quote the value it could not parse ("Invalid value for
VR DA: '19510829'", a name, an ID). Reasons go to the run report and to the terminal, so a
quoted value or a long number in them would print an identifier. This keeps the first line,
replaces anything in quotes and every run of five or more digits, and caps the length.
"""

from __future__ import annotations

import re

_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"|b'[^']*'")
_DIGITS = re.compile(r"\d{5,}")


def from_exception(exc: BaseException, limit: int = 200) -> str:
    """The first line of an exception's message, with values hidden."""
    lines = str(exc).strip().splitlines()
    text = lines[0] if lines else type(exc).__name__
    text = _DIGITS.sub("[number]", _QUOTED.sub("[value]", text))
    return text[:limit]
