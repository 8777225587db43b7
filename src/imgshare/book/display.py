"""Plain-text tables for pandas Stylers, so that the PDF shows them too.

Why: the chapters show tables as pandas Stylers (to hide the index, format numbers). A
Styler has an HTML form only; its plain-text form is "<pandas...Styler at 0x...>". The HTML
book uses the HTML form, but the PDF (LaTeX) build takes the plain text, so every such table
printed as that placeholder. Registering a plain-text form (the table's data as text) for
Stylers in the running IPython kernel fixes the PDF and leaves the HTML unchanged. It is done
by type name, so pandas is not imported until a Styler is shown.
"""

from __future__ import annotations

import sys


def _styler_text(styler, printer, cycle) -> None:  # IPython's pretty-printer signature
    hidden = getattr(styler, "hide_index_", [False])
    printer.text(styler.data.to_string(index=not all(hidden)))


def register() -> None:
    """In an IPython kernel, give pandas Stylers a plain-text form; elsewhere do nothing."""
    if "IPython" not in sys.modules:
        return
    from IPython import get_ipython

    shell = get_ipython()
    if shell is None:
        return
    plain = shell.display_formatter.formatters["text/plain"]
    plain.for_type_by_name("pandas.io.formats.style", "Styler", _styler_text)
