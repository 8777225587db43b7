"""CITATION.cff is valid Citation File Format 1.2.0 and agrees with the package and licences.

Why: code hosts and reference managers read the file as it is; an invalid file is ignored
silently. Without network the official validator cannot fetch its schema, so the rules of the
1.2.0 schema that this file uses are checked here.
"""

from __future__ import annotations

import datetime
import importlib.metadata
import re

import yaml
from conftest import ROOT

CFF = yaml.safe_load((ROOT / "CITATION.cff").read_text())
ALLOWED_KEYS = {
    "abstract", "authors", "cff-version", "commit", "contact", "date-released", "doi",
    "identifiers", "keywords", "license", "license-url", "message", "preferred-citation",
    "references", "repository", "repository-artifact", "repository-code", "title", "type",
    "url", "version",
}  # fmt: skip


def test_required_keys_and_only_known_keys() -> None:
    assert CFF["cff-version"] == "1.2.0"
    for key in ("message", "title", "authors"):
        assert CFF.get(key), f"CITATION.cff lacks {key}"
    assert set(CFF) <= ALLOWED_KEYS, f"unknown keys: {set(CFF) - ALLOWED_KEYS}"
    assert CFF.get("type", "software") in ("software", "dataset")


def test_authors_are_persons_or_entities() -> None:
    for author in CFF["authors"]:
        assert "name" in author or "family-names" in author or "given-names" in author


def test_date_version_and_licences() -> None:
    date = CFF["date-released"]
    assert isinstance(date, str | datetime.date)
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(date))
    assert str(CFF["version"]) == importlib.metadata.version("imgshare")
    assert set(CFF["license"]) == {"CC-BY-4.0", "MIT"}
    assert "creativecommons.org/licenses/by/4.0" in (ROOT / "LICENSE-CONTENT").read_text()
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
