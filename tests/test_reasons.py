"""Reasons in the report and on stderr never carry the values an exception quoted."""

from __future__ import annotations

from imgshare.reasons import from_exception


def test_quoted_values_and_long_numbers_are_hidden() -> None:
    exc = ValueError("Invalid value for VR PN: 'Doe^Jane' in MRN 778899001\nsecond line")
    reason = from_exception(exc)
    assert "Doe" not in reason and "778899001" not in reason and "second" not in reason
    assert reason == "Invalid value for VR PN: [value] in MRN [number]"


def test_empty_message_names_the_exception() -> None:
    assert from_exception(KeyError()) == "KeyError"
    assert len(from_exception(ValueError("x" * 500))) == 200
