"""The book as its readers get it: the built HTML, page by page.

Why: the strict build proves that every cell ran, not that what it printed is fit to read.
These tests read the published pages the way a working-group member does: no build-machine
debris in any output (warnings, tracebacks, temporary and environment paths, raw reprs,
index columns, cut cells), no code on the guidance pages unless the code is the lesson,
figures with numbered captions and alt text at a legible size, and lists made from their
source (chapters, notebooks, commands, options). The planted cases at the end show that each
check catches what it is for.
"""

from __future__ import annotations

import re
import struct
import subprocess
from pathlib import Path

import jupytext
import pytest
from bs4 import BeautifulSoup
from conftest import ROOT, toc_files
from reader_checks import debris, table_problems

from imgshare.book import clidoc, display, trainer

#: Pages whose code is the lesson: the de-identification how-to chapters and the trainers'
#: exercise page. Every other page hides its code (nb_remove_code_source in _config.yml).
HOW_TO = {
    "book/deidentify/dicom-metadata.md",
    "book/deidentify/pixels.md",
    "book/deidentify/nifti-bids.md",
    "book/deidentify/tools-compared.md",
    "book/deidentify/scaling.md",
    "book/use-cases/training.md",
}
#: A figure wider than this, in inches at its own resolution, is shrunk in the PDF so much
#: that 10-point labels fall below legibility (see imgshare.book.display).
MAX_FIGURE_IN = 7.0


def _html(built: Path, page: Path) -> BeautifulSoup:
    return BeautifulSoup((built / page.relative_to(ROOT).with_suffix(".html")).read_text(),
                         "html.parser")  # fmt: skip


def _pages() -> list[Path]:
    return [p for p in toc_files() if p.suffix == ".md"]


def _name(page: Path) -> str:
    return page.relative_to(ROOT).as_posix()


def output_problems(soup: BeautifulSoup) -> list[str]:
    problems = []
    for output in soup.select("div.cell_output"):
        problems += debris(output.get_text("\n"))
        problems += table_problems(output)
    return problems


def visible_code(soup: BeautifulSoup) -> list[str]:
    """The source of every code cell a reader sees without opening anything."""
    shown = []
    for cell_input in soup.select("div.cell_input"):
        if cell_input.find_parent("details") is not None:  # folded: hide-input, hide-cell
            continue
        cell = cell_input.find_parent("div", class_="cell")
        classes = " ".join(cell.get("class", [])) if cell else ""
        if "tag_hide-input" in classes or "tag_hide-cell" in classes:
            continue
        shown.append(cell_input.get_text().strip())
    return shown


def test_outputs_are_fit_to_read(built_book: Path) -> None:
    problems = {}
    for page in _pages():
        found = output_problems(_html(built_book, page))
        if found:
            problems[_name(page)] = found
    assert not problems, "outputs a reader should not see:\n" + "\n".join(
        f"{page}: {p}" for page, found in problems.items() for p in found
    )


def test_guidance_pages_show_no_code(built_book: Path) -> None:
    shown = {
        _name(page): len(code)
        for page in _pages()
        if _name(page) not in HOW_TO and (code := visible_code(_html(built_book, page)))
    }
    assert not shown, f"code cells shown on pages for policy readers: {shown}"


def test_how_to_pages_show_their_code_but_not_their_set_up(built_book: Path) -> None:
    for name in sorted(HOW_TO):
        soup = _html(built_book, ROOT / name)
        assert soup.select("div.cell_input"), f"{name}: its code is the lesson, but none is there"
        shown = visible_code(soup)
        first = shown[0].splitlines()[0] if shown else ""
        assert not re.match(r"(import|from) \w", first), f"{name} opens with imports: {first}"


def test_no_page_has_an_imports_heading(built_book: Path) -> None:
    headed = [
        _name(page)
        for page in _pages()
        if any(h.get_text().strip().rstrip("#") == "Imports"
               for h in _html(built_book, page)(["h2"]))
    ]  # fmt: skip
    assert not headed, f"pages with an 'Imports' section: {headed}"


def test_figures_have_numbered_captions_and_alt_text(built_book: Path) -> None:
    problems, count = [], 0
    for page in _pages():
        for img in _html(built_book, page).select("div.cell_output img"):
            count += 1
            alt = (img.get("alt") or "").strip()
            figure = img.find_parent("figure")
            number = figure.select_one(".caption-number") if figure else None
            if not figure or not number or not re.search(r"\d", number.get_text()):
                problems.append(f"{_name(page)}: {img.get('src')} has no numbered caption")
            if len(alt) < 40 or re.search(r"\.(png|jpe?g|svg)$", alt):
                problems.append(f"{_name(page)}: alt text {alt[:50]!r} does not describe it")
    assert count >= 13, f"only {count} figures found"
    assert not problems, "\n".join(problems)


def _png_width_inches(path: Path) -> float | None:
    data = path.read_bytes()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        return None
    width = struct.unpack(">I", data[16:20])[0]
    at = data.find(b"pHYs")
    if at < 0:
        return None
    per_metre, _, unit = struct.unpack(">IIB", data[at + 4 : at + 13])
    return width / (per_metre * 0.0254) if unit == 1 and per_metre else None


def test_figures_are_drawn_to_the_page_width(built_book: Path) -> None:
    wide = []
    for page in _pages():
        for img in _html(built_book, page).select("div.cell_output img"):
            source = (built_book / page.relative_to(ROOT).parent / img["src"]).resolve()
            inches = _png_width_inches(source)
            if inches and inches > MAX_FIGURE_IN:
                wide.append(f"{_name(page)}: {inches:.1f} in")
    assert not wide, f"figures wider than {MAX_FIGURE_IN} in (fonts shrink in the PDF): {wide}"


