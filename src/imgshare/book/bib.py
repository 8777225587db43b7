"""Per-chapter reference lists drawn from the one ``references.bib``.

Why: sphinxcontrib-bibtex resolves citations globally, so a second ``bibliography`` directive
per chapter makes duplicate-citation warnings (errors in a strict build) as soon as two
chapters cite the same source. Instead, each chapter ends with a list made here from the
keys it cites; each item is a ``{cite:t}`` role that links to the book's single bibliography.
"""

from __future__ import annotations

import re
from pathlib import Path

CITE = re.compile(r"\{(?:cite)(?::[a-z]+)?\}`([^`]+)`")


def cited_keys(text: str) -> list[str]:
    """Citation keys in MyST text, in order of first use, without repeats."""
    keys: list[str] = []
    for match in CITE.finditer(text):
        for key in match.group(1).split(","):
            key = key.strip()
            if key and key not in keys:
                keys.append(key)
    return keys


def _bib_path(start: Path) -> Path:
    for parent in [start, *start.parents]:
        if (parent / "references.bib").is_file():
            return parent / "references.bib"
    raise FileNotFoundError("references.bib not found above " + str(start))


def _cells_so_far() -> list[str]:
    """The source of every cell the running IPython kernel has executed, in order."""
    from IPython import get_ipython

    shell = get_ipython()
    if shell is None:
        raise TypeError("chapter_references() needs the chapter's file name outside a notebook")
    return [cell.strip() for cell in shell.history_manager.input_hist_raw if cell.strip()]


def _code_cells(page: Path) -> list[str]:
    import jupytext

    notebook = jupytext.read(page)
    return [c.source.strip() for c in notebook.cells if c.cell_type == "code" and c.source.strip()]


def find_page(cells: list[str], folder: Path) -> Path:
    """The page in ``folder`` whose code cells begin with ``cells``, in that order.

    Why: a chapter runs with its own folder as working directory, but nothing tells the
    kernel which file in that folder it is. The cells it has run so far identify it: they are
    the page's first code cells. If no page, or more than one, starts with them (a notebook
    run out of order, two pages with the same cells), the chapter must name itself.
    """
    found = [
        page
        for page in sorted(folder.glob("*.md"))
        if "{code-cell}" in page.read_text() and _code_cells(page)[: len(cells)] == cells
    ]
    if len(found) != 1:
        names = ", ".join(p.name for p in found) or "none"
        raise LookupError(
            f"cannot tell which page in {folder} is running (candidates: {names}); "
            'call chapter_references("<file name>.md")'
        )
    return found[0]


def chapter_references(chapter: str | Path | None = None, bibliography: str = "../bibliography.md"):
    """A Markdown list of the sources a chapter cites, for its References section.

    Called from the chapter itself, whose working directory is its own folder. With no
    argument the chapter is found from the cells the kernel has run (:func:`find_page`);
    a file name may still be given. Returns an IPython Markdown object, rendered as MyST.
    ``bibliography`` is the link to the bibliography page from the chapter's folder (a page
    at the top of ``book/`` passes ``"bibliography.md"``).
    """
    import bibtexparser
    from IPython.display import Markdown

    if chapter is None:
        chapter = find_page(_cells_so_far(), Path.cwd())
    chapter = Path(chapter).resolve()
    library = bibtexparser.parse_string(_bib_path(chapter.parent).read_text())
    entries = {entry.key: entry for entry in library.entries}
    own = [k for k in cited_keys(chapter.read_text()) if k != "__none__"]
    if not own:
        return Markdown("This chapter cites no sources.")
    lines = []
    for key in own:
        entry = entries.get(key)
        if entry is None:
            raise KeyError(f"{chapter.name} cites {key!r}, which is not in references.bib")
        title = entry.fields_dict["title"].value.replace("{", "").replace("}", "")
        link = ""
        if "doi" in entry.fields_dict:
            doi = entry.fields_dict["doi"].value
            link = f" [doi:{doi}](https://doi.org/{doi})"
        elif "url" in entry.fields_dict:
            url = entry.fields_dict["url"].value
            link = f" <{url}>"
        lines.append(f"- {{cite:t}}`{key}`: *{title}*.{link}")
    lines.append(f"\nFull entries are in the [bibliography]({bibliography}).")
    return Markdown("\n".join(lines))
