"""Tests for imgshare.risk: quasi-identifiers from headers and k-anonymity measures."""

from __future__ import annotations

import pytest

from imgshare import risk, samples
from imgshare.risk import _age_years


def test_age_from_age_string_and_from_dates() -> None:
    assert _age_years("043Y", "", "") == 43
    assert _age_years("018M", "", "") == 1
    assert _age_years("75Y", "20200704", "20230101") == 75
    assert _age_years("", "19500704", "20061219") == 56
    assert _age_years("", "19500704", "20060703") == 55
    assert _age_years("", "", "20060703") is None


def test_series_counts_as_one_patient() -> None:
    paths = sorted((samples.samples_dir() / "dicom" / "series-ct").glob("*.dcm"))
    assert len(paths) == 5
    records = risk.patient_records(paths)
    assert len(records) == 1
    assert records[0]["sex"] == "M" and records[0]["age"] == 43


def test_generalise_bands_age() -> None:
    assert risk.generalise({"age": 43})["age"] == "40-49"
    assert risk.generalise({"age": None})["age"] == "unknown"


def test_risk_summary_on_small_table() -> None:
    rows = [
        {"sex": "F", "age": "40-49"},
        {"sex": "F", "age": "40-49"},
        {"sex": "M", "age": "40-49"},
        {"sex": "M", "age": "50-59"},
    ]
    summary = risk.risk_summary(rows, ["sex", "age"])
    assert summary["k"] == 1
    assert summary["classes"] == 3
    assert summary["unique_records"] == 2
    assert summary["max_risk"] == 1.0
    assert summary["average_risk"] == pytest.approx(0.75)
    assert summary["share_above_threshold"] == pytest.approx(1.0)
    coarse = risk.risk_summary(rows, ["age"])
    assert coarse["k"] == 1 and coarse["classes"] == 2


def test_risk_summary_rejects_empty() -> None:
    with pytest.raises(ValueError):
        risk.risk_summary([], ["sex"])
