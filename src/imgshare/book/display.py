"""How the book's tables and figures look, on the web and in the PDF: one place for both.

Why: a chapter shows a table by ending a cell with a DataFrame, a Series or a pandas Styler.
Left to their defaults these publish an index column nobody asked for, cut long cells with
"...", print a Series as text ending in ``dtype: int64``, and reach the PDF (LaTeX, which has
no HTML) as monospaced text or as the placeholder ``<pandas...Styler at 0x...>``. Figures come
out at matplotlib's 10-point default on canvases up to ten inches wide, so their labels shrink
below legibility when the PDF scales them to the page.

:func:`register`, run in the chapter's kernel when :mod:`imgshare.book` is imported, fixes
this for every page at once, so that no chapter carries presentation code:

- tables lose an unnamed integer index (a named or labelled one becomes an ordinary first
  column), are never truncated, scroll sideways when wide (``imgshare-table`` in
  ``_static/imgshare.css``), and get a LaTeX form: a ``longtable`` with wrapped columns, which
  the PDF build typesets (:class:`LatexTables` tells myst-nb that it is a table, not maths);
- a Series is shown as a two-column table;
- figures use :data:`STYLE`, whose fonts stay legible at the PDF's text width
  (:func:`smallest_font` measures it, and the tests check the book's figure helpers with it).
"""

from __future__ import annotations

import sys
import textwrap
from html.parser import HTMLParser
from typing import Any

#: The PDF's text width in inches (A4 paper, Sphinx's default margins): a figure is scaled to it.
PAGE_WIDTH_IN = 6.3
#: The smallest font, in points at the PDF's text width, that the book accepts in a figure.
MIN_FONT_PT = 7.0
#: Marks a LaTeX output as a table, so that :class:`LatexTables` passes it to LaTeX as is.
LATEX_MARK = "%imgshare-table"

#: matplotlib settings for every figure a chapter draws (larger than the defaults, and crisp
#: in print: 150 dots per inch).
STYLE = {
    "font.size": 11,
    "axes.titlesize": 12,
    "axes.labelsize": 11,
    "xtick.labelsize": 10,
    "ytick.labelsize": 10,
    "legend.fontsize": 10,
    "figure.dpi": 150,
    "savefig.dpi": 150,
    "savefig.bbox": "tight",
}

#: pandas display options: show everything (the book never publishes a cut table).
PANDAS_OPTIONS = {
    "display.max_rows": None,
    "display.max_columns": None,
    "display.max_colwidth": None,
    "display.width": 250,
}


# --- tables -----------------------------------------------------------------------------------


def _plain_index(index) -> bool:
    """True for an index that carries no information: unnamed and made of integers."""
    import pandas as pd

    if any(name is not None for name in index.names):
        return False
    return isinstance(index, pd.RangeIndex) or pd.api.types.is_integer_dtype(index.dtype)


def frame(obj):
    """A DataFrame as the book shows it: no meaningless index, labels as ordinary columns.

    An unnamed integer index (or such a level of a MultiIndex, as ``pd.concat`` adds) is
    dropped; any other index becomes the first columns, headed by its name or left blank.
    """
    import pandas as pd

    if isinstance(obj, pd.Series):
        name = obj.name if obj.name is not None else "value"
        obj = obj.to_frame(name)
    obj = obj.copy()
    plain = [
        level
        for level in range(obj.index.nlevels)
        if _plain_index(obj.index.get_level_values(level))
    ]
    if len(plain) == obj.index.nlevels:
        obj = obj.reset_index(drop=True)
    else:
        if plain:
            obj = obj.droplevel(plain)
        obj.index = obj.index.set_names([n if n is not None else "" for n in obj.index.names])
        obj = obj.reset_index()
    obj.columns = obj.columns.set_names([None] * obj.columns.nlevels)
    return obj


def _hide_plain_index(styler):
    if _plain_index(styler.data.index) and not all(getattr(styler, "hide_index_", [False])):
        styler.hide(axis="index")
    return styler


def _wrap_html(table_html: str) -> str:
    return f'<div class="imgshare-table">{table_html}</div>'


def frame_html(obj) -> str:
    """The HTML of a DataFrame or Series, with no index column and nothing cut."""
    return _wrap_html(frame(obj).to_html(index=False, na_rep="", border=0, classes="imgshare"))


def styler_html(styler) -> str:
    """A Styler's own HTML (its formats and colours kept), without a meaningless index."""
    return _wrap_html(_hide_plain_index(styler).to_html())


