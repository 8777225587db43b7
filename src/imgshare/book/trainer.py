"""The trainers' notebooks: one skeleton, read back from the notebooks themselves.

Why: a trainer picks up any notebook and finds the same parts in the same places: the chapter
it belongs to, what the group will be able to do afterwards, minutes per section, exercises
whose solutions stay folded until the group has tried, and the key points. The book's list of
notebooks is made from the same files (:func:`table`), so it cannot fall behind them, and the
tests check every notebook against :func:`skeleton`.

The skeleton, cell by cell:

- the first cell is Markdown: ``# Title``, a link to the chapter (``../book/….md``), and
  ``**Objectives.**`` followed by a numbered list;
- every section is a Markdown heading ``## N. Title (M min)``;
- an exercise is a Markdown cell with a paragraph that starts with ``**Exercise``; the cell
  right after it is its solution: tagged ``solution``, its source folded
  (``jupyter.source_hidden``), which JupyterLab shows as a collapsed cell that one click
  opens; *Run All* runs it, so every solution is tested;
- the last cell is Markdown: ``## Key points`` and a list.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

SECTION = re.compile(r"^## (\d+)\. (.+?) \((\d+) min\)\s*$", re.MULTILINE)
CHAPTER = re.compile(r"\]\((\.\./book/[^)]+\.md)\)")
ITEM = re.compile(r"^\s*(?:\d+\.|[-*])\s+(.+)$", re.MULTILINE)


@dataclass
class Skeleton:
    """The parts of one notebook, and what is missing from the skeleton."""

    path: Path
    title: str = ""
    chapter: str = ""
    objectives: list[str] = field(default_factory=list)
    sections: list[tuple[str, int]] = field(default_factory=list)
    exercises: int = 0
    solutions: int = 0
    key_points: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def minutes(self) -> int:
        return sum(m for _, m in self.sections)


def _source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def is_solution(cell: dict) -> bool:
    """A solution cell: tagged ``solution`` and folded in JupyterLab."""
    meta = cell.get("metadata", {})
    return "solution" in meta.get("tags", []) and meta.get("jupyter", {}).get("source_hidden")


def skeleton(path: str | Path) -> Skeleton:
    """Read a notebook's skeleton; ``problems`` lists every way it departs from it."""
    path = Path(path)
    cells = json.loads(path.read_text())["cells"]
    found = Skeleton(path)
    if not cells or cells[0]["cell_type"] != "markdown":
        found.problems.append("the first cell is not Markdown")
        return found
    head = _source(cells[0])
    title = re.search(r"^# (.+)$", head, re.MULTILINE)
    found.title = title.group(1).strip() if title else ""
    chapter = CHAPTER.search(head)
    found.chapter = chapter.group(1).removeprefix("../") if chapter else ""
    if "**Objectives.**" in head:
        found.objectives = ITEM.findall(head.split("**Objectives.**", 1)[1])
    for what, ok in (("a title", found.title), ("a link to its chapter", found.chapter),
                     ("objectives", len(found.objectives) >= 2)):  # fmt: skip
        if not ok:
            found.problems.append(f"the first cell lacks {what}")
    for i, cell in enumerate(cells):
        text = _source(cell)
        if cell["cell_type"] == "markdown":
            for line in text.splitlines():
                if line.startswith("## ") and not line.startswith("## Key points"):
                    match = SECTION.match(line)
                    if match:
                        found.sections.append((match.group(2), int(match.group(3))))
                    else:
                        found.problems.append(f"section without minutes: {line!r}")
        prompts = [ln for ln in text.splitlines() if ln.lstrip().startswith("**Exercise")]
        if cell["cell_type"] == "markdown" and prompts:
            found.exercises += 1
            if i + 1 < len(cells) and is_solution(cells[i + 1]):
                found.solutions += 1
            else:
                found.problems.append(f"exercise in cell {i} is not followed by a folded solution")
    if not found.sections:
        found.problems.append("no sections with minutes")
    if not found.exercises:
        found.problems.append("no exercises")
    last = _source(cells[-1]) if cells[-1]["cell_type"] == "markdown" else ""
    if "## Key points" in last:
        found.key_points = ITEM.findall(last.split("## Key points", 1)[1])
    if len(found.key_points) < 2:
        found.problems.append("the last cell is not '## Key points' with a list")
    return found


def notebooks(root: Path | None = None) -> list[Path]:
    """The trainers' notebooks, in the order of their numbered file names."""
    from imgshare.book import buildinfo

    folder = (root or buildinfo.repository_root()) / "notebooks"
    return sorted(folder.glob("*.ipynb"))


def table(root: Path | None = None) -> list[dict[str, str | int]]:
    """One row per notebook for the book: file, what it teaches, chapter, minutes, exercises.

    The chapter column is a MyST link relative to ``book/``, for a Markdown table.
    """
    rows = []
    for path in notebooks(root):
        s = skeleton(path)
        chapter = s.chapter.removeprefix("book/")
        rows.append(
            {
                "Notebook": f"`{path.name}`",
                "After it the group can": "; ".join(o.rstrip(".;") for o in s.objectives),
                "Chapter": f"[{_chapter_title(path.parent.parent / s.chapter)}]({chapter})",
                "Minutes": s.minutes,
                "Exercises": s.exercises,
            }
        )
    return rows


def _chapter_title(page: Path) -> str:
    for line in page.read_text().splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return page.stem


def markdown_table(root: Path | None = None) -> str:
    """:func:`table` as a MyST list-table, for a book page.

    A list-table, not a pipe table, so that the PDF gets the column widths given here: the
    objectives need room, the numbers little.
    """
    rows = table(root)
    heads = list(rows[0])
    lines = ["```{list-table}", ":header-rows: 1", ":widths: 18 47 23 6 6", ""]
    for row in [dict(zip(heads, heads, strict=True)), *rows]:
        cells = [str(row[h]).replace("`", "") for h in heads]
        lines.append(f"* - {cells[0]}")
        lines += [f"  - {cell}" for cell in cells[1:]]
    return "\n".join([*lines, "```"])
