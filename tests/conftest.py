"""Shared paths and fixtures for the test suite, and the policy for missing dependencies.

Skip policy. A test that needs a system component says so with a marker::

    @pytest.mark.requires("tesseract")        # or "orthanc", "orthanc-dicomweb",
    def test_ocr_reads_the_label(): ...       # "chromium", "bids-validator"

or, where the need is only known inside the test (a fixture, a server), by calling
``require("orthanc-dicomweb")`` from this module. When the component is missing, a
contributor's plain ``pytest`` skips the test with a message that names the Debian or PyPI
package to install; under ``make test`` (which sets ``IMGSHARE_REQUIRE_ALL=1``, and whose
set-up installs every component) the test fails instead, so a green ``make test`` means the
OCR, server, browser and validator tests really ran. As a safety net, under ``make test`` any
skip whose reason names one of these components (an older ``skipif`` or ``importorskip``)
is turned into a failure too.
"""

from __future__ import annotations

import glob
import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "_build"
HTML = BUILD / "html"
#: Set by ``make test``: a missing component fails the test instead of skipping it.
REQUIRE_ALL = os.environ.get("IMGSHARE_REQUIRE_ALL", "") not in ("", "0")


def _has_module(name: str) -> bool:
    return importlib.util.find_spec(name) is not None


def _orthanc() -> bool:
    return bool(shutil.which("Orthanc") or Path("/usr/sbin/Orthanc").exists())


def _dicomweb_plugin() -> bool:
    dirs = ("/usr/share/orthanc/plugins", "/usr/lib/orthanc", "/usr/local/share/orthanc")
    return any(glob.glob(f"{d}/*DicomWeb*.so*") for d in dirs)


#: Each component: how to tell it is here, and what installs it.
COMPONENTS = {
    "tesseract": (lambda: bool(shutil.which("tesseract")) and _has_module("pytesseract"),
                  "Debian packages tesseract-ocr, tesseract-ocr-eng; PyPI pytesseract"),
    "orthanc": (_orthanc, "Debian package orthanc"),
    "orthanc-dicomweb": (lambda: _orthanc() and _dicomweb_plugin(),
                         "Debian package orthanc-dicomweb"),
    "chromium": (lambda: bool(shutil.which("chromium") or Path("/usr/bin/chromium").exists())
                 and bool(shutil.which("chromedriver") or Path("/usr/bin/chromedriver").exists())
                 and _has_module("selenium"),
                 "Debian packages chromium, chromium-driver; PyPI selenium"),
    "bids-validator": (lambda: _has_module("bids_validator_deno") and _has_module("deno"),
                       "PyPI bids-validator-deno, deno"),
}  # fmt: skip
#: Words that, in a skip reason, name one of the components (the safety net's net).
COMPONENT_WORDS = ("tesseract", "ocr", "orthanc", "dicomweb", "chromium", "chromedriver",
                   "selenium", "bids-validator", "bids_validator", "deno")  # fmt: skip


def missing(name: str) -> str | None:
    """Why a component is not usable here, or None if it is.

    ``IMGSHARE_PRETEND_MISSING=tesseract,orthanc`` makes components count as missing, to see
    what a machine without them would report (the policy's own test uses it).
    """
    probe, install = COMPONENTS[name]
    pretend = os.environ.get("IMGSHARE_PRETEND_MISSING", "").split(",")
    try:
        ok = name not in pretend and probe()
    except Exception:  # noqa: BLE001 - a probe that breaks means the component is not usable
        ok = False
    return None if ok else f"{name} is missing (install: {install})"


def require(name: str) -> None:
    """Skip (plain pytest) or fail (make test) the calling test if a component is missing."""
    why = missing(name)
    if why is None:
        return
    if REQUIRE_ALL:
        pytest.fail(f"{why}; make test requires it (scripts/setup.sh installs it)", pytrace=False)
    pytest.skip(f"{why}; make test would fail here")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "requires(name): needs a system component (see tests/conftest.py)"
    )


def pytest_runtest_setup(item: pytest.Item) -> None:
    for marker in item.iter_markers("requires"):
        for name in marker.args:
            if name not in COMPONENTS:
                pytest.fail(f"unknown component {name!r}; known: {', '.join(COMPONENTS)}")
            require(name)


def _fail_a_skip_that_blames_a_component(report) -> None:
    """Under make test, turn a skip whose reason names a missing component into a failure."""
    if not (REQUIRE_ALL and report.skipped) or hasattr(report, "wasxfail"):
        return
    reason = str(report.longrepr[-1] if isinstance(report.longrepr, tuple) else report.longrepr)
    if any(word in reason.lower() for word in COMPONENT_WORDS):
        report.outcome = "failed"
        report.longrepr = f"skipped under make test, which requires every component: {reason}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """A skipped test (a ``skipif`` or ``pytest.skip`` naming a component)."""
    outcome = yield
    _fail_a_skip_that_blames_a_component(outcome.get_result())


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector: pytest.Collector):
    """A whole module skipped at import (``pytest.importorskip``)."""
    outcome = yield
    _fail_a_skip_that_blames_a_component(outcome.get_result())


def toc_files() -> list[Path]:
    """The chapter files named in _toc.yml (only those are built)."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    found: list[str] = [toc["root"]]

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if "file" in node:
                found.append(node["file"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(toc.get("parts", toc.get("chapters", [])))
    paths = []
    for name in found:
        for ext in (".md", ".ipynb"):
            if (ROOT / f"{name}{ext}").exists():
                paths.append(ROOT / f"{name}{ext}")
    return paths


@pytest.fixture(scope="session")
def built_book() -> Path:
    """Build the whole book strictly, once per test session, as `make book` does."""
    jb = Path(sys.executable).parent / "jupyter-book"
    result = subprocess.run(
        [str(jb), "build", str(ROOT), "-W", "-n", "--keep-going"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "PYDEVD_DISABLE_FILE_VALIDATION": "1"},
    )
    log = BUILD / "test-build.log"
    BUILD.mkdir(exist_ok=True)
    log.write_text(result.stdout + "\n--- stderr ---\n" + result.stderr)
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).splitlines()[-60:])
        pytest.fail(f"strict book build failed (full log: {log}):\n{tail}", pytrace=False)
    return HTML


#: Set by scripts/mutation.py. mutmut runs the clean tests in its own process and then forks
#: one child per mutant, so every process-wide cache filled by the clean run is inherited:
#: the engine's decision cache would hand each mutant of ``_decide_uncached`` the decisions
#: of the unmutated code, and the mutant would "survive" untested. Emptied once at the start of
#: each test session (each mutant's child), before any module-scoped fixture runs the engine.
MUTATION = os.environ.get("IMGSHARE_MUTATION", "") not in ("", "0")


@pytest.fixture(scope="session", autouse=MUTATION)
def _fresh_caches():
    """Empty the caches whose contents the code under mutation computes (mutation runs only)."""
    import sys

    engine = sys.modules.get("imgshare.dicom.engine")
    if engine is not None:
        engine._DECISIONS.clear()
        engine._TAG_TEXTS.clear()
    elements = sys.modules.get("imgshare.dicom.elements")
    if elements is not None:
        elements.dictionary_vr.cache_clear()
    text = sys.modules.get("imgshare.dicom.text")
    if text is not None:
        text._medical_cached.cache_clear()
    yield
