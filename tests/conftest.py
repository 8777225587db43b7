"""Shared paths and fixtures for the test suite."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "_build"
HTML = BUILD / "html"


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
