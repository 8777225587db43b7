"""Charts for pages where readers compare: the tools side by side, repositories by size.

Why here: a chart drawn inline in a chapter is plumbing the reader does not need to see, and
its fonts and width are easy to get wrong. These functions draw at most the PDF's text width
(:data:`imgshare.book.display.PAGE_WIDTH_IN`) with the book's font sizes, and the tests
measure their smallest text with :func:`imgshare.book.display.smallest_font`.
"""

from __future__ import annotations

import re

import pandas as pd

from imgshare.book.display import PAGE_WIDTH_IN

_FRACTION = re.compile(r"^\s*(\d+) of (\d+)\s*$")


def _fraction(value: object) -> float | None:
    match = _FRACTION.match(str(value))
    if not match or int(match.group(2)) == 0:
        return None
    return int(match.group(1)) / int(match.group(2))


def tools(table: pd.DataFrame):
    """Tools compared: where each leaves identifying values, and which checks it passes.

    ``table`` is :func:`imgshare.scoring.table`'s output (rows "leaks: <category>" with
    counts and check rows with "passed of total"; one column per tool). Left, the places
    where identifying values were found, by category (a log scale, as counts run from one to
    hundreds); right, the share of each check passed.
    """
    import matplotlib.pyplot as plt
    import numpy as np

    leak_rows = [r for r in table.index if r.startswith("leaks: ") and r != "leaks: total"]
    check_rows = [r for r in table.index if _fraction(table.loc[r].iloc[0]) is not None]
    tools_ = list(table.columns)
    fig, (top, bottom) = plt.subplots(
        2, 1, figsize=(PAGE_WIDTH_IN, 0.36 * (len(leak_rows) + len(check_rows)) + 2.4),
        gridspec_kw={"height_ratios": [len(leak_rows), len(check_rows)]},
    )  # fmt: skip
    height = 0.8 / len(tools_)
    colours = plt.get_cmap("tab10").colors
    for i, tool in enumerate(tools_):
        ys = np.arange(len(leak_rows)) + i * height
        counts = [max(float(table.loc[r, tool]), 0) for r in leak_rows]
        top.barh(ys, [c if c > 0 else np.nan for c in counts], height, color=colours[i],
                 label=tool)  # fmt: skip
        ys = np.arange(len(check_rows)) + i * height
        shares = [100 * (_fraction(table.loc[r, tool]) or 0) for r in check_rows]
        bottom.barh(ys, shares, height, color=colours[i])
    centre = (len(tools_) - 1) * height / 2
    top.set_yticks(np.arange(len(leak_rows)) + centre,
                   [r.removeprefix("leaks: ") for r in leak_rows])  # fmt: skip
    top.set_xscale("log")
    top.set_xlim(left=1)
    top.set_xlabel("places where an identifying value was found (log scale; no bar: none)")
    top.set_title("What is left, by hiding place")
    bottom.set_yticks(np.arange(len(check_rows)) + centre, [_short(r) for r in check_rows])
    bottom.set_xlim(0, 100)
    bottom.set_xlabel("share of the check passed (%)")
    bottom.set_title("What survives that must survive")
    for ax in (top, bottom):
        ax.invert_yaxis()
        ax.tick_params(axis="y", length=0)
    top.legend(loc="lower center", ncol=2, frameon=False, bbox_to_anchor=(0.4, 1.12))
    fig.tight_layout()
    return fig


def _short(row: str) -> str:
    return {
        "files still valid instances": "valid DICOM files",
        "patients with one pseudonym": "one pseudonym per patient",
        "study intervals kept": "intervals kept",
        "references not broken": "references not broken",
        "references kept": "references kept",
        "research values kept": "research values kept",
    }.get(row, row)


def sizes_by_unit(sizes: pd.DataFrame):
    """Repository sizes as each source reports them, one panel per unit.

    Why one panel per unit: images and participants are different things, and bars for both
    on one axis invite a comparison that means nothing. ``sizes`` has the columns
    ``repository``, ``count`` and ``unit``.
    """
    import matplotlib.pyplot as plt

    units = list(dict.fromkeys(sizes["unit"]))
    rows = [len(sizes[sizes["unit"] == u]) for u in units]
    fig, axes = plt.subplots(
        len(units), 1, figsize=(PAGE_WIDTH_IN, 0.5 * sum(rows) + 1.0 * len(units)),
        gridspec_kw={"height_ratios": rows}, squeeze=False,
    )  # fmt: skip
    for ax, unit in zip(axes[:, 0], units, strict=True):
        part = sizes[sizes["unit"] == unit]
        counts = part["count"].astype(int)
        ax.barh(part["repository"], counts, color="#4c72b0")
        for y, count in enumerate(counts):
            ax.text(count, y, f" {count:,}", va="center")
        ax.set_xlim(0, counts.max() * 1.35)
        ax.set_xlabel(f"{unit}, as the source reports them")
        ax.invert_yaxis()
        ax.xaxis.set_major_locator(plt.MaxNLocator(4))
        ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda x, _pos: f"{x:,.0f}"))
    fig.tight_layout()
    return fig