def test_the_front_page_links_every_chapter(built_book: Path) -> None:
    soup = BeautifulSoup((built_book / "book" / "intro.html").read_text(), "html.parser")
    linked = {
        (built_book / "book" / a["href"].split("#")[0]).resolve()
        for a in soup.select("article a[href]")
        if not a["href"].startswith(("http", "#"))
    }
    missing = [
        _name(p)
        for p in toc_files()
        if p.name != "intro.md"
        and (built_book / p.relative_to(ROOT).with_suffix(".html")).resolve() not in linked
    ]
    assert not missing, f"the front page does not list: {missing}"


def test_the_notebook_list_names_every_notebook(built_book: Path) -> None:
    text = (built_book / "book" / "using-the-notebooks.html").read_text()
    missing = [nb.name for nb in trainer.notebooks() if nb.name not in text]
    assert not missing, f"Using the notebooks does not list {missing}"


def test_the_command_reference_covers_every_command_and_option(built_book: Path) -> None:
    soup = BeautifulSoup((built_book / "book" / "command-line.html").read_text(), "html.parser")
    headings = {h.get_text().strip().rstrip("#").strip() for h in soup(["h2"])}
    missing = [f"imgshare {c}" for c in clidoc.commands() if f"imgshare {c}" not in headings]
    assert not missing, f"the command-line page has no section for {missing}"
    text = soup.get_text()
    from imgshare import profile

    assert all(slug in text for slug in profile.OPTIONS), "an option is missing from the page"
    for name in clidoc.commands():
        for _, example in clidoc.cli.EXAMPLES.get(name, []):
            assert " ".join(example.split()) in " ".join(text.split()), example


def test_the_repository_buttons_are_configured() -> None:
    import yaml

    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert config["repository"]["url"] == "auto"
    assert all(config["html"][b] for b in ("use_issues_button", "use_edit_page_button",
                                            "use_repository_button"))  # fmt: skip
    assert "imgshare.book.sphinxext" in config["sphinx"]["config"]["extensions"]


def test_chapter_cells_are_valid_for_the_reader_view() -> None:
    """Figures get captions through cell metadata that myst-nb reads; check it parses."""
    for page in _pages():
        if "{code-cell}" not in page.read_text():
            continue
        for cell in jupytext.read(page).cells:
            fig = cell.metadata.get("mystnb", {}).get("figure")
            if fig is not None:
                assert fig.get("caption") and fig.get("name", "").startswith("fig-"), page
                assert cell.metadata["mystnb"].get("image", {}).get("alt"), page


# --- the checks catch what they are for (planted cases) ----------------------------------

PLANTED = {
    "a Python warning": "/x/pydicom/valuerep.py:440: UserWarning: The value length (122)",
    "a traceback": 'Traceback (most recent call last):\n  File "batch.py", line 218, in run',
    "a temporary path": "wrote /tmp/worked-request-34nt0c4q/sponsor/key.bin",
    "a virtual-environment path": "/work/wt20/.venv/lib/python3.11/site-packages/x.py",
    "a raw object repr": "Check(name='references kept', passed=24, total=28)",
    "a path repr": "PosixPath('/data/x.dcm')",
    "a pandas Series dump": "image_found        12\nsubject_matches     0\ndtype: int64",
    "a display placeholder": "<IPython.core.display.HTML object>",
    "an object address": "<pandas.io.formats.style.Styler at 0x7f3a2c1b9d50>",
}


@pytest.mark.parametrize("kind", sorted(PLANTED))
def test_each_kind_of_debris_is_caught(kind: str) -> None:
    found = debris(f"some output before\n{PLANTED[kind]}\nand after")
    assert any(f.startswith(kind) for f in found), f"{kind} not caught: {found}"


def test_clean_outputs_pass() -> None:
    assert debris("imgshare 0.1.0: de-identification report\nfiles found 7: processed 7") == []


def test_index_columns_and_cut_cells_are_caught() -> None:
    import pandas as pd

    frame = pd.DataFrame({"file": ["a.dcm", "b.dcm"], "reason": ["ok", "unknown charset: t..."]})
    planted = BeautifulSoup(frame.to_html(), "html.parser")  # pandas' own: index and a cut cell
    problems = table_problems(planted)
    assert any("index column" in p for p in problems), problems
    assert any("cut short" in p for p in problems), problems
    shown = BeautifulSoup(display.frame_html(frame.iloc[:1]), "html.parser")
    assert table_problems(shown) == [], "the book's own form of a table is flagged"


def test_visible_code_is_found_and_folded_code_is_not() -> None:
    page = BeautifulSoup(
        '<div class="cell docutils container"><div class="cell_input">x = 1</div></div>'
        '<div class="cell tag_hide-input docutils container"><details>'
        '<div class="cell_input">import os</div></details></div>',
        "html.parser",
    )
    assert visible_code(page) == ["x = 1"]


def test_make_lab_allows_root_only_as_root() -> None:
    dry = subprocess.run(["make", "-n", "--no-print-directory", "lab"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout  # fmt: skip
    is_root = subprocess.run(["id", "-u"], capture_output=True, text=True).stdout.strip() == "0"
    assert ("--allow-root" in dry) == is_root, dry
