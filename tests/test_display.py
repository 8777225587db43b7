"""Pandas Stylers get a plain-text form in IPython, so tables reach the PDF."""

from __future__ import annotations

import pandas as pd
import pytest

from imgshare.book import display


def test_styler_prints_its_data_in_ipython() -> None:
    shell_mod = pytest.importorskip("IPython.core.interactiveshell")
    shell = shell_mod.InteractiveShell.instance()
    try:
        display.register()
        styler = pd.DataFrame({"file": ["a.dcm"], "KiB": [3]}).style.hide(axis="index")
        text = shell.display_formatter.formatters["text/plain"](styler)
        assert "a.dcm" in text and "Styler at" not in text
        assert not text.lstrip().startswith("0 ")  # the hidden index stays hidden
    finally:
        shell_mod.InteractiveShell.clear_instance()


def test_register_outside_ipython_does_nothing() -> None:
    display.register()  # no kernel: must not raise
