"""Every executable chapter runs top to bottom on its own, from its own folder.

The book build runs them too, but one failing page there reports as a build error; here
each page fails alone with its traceback, which is what a contributor needs.
"""

from __future__ import annotations

from pathlib import Path

import jupytext
import pytest
from conftest import ROOT, toc_files
from nbclient import NotebookClient

PAGES = [p for p in toc_files() if p.suffix == ".md" and "{code-cell}" in p.read_text()]


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_chapter_executes(page: Path) -> None:
    nb = jupytext.read(page)
    client = NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(page.parent)}}
    )
    client.execute()
