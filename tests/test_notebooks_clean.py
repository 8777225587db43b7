"""Committed notebooks carry no outputs: outputs of real data are a leak path."""

from __future__ import annotations

import subprocess

import nbformat
import pytest
from conftest import ROOT


def _notebooks() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "*.ipynb"], cwd=ROOT, capture_output=True, text=True, check=False
    ).stdout.split()
    on_disk = [str(p.relative_to(ROOT)) for p in (ROOT / "notebooks").glob("*.ipynb")]
    return sorted(set(listed) | set(on_disk))


@pytest.mark.parametrize("name", _notebooks())
def test_notebook_has_no_outputs(name: str) -> None:
    nb = nbformat.read(ROOT / name, as_version=4)
    dirty = [
        i
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code" and (cell.get("outputs") or cell.get("execution_count"))
    ]
    assert not dirty, f"{name}: cells {dirty} have outputs; clear them before committing"
