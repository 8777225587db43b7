"""The skip policy of tests/conftest.py: a missing component skips under plain pytest and
fails under make test (IMGSHARE_REQUIRE_ALL=1), whether a test declares it or an old-style
skip names it."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]
CONFTEST = Path(__file__).with_name("conftest.py")
TESTS = """
import pytest
from conftest import require

@pytest.mark.requires("tesseract")
def test_marked():
    pass

def test_called():
    require("orthanc")

@pytest.mark.skipif(True, reason="Tesseract is not installed")
def test_old_style():
    pass

@pytest.mark.skipif(True, reason="not relevant on this platform")
def test_other_skip():
    pass

def test_plain():
    pass
"""


@pytest.mark.parametrize("require_all, passed, skipped, failed", [
    ("", 1, 4, 0),  # a contributor's pytest: every missing component skips, with a message
    ("1", 1, 1, 3),  # make test: each of the three fails; an unrelated skip stays a skip
])  # fmt: skip
def test_missing_components_skip_or_fail(
    pytester, monkeypatch, require_all, passed, skipped, failed
):
    pytester.makeconftest(CONFTEST.read_text())
    pytester.makepyfile(test_policy=TESTS)
    monkeypatch.setenv("IMGSHARE_PRETEND_MISSING", "tesseract,orthanc")
    monkeypatch.setenv("IMGSHARE_REQUIRE_ALL", require_all)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-rs")
    counts = result.parseoutcomes()
    assert counts.get("passed", 0) == passed and counts.get("skipped", 0) == skipped
    assert counts.get("failed", 0) + counts.get("errors", counts.get("error", 0)) == failed
    if require_all:
        result.stdout.fnmatch_lines(["*tesseract is missing*make test requires it*"])
    else:
        result.stdout.fnmatch_lines(["*tesseract is missing (install: Debian packages*"])


def test_an_unknown_component_is_an_error(pytester):
    pytester.makeconftest(CONFTEST.read_text())
    pytester.makepyfile('import pytest\n@pytest.mark.requires("tesseract-5")\ndef test_x(): pass\n')
    counts = pytester.runpytest_subprocess("-p", "no:cacheprovider").parseoutcomes()
    assert counts.get("passed", 0) == 0 and counts.get("errors", counts.get("error")) == 1
