"""Live sessions: every trainer's notebook runs offline from a clean kernel within a minute.

The measured times are recorded for the build-information and training pages.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from imgshare.book import buildinfo

NOTEBOOKS = buildinfo.notebooks()


def test_there_are_notebooks() -> None:
    assert NOTEBOOKS, "notebooks/ has no notebooks"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs_within_the_time_limit(path: Path) -> None:
    seconds = buildinfo.run_notebook(path)
    buildinfo.record(path, seconds)
    print(f"{path.name}: {seconds:.1f} s")
    assert seconds < buildinfo.TIME_LIMIT_S, f"{path.name} took {seconds:.0f} s"


def test_notebooks_have_titles() -> None:
    for path in NOTEBOOKS:
        assert buildinfo.notebook_title(path) != path.stem, f"{path.name} has no '# Title'"


def test_times_are_reused_until_the_notebook_changes(tmp_path: Path, monkeypatch) -> None:
    store = tmp_path / "times.json"
    for path in NOTEBOOKS:
        buildinfo.record(path, 1.5, store)
    monkeypatch.setattr(buildinfo, "run_notebook", lambda p: pytest.fail(f"ran {p.name} again"))
    rows = buildinfo.notebook_times(store)
    assert [r["seconds"] for r in rows] == [1.5] * len(NOTEBOOKS)
    data = json.loads(store.read_text())
    data[NOTEBOOKS[0].name]["fingerprint"] = "stale"
    store.write_text(json.dumps(data))
    monkeypatch.setattr(buildinfo, "run_notebook", lambda p: 2.5)
    assert buildinfo.notebook_times(store)[0]["seconds"] == 2.5


def test_package_versions_match_the_pins() -> None:
    rows = buildinfo.package_versions()
    names = {r["package"] for r in rows}
    assert {"jupyter-book", "pydicom", "selenium"} <= names
    differ = [r for r in rows if r["installed"] != r["pinned"]]
    assert not differ, f"installed versions differ from requirements.txt: {differ}"


def test_python_info_names_the_interpreter() -> None:
    info = buildinfo.python_info()
    assert info["Python"].count(".") == 2 and info["imgshare"]
