"""The build is the test: a strict build, no failed execution, and no broken internal link."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

from conftest import ROOT, toc_files


def test_book_builds_strictly(built_book: Path) -> None:
    assert (built_book / "index.html").is_file()
    reports = built_book / "reports"
    failed = sorted(p.name for p in reports.glob("*.log")) if reports.exists() else []
    assert not failed, f"notebook execution reports (a page failed to execute): {failed}"


def test_every_toc_page_is_rendered(built_book: Path) -> None:
    for source in toc_files():
        rel = source.relative_to(ROOT).with_suffix(".html")
        page = built_book / rel
        assert page.is_file(), f"{rel} was not built"


def test_executed_pages_have_outputs(built_book: Path) -> None:
    """A page with code cells must show outputs: cache mode can otherwise publish it empty."""
    for source in toc_files():
        text = source.read_text()
        if "{code-cell}" not in text or "remove-output" in text:
            continue
        html = (built_book / source.relative_to(ROOT).with_suffix(".html")).read_text()
        assert "cell_output" in html, f"{source.name} has code cells but no outputs"


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name == "id" and value:
                self.ids.add(value)
            if name == "name" and tag == "a" and value:
                self.ids.add(value)
            if name in ("href", "src") and value:
                self.links.append(value)


def _parse(page: Path) -> _Links:
    parser = _Links()
    parser.feed(page.read_text(errors="replace"))
    return parser


def test_internal_links_resolve(built_book: Path) -> None:
    """Every relative href/src in the built HTML points at a file, and every anchor exists."""
    pages = {p: _parse(p) for p in built_book.rglob("*.html") if "_static" not in p.parts}
    broken: list[str] = []
    for page, parsed in pages.items():
        for link in parsed.links:
            parts = urlsplit(link)
            if parts.scheme or link.startswith(("//", "mailto:", "data:", "javascript:")):
                continue
            target = page if not parts.path else (page.parent / unquote(parts.path)).resolve()
            if parts.path and not target.exists():
                broken.append(f"{page.relative_to(built_book)}: {link} (no such file)")
                continue
            if parts.fragment and target.suffix == ".html":
                ids = pages[target].ids if target in pages else _parse(target).ids
                if unquote(parts.fragment) not in ids:
                    broken.append(f"{page.relative_to(built_book)}: {link} (no such anchor)")
    assert not broken, "broken internal links:\n" + "\n".join(sorted(set(broken)))


def test_search_index_has_the_chapters(built_book: Path) -> None:
    index = (built_book / "searchindex.js").read_text()
    assert re.search(r"first.look", index), "the search index does not list the chapters"