class _Cells(HTMLParser):
    """The rows of the first HTML table in a fragment: ``(is_header, text, colspan, rowspan)``."""

    def __init__(self) -> None:
        super().__init__()
        self.head: list[list[tuple[str, int, int]]] = []
        self.body: list[list[tuple[str, int, int]]] = []
        self._section = "body"
        self._row: list[tuple[str, int, int]] | None = None
        self._cell: list[str] | None = None
        self._span = (1, 1)
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("style", "script"):
            self._skip += 1
        elif tag == "thead":
            self._section = "head"
        elif tag == "tbody":
            self._section = "body"
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            values = dict(attrs)
            self._span = (int(values.get("colspan") or 1), int(values.get("rowspan") or 1))
            self._cell = []
        elif tag == "br" and self._cell is not None:
            self._cell.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script"):
            self._skip -= 1
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            text = " ".join("".join(self._cell).split())
            self._row.append((text, *self._span))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            (self.head if self._section == "head" else self.body).append(self._row)
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None and not self._skip:
            self._cell.append(data)


def _grid(rows: list[list[tuple[str, int, int]]]) -> list[list[str]]:
    """Expand colspans and rowspans into a rectangular grid of cell texts."""
    grid: list[list[str]] = []
    pending: dict[tuple[int, int], str] = {}  # (row, column) -> text carried down by rowspan
    for r, row in enumerate(rows):
        out: list[str] = []
        cells = iter(row)
        c = 0
        while True:
            if (r, c) in pending:
                out.append(pending.pop((r, c)))
                c += 1
                continue
            cell = next(cells, None)
            if cell is None:
                break
            text, colspan, rowspan = cell
            for k in range(colspan):
                out.append(text)
                for down in range(1, rowspan):
                    pending[(r + down, c + k)] = text
            c += colspan
        grid.append(out)
    width = max((len(r) for r in grid), default=0)
    return [r + [""] * (width - len(r)) for r in grid]


def cells(table_html: str) -> tuple[list[str], list[list[str]]]:
    """One header row (multi-level headers joined) and the body rows of an HTML table."""
    parser = _Cells()
    parser.feed(table_html)
    head, body = _grid(parser.head), _grid(parser.body)
    width = max([len(r) for r in head + body] or [0])
    header = []
    for c in range(width):
        parts: list[str] = []
        for row in head:
            text = row[c] if c < len(row) else ""
            if text and text not in parts:
                parts.append(text)
        header.append(" ".join(parts))
    return header, [r + [""] * (width - len(r)) for r in body]


_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}


def latex_escape(text: str) -> str:
    """Text as LaTeX prints it literally; long tokens (UIDs, paths) may break after . / _ -."""
    out = []
    for word in text.split(" "):
        escaped = "".join(_LATEX_SPECIAL.get(ch, ch) for ch in word)
        escaped = escaped.replace("--", "-{}-").replace("--", "-{}-")  # not a dash: --option
        if len(word) > 14:
            for sep in ("/", ".", r"\_", "-", ","):
                escaped = escaped.replace(sep, sep + r"\allowbreak{}")
        out.append(escaped)
    return " ".join(out)


def latex_table(header: list[str], rows: list[list[str]]) -> str:
    """A ``longtable`` that fits the text width: columns wrap, sized by their content."""
    n = len(header)
    if n == 0:
        return LATEX_MARK + "\n"
    natural = []
    for c in range(n):
        longest = max([len(header[c])] + [len(r[c]) for r in rows])
        natural.append(min(max(longest, 6), 40))
    total = sum(natural)
    size = r"\small" if n <= 4 else r"\footnotesize" if n <= 8 else r"\scriptsize"
    column = r">{\raggedright\arraybackslash}p{\dimexpr %.3f\linewidth-2\tabcolsep\relax}"
    spec = "".join(column % (w / total) for w in natural)
    head = " & ".join(rf"\textbf{{{latex_escape(h)}}}" for h in header) + r" \\"
    body = "\n".join(" & ".join(latex_escape(cell) for cell in row) + r" \\" for row in rows)
    return "\n".join(
        [
            LATEX_MARK,
            r"\begingroup" + size,
            r"\sphinxatlongtablestart",  # Sphinx's own set-up for its tables' rules
            r"\sphinxthistablewithglobalstyle",
            rf"\begin{{longtable}}[l]{{{spec}}}",
            r"\sphinxtoprule",
            head,
            r"\sphinxmidrule",
            r"\endfirsthead",
            r"\sphinxtoprule",
            head,
            r"\sphinxmidrule",
            r"\endhead",
            r"\sphinxbottomrule",
            r"\endlastfoot",
            body,
            r"\end{longtable}",
            r"\sphinxatlongtableend",
            r"\endgroup",
            "",
        ]
    )


