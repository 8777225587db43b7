"""Turn ``imgshare verify`` results into one comparison table: leaks, retention, speed.

Why a table: readers compare tools on a few questions (what leaks, and where; what is kept
for research; whether the release still holds together; how fast), and a table with one
column per tool answers them side by side. Leaks are counted as places (file and location)
where an identifying value was found, by category of hiding place; the checks are shown as
"passed of total". Nothing in the table holds an identifier.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from imgshare.verify import CATEGORIES, Result

CHECK_ROWS = {
    "files released": "source files released",
    "valid": "files still valid instances",
    "pixel data": "pixel data kept",
    "pseudonyms": "patients with one pseudonym",
    "intervals": "study intervals kept",
    "references": "references not broken",
    "references kept": "references kept",
    "research": "research values kept",
}


def score(result: Result, seconds: float | None = None) -> dict[str, Any]:
    """One tool's column: leaks by category, checks, failed files and throughput."""
    col: dict[str, Any] = {}
    by_cat: dict[str, int] = {}
    for f in result.findings:
        by_cat[f.category] = by_cat.get(f.category, 0) + 1
    for category in CATEGORIES:
        col[f"leaks: {category}"] = by_cat.get(category, 0)
    col["leaks: total"] = len(result.findings)
    col["identifying values leaked"] = len({f.value for f in result.findings})
    col["files with a leak"] = len({f.file for f in result.findings})
    for key, label in CHECK_ROWS.items():
        check = result.checks.get(key)
        col[label] = f"{check.passed} of {check.total}" if check else "n/a"
    col["files in the release"] = result.files
    col["verdict"] = "passed" if result.passed else "failed"
    col["not checked"] = "; ".join(n.split(":")[0] for n in result.not_checked) or "none"
    if seconds:
        col["seconds"] = round(seconds, 2)
        col["files/s"] = round(result.files / seconds, 1)
    return col


def table(columns: dict[str, dict[str, Any]], drop_empty: bool = True) -> pd.DataFrame:
    """Tools side by side; leak rows that are zero for every tool are dropped if asked."""
    df = pd.DataFrame(columns)
    if drop_empty:
        leak_rows = [r for r in df.index if r.startswith("leaks: ") and r != "leaks: total"]
        empty = [r for r in leak_rows if (df.loc[r] == 0).all()]
        df = df.drop(index=empty)
    return df


def markdown(df: pd.DataFrame) -> str:
    """A GitHub-flavoured Markdown table (pandas' to_markdown needs tabulate; this does not)."""
    cols = [str(c) for c in df.columns]
    lines = ["| | " + " | ".join(cols) + " |", "|---|" + "---|" * len(cols)]
    for row, values in df.iterrows():
        lines.append(f"| {row} | " + " | ".join(str(v) for v in values) + " |")
    return "\n".join(lines)


def where(result: Result, top: int = 12) -> pd.DataFrame:
    """Where one tool's leaks are: category, location and kind, counted (no values)."""
    rows: dict[tuple[str, str, str], int] = {}
    for f in result.findings:
        location = f.location
        if location.startswith("byte "):
            location = "byte offset"
        elif f.category == "path":
            location = "file or folder name"
        elif f.category == "pixels":
            location = "pixel rows with text"
        key = (f.category, _strip_items(location), f.kind)
        rows[key] = rows.get(key, 0) + 1
    df = pd.DataFrame(
        [(c, loc, k, n) for (c, loc, k), n in rows.items()],
        columns=["category", "location", "kind", "places"],
    )
    return df.sort_values("places", ascending=False).head(top).reset_index(drop=True)


def _strip_items(location: str) -> str:
    import re

    return re.sub(r"\[\d+\]", "[n]", location)


__all__ = ["score", "table", "markdown", "where", "CHECK_ROWS"]
