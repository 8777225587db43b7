"""references.bib parses, every citation resolves, every entry is cited and complete."""

from __future__ import annotations

import re

import bibtexparser
import pytest
from conftest import ROOT, toc_files

CITE = re.compile(r"\{(?:cite|footcite)(?::[a-z]+)?\}`([^`]+)`")


def _library():
    return bibtexparser.parse_string((ROOT / "references.bib").read_text())


def _cited() -> dict[str, list[str]]:
    keys: dict[str, list[str]] = {}
    for page in toc_files():
        for match in CITE.finditer(page.read_text()):
            for key in match.group(1).split(","):
                keys.setdefault(key.strip(), []).append(page.name)
    return keys


def test_bib_parses_without_errors() -> None:
    library = _library()
    assert not library.failed_blocks, [b.error for b in library.failed_blocks]
    assert library.entries


def test_keys_are_unique() -> None:
    keys = [e.key for e in _library().entries]
    assert len(keys) == len(set(keys)), "duplicate keys in references.bib"


def test_every_citation_exists() -> None:
    known = {e.key for e in _library().entries}
    missing = {k: v for k, v in _cited().items() if k not in known}
    assert not missing, f"cited but not in references.bib: {missing}"


def test_every_entry_is_cited() -> None:
    cited = set(_cited())
    unused = sorted(e.key for e in _library().entries if e.key not in cited)
    assert not unused, f"in references.bib but never cited: {unused}"


@pytest.mark.parametrize("field", ["title", "year"])
def test_entries_have_field(field: str) -> None:
    lacking = [e.key for e in _library().entries if field not in e.fields_dict]
    assert not lacking, f"entries without {field}: {lacking}"


def test_entries_have_doi_or_url() -> None:
    lacking = [
        e.key
        for e in _library().entries
        if "doi" not in e.fields_dict and "url" not in e.fields_dict
    ]
    assert not lacking, f"entries without a DOI or URL: {lacking}"


def test_keys_follow_author_year_word() -> None:
    bad = [
        e.key
        for e in _library().entries
        if not re.fullmatch(r"[A-Z][A-Za-z0-9]*\d{4}[a-z][A-Za-z0-9]*", e.key)
    ]
    assert not bad, f"keys not in the form AuthorYYYYword: {bad}"
