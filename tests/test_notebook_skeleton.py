"""Every trainer's notebook has the same skeleton, and the book lists every notebook.

Why: a trainer picks up any notebook in front of a room. The objectives, the minutes of each
section, exercises whose solutions stay folded (and are run by *Run All*, so they are
tested) and the key points must be where the trainer expects them. An exercise answered by
the very next visible cell (notebook 01 had one) is caught here, as is a solution that uses
a name nothing defines (notebook 05 had one): the notebooks run from a clean kernel in
``make test`` (``--nbmake``).
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT, toc_files

from imgshare.book import trainer

NOTEBOOKS = trainer.notebooks(ROOT)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_follows_the_skeleton(path: Path) -> None:
    found = trainer.skeleton(path)
    assert not found.problems, f"{path.name}: {found.problems}"
    assert found.exercises >= 1 and found.solutions == found.exercises
    assert (ROOT / found.chapter) in toc_files(), f"{path.name} links to {found.chapter}"
    assert 5 <= found.minutes <= 45, f"{path.name}: {found.minutes} minutes in all"


def test_the_book_lists_every_notebook() -> None:
    listed = trainer.markdown_table(ROOT)
    assert all(f"* - {p.name}" in listed for p in NOTEBOOKS)
    assert len(NOTEBOOKS) == 6


def _planted(tmp_path: Path, cells: list) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = cells
    path = tmp_path / "planted.ipynb"
    nbformat.write(nb, path)
    return path


def test_an_exercise_answered_by_a_visible_cell_is_caught(tmp_path: Path) -> None:
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    head = md("# T\n\n[Chapter](../book/intro.md)\n\n**Objectives.**\n\n1. one;\n2. two.")
    cells = [
        head,
        md("## 1. Part (5 min)"),
        md("**Exercise.** Which rows identify?"),
        code("rows[rows.VR == 'PN']"),  # the answer, in plain sight
        md("## Key points\n\n- a\n- b"),
    ]
    problems = trainer.skeleton(_planted(tmp_path, cells)).problems
    assert any("not followed by a folded solution" in p for p in problems), problems
    folded = code("rows[rows.VR == 'PN']")
    folded.metadata = {"tags": ["solution"], "jupyter": {"source_hidden": True}}
    cells[3] = folded
    assert trainer.skeleton(_planted(tmp_path, cells)).problems == []
    cells[1] = md("## 1. Part")
    assert any("without minutes" in p for p in trainer.skeleton(_planted(tmp_path, cells)).problems)


def test_solutions_are_folded_in_the_committed_files() -> None:
    for path in NOTEBOOKS:
        for cell in json.loads(path.read_text())["cells"]:
            if "solution" in cell["metadata"].get("tags", []):
                assert cell["metadata"]["jupyter"]["source_hidden"] is True, path.name
