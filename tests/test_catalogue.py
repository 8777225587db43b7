"""The catalogue shows every row of Table E.1-1 with the actions the engine's data gives."""

from __future__ import annotations

import collections
import json
from importlib.resources import files

from test_profile import BASIC_COUNTS

from imgshare import profile
from imgshare.book import catalogue


def _raw() -> list[dict]:
    return json.loads((files("imgshare.profile") / "table_e1_1.json").read_text())


def test_catalogue_has_all_621_rows() -> None:
    df = catalogue.dataframe()
    assert len(df) == 621
    assert df.tag.is_unique or df.tag.duplicated().sum() == 0


def test_basic_counts_match_the_json_and_the_standard() -> None:
    df = catalogue.dataframe()
    counts = df.basic.value_counts().to_dict()
    direct = dict(collections.Counter(item["basicProfile"] for item in _raw()))
    assert counts == direct == catalogue.basic_counts()
    assert counts == BASIC_COUNTS


def test_option_counts_match_the_json() -> None:
    df = catalogue.dataframe()
    raw = _raw()
    for slug in catalogue.option_columns():
        column = profile.OPTIONS[slug].column
        direct = dict(collections.Counter(item[column] for item in raw if item.get(column)))
        shown = df[df[slug] != ""][slug].value_counts().to_dict()
        assert shown == direct == catalogue.option_counts()[slug], slug


def test_html_is_self_contained_and_complete() -> None:
    page = catalogue.html_table("t1")
    assert page.count("<tr data-a0=") == 621
    assert "http" not in page  # no network assets
    assert "<script>" in page and "<select>" in page and 'type="search"' in page
    assert "Patient&#x27;s Name" in page


def test_fate_of_utility_attributes() -> None:
    df = catalogue.fate(["SliceThickness", "PatientAge", "StudyDate"]).set_index("keyword")
    assert not df.loc["SliceThickness", "in Table E.1-1"]
    assert df.loc["PatientAge", "Basic Profile"] == "X"
    kept = catalogue.fate(["StudyDate"], ("retain-long-full-dates",))
    assert kept.loc[0, "with options"] == "K"
