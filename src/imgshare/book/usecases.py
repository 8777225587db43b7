"""The use-case catalogue: scores from a CSV file, an impact-complexity matrix, a decision tree.

Why data and code: the working group re-scores use cases as requests come in. Keeping the
scores in ``book/use-cases/data/use_cases.csv`` and the arithmetic here means a new score
is one edited cell, and the table and figure in the book follow on the next build. The
decision tree for options is a small data structure for the same reason: a change of
guidance is a change of data, reviewed in a diff.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from imgshare.book.display import PAGE_WIDTH_IN, wrap

#: Impact criteria (1 = low, 5 = high) and complexity/risk criteria (1 = low, 5 = high).
IMPACT = ("requests", "research_value")
COMPLEXITY = ("modality_risk", "volume", "format_complexity", "pixel_identifiers")


def load(path: str | Path) -> pd.DataFrame:
    """Read the catalogue and add the two summary scores (means of their criteria)."""
    table = pd.read_csv(path)
    for column in IMPACT + COMPLEXITY:
        if not table[column].between(1, 5).all():
            raise ValueError(f"{path}: scores in {column} must lie between 1 and 5")
    table["impact"] = table[list(IMPACT)].mean(axis=1).round(2)
    table["complexity"] = table[list(COMPLEXITY)].mean(axis=1).round(2)
    table["priority"] = (table.impact - table.complexity).round(2)
    return table.sort_values(["priority", "impact"], ascending=False).reset_index(drop=True)


def matrix(table: pd.DataFrame):
    """The impact-complexity matrix: quadrants at the scale's midpoint (3)."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(PAGE_WIDTH_IN, 4.6))
    ax.axhline(3, color="grey", lw=0.8)
    ax.axvline(3, color="grey", lw=0.8)
    for label, x, y in (
        ("do first", 1.1, 5.2),
        ("plan carefully", 3.1, 5.2),
        ("if time allows", 1.1, 1.1),
        ("later", 3.1, 1.1),
    ):
        ax.text(x, y, label, color="grey", fontsize=9, style="italic")
    ax.scatter(table.complexity, table.impact, s=60, color="tab:blue")
    for row in table.itertuples():
        ax.annotate(
            row.use_case, (row.complexity, row.impact), xytext=(5, 4),
            textcoords="offset points", fontsize=8,
        )  # fmt: skip
    ax.set(xlim=(1, 5.5), ylim=(1, 5.5), xlabel="Complexity and risk (mean of 4 criteria)",
           ylabel="Impact (mean of 2 criteria)")  # fmt: skip
    ax.set_title("Use cases by impact and complexity (working-group scores)")
    fig.tight_layout()
    return fig


@dataclass(frozen=True)
class Question:
    """One step of the decision tree: a yes adds ``options``; either answer goes on."""

    key: str
    text: str
    options: tuple[str, ...]
    why: str


#: The questions a data-sharing team asks of a request, in the order they ask them.
DECISIONS: tuple[Question, ...] = (
    Question(
        "clinical_dates",
        "Must image dates line up with released clinical data?",
        ("retain-long-modified-dates",),
        "shift by the clinical data's offsets (subject map)",
    ),
    Question(
        "characteristics",
        "Are sex, age, size or weight needed for the analysis?",
        ("retain-patient-characteristics",),
        "keep them; they are in DM already",
    ),
    Question(
        "descriptions",
        "Are series or protocol descriptions needed?",
        ("clean-descriptors",),
        "keep descriptions, cleaned of names and dates",
    ),
    Question(
        "burned_in",
        "Could pixels carry text (US, X-ray, screen captures, photographs)?",
        ("clean-pixel-data",),
        "mask burned-in text, then review",
    ),
    Question(
        "face",
        "Do images show a face (head CT/MR, photographs)?",
        ("clean-recognizable-visual-features",),
        "deface volumes, crop photographs",
    ),
    Question(
        "structured",
        "Are SR, RT structures or annotations included?",
        ("clean-structured-content", "clean-graphics"),
        "clean text in content items and graphics",
    ),
)


def options_for(answers: dict[str, bool]) -> list[str]:
    """The profile options a request needs, given yes/no answers keyed by question key."""
    unknown = set(answers) - {q.key for q in DECISIONS}
    if unknown:
        raise KeyError(f"unknown question(s): {', '.join(sorted(unknown))}")
    chosen: list[str] = []
    for question in DECISIONS:
        if answers.get(question.key):
            chosen += [o for o in question.options if o not in chosen]
    return chosen


def tree_figure(decisions: tuple[Question, ...] = DECISIONS):
    """Draw the questions top-down; 'yes' leads right to the options it adds."""
    import matplotlib.pyplot as plt

    n = len(decisions)
    fig, ax = plt.subplots(figsize=(PAGE_WIDTH_IN, 1.2 * n + 0.8))
    box = {"boxstyle": "round,pad=0.4", "ec": "grey"}
    for i, q in enumerate(decisions):
        y = -i
        ax.text(0, y, wrap(q.text, 30), ha="center", va="center", fontsize=9,
                bbox={**box, "fc": "#e8f0fe"})  # fmt: skip
        ax.annotate("", (1.25, y), (0.95, y), arrowprops={"arrowstyle": "->", "color": "grey"})
        ax.text(1.1, y + 0.12, "yes", fontsize=8, ha="center")
        label = "\n".join(q.options) + "\n(" + wrap(q.why, 34) + ")"
        ax.text(1.3, y, label, ha="left", va="center", fontsize=8,
                bbox={**box, "fc": "#e6f4ea"})  # fmt: skip
        if i < n - 1:
            ax.annotate("", (0, y - 0.7), (0, y - 0.3),
                        arrowprops={"arrowstyle": "->", "color": "grey"})  # fmt: skip
            ax.text(0.05, y - 0.5, "then", fontsize=8)
    ax.text(0, -n + 0.35, "Basic Profile always applies; verify every release.",
            ha="center", fontsize=9, style="italic")  # fmt: skip
    ax.set_xlim(-1.1, 3.2)
    ax.set_ylim(-n + 0.1, 0.6)
    ax.axis("off")
    fig.tight_layout()
    return fig
