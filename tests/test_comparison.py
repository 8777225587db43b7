"""Tests for imgshare.book.comparison and the guidance part's comparison tables."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from imgshare.book import comparison

DATA = Path(__file__).resolve().parents[1] / "book" / "guidance" / "data"


def test_empty_cells_found(tmp_path: Path) -> None:
    csv = tmp_path / "t.csv"
    csv.write_text("a,b,sources\nx, ,K1\n")
    with pytest.raises(ValueError, match=r"\(0, 'b'\)"):
        comparison.load(csv)


def test_markdown_turns_sources_into_citations() -> None:
    table = pd.DataFrame({"name": ["a|b"], "sources": ["K1; K2"]})
    text = comparison.to_markdown(table)
    assert "{cite:p}`K1,K2`" in text
    assert "a\\|b" in text


@pytest.mark.parametrize("name", sorted(p.name for p in DATA.glob("*.csv")))
def test_guidance_tables_are_complete(name: str) -> None:
    comparison.load(DATA / name)
