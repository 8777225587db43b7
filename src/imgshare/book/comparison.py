"""Comparison tables kept as CSV files, loaded with a completeness check.

Why: the guidance chapters compare regulators and repositories in tables that the working
group edits as CSV files. A table with a silently empty cell misleads a reader, so a cell
may be left without facts only by saying why (for example "not stated in the guidance").
``load`` refuses a table with an empty cell and names the cells to fill.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd


def empty_cells(table: pd.DataFrame) -> list[tuple[int, str]]:
    """(row number, column) of every cell that is missing or only whitespace."""
    found = []
    for i, row in table.iterrows():
        for column, value in row.items():
            if pd.isna(value) or not str(value).strip():
                found.append((int(i), str(column)))
    return found


def load(path: str | Path) -> pd.DataFrame:
    """Read a comparison CSV; raise ValueError if any cell is empty."""
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = empty_cells(table)
    if missing:
        raise ValueError(f"{Path(path).name}: empty cells (row, column): {missing}")
    return table


def to_markdown(table: pd.DataFrame, sources: str = "sources") -> str:
    """A Markdown table; the ``sources`` column (keys separated by ';') becomes citations.

    The book renders Markdown outputs as MyST, so the citations link to the bibliography.
    """

    def cell(column: str, value: str) -> str:
        if column == sources:
            keys = ",".join(k.strip() for k in value.split(";") if k.strip())
            return f"{{cite:p}}`{keys}`"
        return value.replace("|", "\\|").replace("\n", " ")

    header = "| " + " | ".join(table.columns) + " |"
    rule = "|" + "---|" * len(table.columns)
    rows = [
        "| " + " | ".join(cell(c, str(v)) for c, v in row.items()) + " |"
        for _, row in table.iterrows()
    ]
    return "\n".join([header, rule, *rows])
