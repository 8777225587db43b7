"""The book's parts and chapters, read from ``_toc.yml``: the one list of what the book holds.

Why: a hand-written list of chapters on the front page falls behind as soon as a chapter is
added; this one is made from the table of contents when the book is built, and the tests
check that the front page links to every chapter.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from imgshare.book.buildinfo import repository_root


def _title(page: Path) -> str:
    for line in page.read_text().splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return page.stem


def _page(root: Path, name: str) -> Path:
    for suffix in (".md", ".ipynb"):
        if (root / f"{name}{suffix}").is_file():
            return root / f"{name}{suffix}"
    raise FileNotFoundError(f"_toc.yml names {name}, which has no .md or .ipynb file")


def parts(root: Path | None = None) -> list[tuple[str, list[tuple[str, Path]]]]:
    """Each part's caption with its chapters, as (title, file), in the order of ``_toc.yml``."""
    root = root or repository_root()
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    found = []
    for part in toc.get("parts", []):
        chapters = []
        for entry in part.get("chapters", []):
            page = _page(root, entry["file"])
            chapters.append((_title(page), page))
            for section in entry.get("sections", []):
                sub = _page(root, section["file"])
                chapters.append((_title(sub), sub))
        found.append((part["caption"], chapters))
    return found


def markdown(from_folder: Path, root: Path | None = None) -> str:
    """A Markdown list, one item per part, linking each chapter relative to ``from_folder``."""
    import os

    lines = []
    for caption, chapters in parts(root):
        links = [
            f"[{title}]({Path(os.path.relpath(page, from_folder)).as_posix()})"
            for title, page in chapters
        ]
        lines.append(f"- **{caption}**: " + "; ".join(links) + ".")
    return "\n".join(lines)
