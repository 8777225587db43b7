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


def chapter_references(chapter: str | Path, bibliography: str = "../bibliography.md"):
    """A Markdown list of the sources a chapter cites, for its References section.

    Called from the chapter itself (whose working directory is its own folder) with its file
    name. Returns an IPython Markdown object, rendered as MyST by the book. ``bibliography`` is
    the link to the bibliography page from the chapter's folder (a page at the top of
    ``book/`` passes ``"bibliography.md"``).
    """
    import bibtexparser
    from IPython.display import Markdown

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
