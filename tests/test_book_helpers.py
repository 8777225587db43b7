"""The book's presentation helpers: tables, figures, generated references, the repository
address, the command-line help. Fast checks that need no book build.

Expected values come from the inputs each test writes (a DataFrame with a known index, a git
remote string, a parser argument) or from an independent reader (argparse itself parsing the
documented examples), never from the helper under test.
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys

import matplotlib
import pandas as pd
import pytest

matplotlib.use("Agg")

from imgshare import cli, profile  # noqa: E402
from imgshare.book import (  # noqa: E402
    apidoc,
    bib,
    charts,
    clidoc,
    console,
    display,
    gallery,
    infomodel,
    requestpath,
    sphinxext,
    toc,
    usecases,
)

# --- tables ---------------------------------------------------------------------------------


def test_an_unnamed_integer_index_is_dropped_and_a_label_index_kept() -> None:
    plain = pd.DataFrame({"file": ["a", "b"]}, index=[3, 7])
    assert list(display.frame(plain).columns) == ["file"]
    labelled = pd.DataFrame({"n": [1]}, index=pd.Index(["CT"], name="modality"))
    assert list(display.frame(labelled).columns) == ["modality", "n"]
    stacked = pd.concat({"deid": pd.DataFrame({"n": [1, 2]})}, names=["tool"])
    assert list(display.frame(stacked).columns) == ["tool", "n"]


def test_a_series_becomes_a_two_column_table() -> None:
    series = pd.Series({"CT": 3, "MR": 2}, name="files").rename_axis("modality")
    header, rows = display.cells(display.frame_html(series))
    assert header == ["modality", "files"] and rows == [["CT", "3"], ["MR", "2"]]


def test_nothing_is_cut() -> None:
    long = "x" * 300
    header, rows = display.cells(display.frame_html(pd.DataFrame({"v": [long]})))
    assert rows == [[long]]


def test_latex_tables_escape_and_keep_every_row() -> None:
    frame = pd.DataFrame({"name_with": ["50% & $5 #1 {a} ~^\\"], "n": [1]})
    latex = display.frame_latex(frame)
    assert latex.startswith(display.LATEX_MARK) and r"\begin{longtable}" in latex
    for raw, escaped in (("%", r"\%"), ("&", r"\&"), ("$", r"\$"), ("#", r"\#"), ("_", r"\_")):
        assert escaped in latex, raw
    assert "50\\% \\& \\$5" in latex
    assert latex.count(r"\\") == 3  # the header twice (first page, later pages) and one row


def test_a_styler_keeps_its_formats_in_latex() -> None:
    styler = pd.DataFrame({"s": [1.23456]}).style.format({"s": "{:.1f}"}).hide(axis="index")
    header, rows = display.cells(display.styler_html(styler))
    assert header == ["s"] and rows == [["1.2"]]


def test_the_latex_plugin_takes_only_marked_tables() -> None:
    class Data:
        def __init__(self, mime: str, text: str) -> None:
            self.mime_type, self.string = mime, text

    assert display.LatexTables.handle_mime(None, Data("text/latex", "x^2"), False) is None
    nodes = display.LatexTables.handle_mime(None, Data("text/latex", display.LATEX_MARK), False)
    assert nodes[0]["format"] == "latex"


# --- figures --------------------------------------------------------------------------------


def _figures():
    from conftest import ROOT

    scores = usecases.load(ROOT / "book" / "use-cases" / "data" / "use_cases.csv")
    table = pd.DataFrame(
        {"a 0.1": [0, 3, "2 of 2", "5 of 9"], "b 0.2": [4, 0, "0 of 2", "9 of 9"]},
        index=["leaks: attribute", "leaks: path", "study intervals kept", "research values kept"],
    )
    sizes = pd.DataFrame(
        {"repository": ["A", "B", "C"], "count": [10, 2000, 30],
         "unit": ["images", "people", "people"]}
    )  # fmt: skip
    return {
        "gallery": gallery.modality_grid(),
        "information model": infomodel.figure(),
        "use-case matrix": usecases.matrix(scores),
        "decision tree": usecases.tree_figure(),
        "tools compared": charts.tools(table),
        "repository sizes": charts.sizes_by_unit(sizes),
        "request path": requestpath.figure(),
    }


def test_the_books_figures_stay_legible_at_the_page_width() -> None:
    import matplotlib.pyplot as plt

    matplotlib.rcParams.update(display.STYLE)
    small = {name: round(display.smallest_font(fig), 1) for name, fig in _figures().items()}
    plt.close("all")
    assert all(size >= display.MIN_FONT_PT for size in small.values()), small


def test_smallest_font_sees_a_shrunk_figure() -> None:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(2 * display.PAGE_WIDTH_IN, 3))
    ax.set_title("wide", fontsize=10)
    assert display.smallest_font(fig) == pytest.approx(5.0)  # halved when fitted to the page
    plt.close(fig)


def test_units_get_their_own_panels() -> None:
    sizes = pd.DataFrame({"repository": ["A", "B"], "count": [5, 6], "unit": ["images", "people"]})
    fig = charts.sizes_by_unit(sizes)
    labels = [ax.get_xlabel() for ax in fig.axes]
    assert len(fig.axes) == 2 and any("images" in x for x in labels)
    assert any("people" in x for x in labels)


# --- the repository address -----------------------------------------------------------------


@pytest.mark.parametrize(
    "remote, url",
    [
        ("git@github.com:org/book.git", "https://github.com/org/book"),
        ("https://gitlab.com/group/book.git\n", "https://gitlab.com/group/book"),
        ("ssh://git@github.com/org/book", "https://github.com/org/book"),
        ("/srv/git/book.git", None),
    ],
)
def test_a_git_remote_gives_its_browsable_address(remote: str, url: str | None) -> None:
    assert sphinxext.https_url(remote) == url


def test_the_buttons_use_the_real_repository_or_are_left_out(tmp_path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    options = {"repository_url": "auto", "use_issues_button": True}
    sphinxext.resolve(options, tmp_path, environ={})
    assert "repository_url" not in options and options["use_issues_button"] is False
    options = {"repository_url": "auto", "use_issues_button": True}
    env = {"GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "wg/imgshare"}
    sphinxext.resolve(options, tmp_path, environ=env)
    assert options["repository_url"] == "https://github.com/wg/imgshare"
    assert options["use_issues_button"] is True
    subprocess.run(["git", "-C", str(tmp_path), "remote", "add", "origin",
                    "git@example.org:wg/book.git"], check=True)  # fmt: skip
    options = {"repository_url": "auto"}
    sphinxext.resolve(options, tmp_path, environ={})
    assert options["repository_url"] == "https://example.org/wg/book"


# --- the command line's documentation ---------------------------------------------------------


def _actions(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    return [a for a in parser._actions if not isinstance(a, argparse._HelpAction)]


def test_every_command_and_argument_is_described() -> None:
    undocumented = []
    for name in clidoc.commands():
        sub = clidoc.command_parser(name)
        if not (sub.description and clidoc.commands()[name]):
            undocumented.append(name)
        undocumented += [f"{name} {a.dest}" for a in _actions(sub) if not a.help]
    assert not undocumented, f"without a description: {undocumented}"


def test_every_command_has_examples_that_the_parser_accepts() -> None:
    parser = cli.build_parser()
    for name in clidoc.commands():
        assert cli.EXAMPLES.get(name), f"{name} has no example"
        for _, line in cli.EXAMPLES[name]:
            argv = shlex.split(line)
            assert argv[:2] == ["imgshare", name]
            parser.parse_args(argv[1:])  # exits (SystemExit) if an example is malformed


def test_help_prints_the_examples_and_the_options() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "imgshare.cli", "deidentify", "--help"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert "examples:" in out and cli.EXAMPLES["deidentify"][0][1].split()[2] in out
    assert all(slug in out for slug in profile.OPTIONS)


def test_the_reference_lists_every_argument() -> None:
    for name in clidoc.commands():
        listed = " ".join(row["argument"] for row in clidoc.arguments(name))
        for action in _actions(clidoc.command_parser(name)):
            spelling = action.option_strings[0] if action.option_strings else action.metavar
            assert spelling in listed, (name, spelling)


def test_option_dashes_stay_two_in_print() -> None:
    assert display.latex_escape("--key-file") == "-{}-key-file"


def test_the_api_page_entries_exist_and_are_documented() -> None:
    for names in apidoc.PUBLIC.values():
        for dotted in names:
            assert apidoc.resolve(dotted).__doc__, dotted


# --- pages find themselves; runs show what a terminal shows ------------------------------------


def test_a_page_is_found_from_the_cells_it_ran(tmp_path) -> None:
    from conftest import ROOT

    head = (ROOT / "book" / "templates" / "chapter.md").read_text().split("\n# ", 1)[0]
    for name, first in (("a.md", "x = 1"), ("b.md", "x = 2")):
        (tmp_path / name).write_text(f"{head}\n```{{code-cell}} ipython3\n{first}\n```\n")
    assert bib.find_page(["x = 2"], tmp_path).name == "b.md"
    with pytest.raises(LookupError):
        bib.find_page(["y = 3"], tmp_path)


def test_every_chapter_is_in_the_generated_contents() -> None:
    from conftest import ROOT, toc_files

    text = toc.markdown(ROOT / "book")
    missing = [p.name for p in toc_files() if p.name != "intro.md" and p.name not in text]
    assert not missing


def test_a_console_session_shows_command_and_output(tmp_path) -> None:
    pytest.importorskip("IPython")
    shown = console.Session(tmp_path).run("imgshare keygen release.key").data
    assert shown.startswith("```console\n$ imgshare keygen release.key\ncreated release.key")
    assert str(tmp_path) not in shown
    with pytest.raises(RuntimeError, match="exited with"):
        console.Session(tmp_path).run("imgshare keygen release.key")  # exists: refused


def test_intervals_tell_days_from_hours(tmp_path) -> None:
    """A shift of 2 h that carries the later study past midnight adds a day, not an hour."""
    from imgshare import testing
    from imgshare.book import peers

    for folder, dates, times in (
        ("original", ("20200101", "20200111"), ("080000", "230000")),
        ("released", ("20200101", "20200112"), ("100000", "010000")),
    ):
        for i, (date, time_) in enumerate(zip(dates, times, strict=True)):
            ds = testing.ct("P1", "Doe^Jane", date, study_uid=f"1.2.3.{i}", sop_uid=f"1.2.4.{i}")
            ds.StudyTime = time_
            ds.PixelData = bytes([i]) * len(ds.PixelData)  # the same pixels before and after
            testing.save(ds, tmp_path / folder / f"{i}.dcm")
    (row,) = peers.intervals(tmp_path / "original", tmp_path / "released")
    assert row["hours between studies (original)"] == row["hours between studies (released)"]
    assert row["days between dates (original)"] == 10
    assert row["days between dates (released)"] == 11


def test_options_in_help_text_become_code_once() -> None:
    text = clidoc._code_spans("Run 'imgshare COMMAND --help'; add --option NAME.")
    assert text == "Run `imgshare COMMAND --help`; add `--option` NAME."