def frame_latex(obj) -> str:
    """The LaTeX form of a DataFrame or Series (as :func:`frame_html` shows it)."""
    return latex_table(*cells(frame(obj).to_html(index=False, na_rep="")))


def styler_latex(styler) -> str:
    """The LaTeX form of a Styler: its formatted values, without its colours."""
    return latex_table(*cells(_hide_plain_index(styler).to_html()))


def _styler_text(styler, printer, cycle) -> None:  # IPython's pretty-printer signature
    hidden = getattr(styler, "hide_index_", [False])
    printer.text(styler.data.to_string(index=not all(hidden)))


class LatexTables:
    """A myst-nb mime renderer: a table's LaTeX form goes into the PDF as LaTeX.

    myst-nb renders every ``text/latex`` output as a maths block, which suits equations and
    breaks tables. This plugin (registered under the ``myst_nb.mime_renderers`` entry point in
    ``pyproject.toml``) takes only the outputs that :func:`latex_table` marked and passes them
    through as raw LaTeX; everything else is left to myst-nb.
    """

    mime_priority_overrides: tuple = ()

    @staticmethod
    def handle_mime(renderer: Any, data: Any, inline: bool) -> Any:
        if inline or data.mime_type != "text/latex":
            return None
        text = data.string
        if not text.lstrip().startswith(LATEX_MARK):
            return None
        from docutils import nodes

        return [nodes.raw("", with_sphinx_setup(text), format="latex", classes=["output"])]


def with_sphinx_setup(text: str) -> str:
    """A marked table with Sphinx's set-up around its longtable (its rules need it).

    Outputs executed before the set-up was part of :func:`latex_table` are in the execution
    cache; adding it here, when the page is rendered, fixes them without running them again.
    """
    if r"\sphinxatlongtablestart" not in text:
        text = text.replace(
            r"\begin{longtable}",
            "\\sphinxatlongtablestart\n\\sphinxthistablewithglobalstyle\n\\begin{longtable}",
            1,
        ).replace(r"\end{longtable}", "\\end{longtable}\n\\sphinxatlongtableend", 1)
    return text


# --- figures ----------------------------------------------------------------------------------


def wrap(text: str, width: int) -> str:
    """Text broken into lines of at most ``width`` characters for a figure's label, between
    words only (a long word or a hyphenated term is never split)."""
    return textwrap.fill(text, width, break_long_words=False, break_on_hyphens=False)


def smallest_font(fig) -> float:
    """The smallest text in a matplotlib Figure, in points, once scaled to the PDF's width.

    A figure wider than the text width is shrunk to fit it, and its fonts with it; a narrower
    one is printed at its own size.
    """
    from matplotlib.text import Text

    fig.canvas.draw()  # tick labels exist only once drawn
    width = fig.get_size_inches()[0]
    scale = min(1.0, PAGE_WIDTH_IN / width)
    sizes = [
        text.get_fontsize()
        for text in fig.findobj(Text)
        if text.get_visible() and text.get_text().strip()
    ]
    return min(sizes, default=float("inf")) * scale


# --- registration -----------------------------------------------------------------------------


def register() -> None:
    """In an IPython kernel, apply the book's table and figure forms; elsewhere do nothing."""
    if "IPython" not in sys.modules:
        return
    from IPython import get_ipython

    shell = get_ipython()
    if shell is None:
        return
    import pandas as pd

    for option, value in PANDAS_OPTIONS.items():
        pd.set_option(option, value)
    from pandas.io.formats.style import Styler

    formatters = shell.display_formatter.formatters
    for kind, html, latex in (
        (pd.DataFrame, frame_html, frame_latex),
        (pd.Series, frame_html, frame_latex),
        (Styler, styler_html, styler_latex),
    ):
        formatters["text/html"].for_type(kind, html)
        formatters["text/latex"].for_type(kind, latex)
    formatters["text/plain"].for_type(Styler, _styler_text)
    try:
        import matplotlib
    except ImportError:  # pragma: no cover - matplotlib is pinned for the book
        return
    matplotlib.rcParams.update(STYLE)
