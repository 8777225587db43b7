"""The command-line reference, generated from the ``imgshare`` argument parser.

Why generated: a reference written by hand drifts from the code the first time an argument
is added. This one reads :func:`imgshare.cli.build_parser` (the same parser ``--help``
prints) when the book is built, and the examples from :data:`imgshare.cli.EXAMPLES`, which
``--help`` prints too. It renders Markdown (tables and code blocks), which the web page and
the PDF both typeset.
"""

from __future__ import annotations

import argparse
import re

from imgshare import cli, profile


def _subparsers(parser: argparse.ArgumentParser) -> argparse._SubParsersAction:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    raise LookupError("the parser has no commands")


def commands(parser: argparse.ArgumentParser | None = None) -> dict[str, str]:
    """Each command's name with its one-line help, in the parser's order."""
    sub = _subparsers(parser or cli.build_parser())
    return {choice.dest: choice.help or "" for choice in sub._choices_actions}


def command_parser(name: str) -> argparse.ArgumentParser:
    return _subparsers(cli.build_parser()).choices[name]


def _flat(text: str | None) -> str:
    return " ".join((text or "").split())


def arguments(name: str) -> list[dict[str, str]]:
    """One row per argument of a command: how to write it, what it means, its default."""
    rows = []
    for action in command_parser(name)._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        if action.option_strings:
            spelling = ", ".join(action.option_strings)
            if action.nargs != 0:
                spelling += f" {action.metavar or action.dest.upper()}"
        else:
            spelling = action.metavar or action.dest
        notes = []
        if action.required and action.option_strings:
            notes.append("required")
        if isinstance(action, argparse._AppendAction):
            notes.append("repeatable")
        default = action.default
        if (
            default not in (None, False, [], argparse.SUPPRESS)
            and action.nargs != 0
            and "default" not in (action.help or "")
        ):
            notes.append(f"default {default}")
        rows.append(
            {
                "argument": spelling,
                "meaning": _flat(action.help) or "(no description)",
                "": "; ".join(notes),
            }
        )
    return rows


def _code_spans(text: str) -> str:
    """Options and quoted commands in help text as inline code (in print, "--" stays two)."""
    text = re.sub(r"'(imgshare [^']+)'", r"`\1`", text)
    parts = re.split(r"(`[^`]*`)", text)  # leave what is already code alone
    return "".join(
        part if part.startswith("`") else re.sub(r"(?<![\w-])(--[a-z][\w-]*)", r"`\1`", part)
        for part in parts
    )


def reference(name: str) -> None:
    """Display one command's reference: what it does, usage, arguments, options, examples.

    Prose and code go out as Markdown; the tables go out as DataFrames, which the book's
    display typesets with columns that wrap (long option names included) in the PDF.
    """
    import pandas as pd
    from IPython.display import Markdown, display

    sub = command_parser(name)
    usage = " ".join(sub.format_usage().removeprefix("usage: ").split())
    description = _code_spans(_flat(sub.description) or commands()[name])
    display(Markdown("\n".join([description, "", "```text", usage, "```"])))
    rows = arguments(name)
    if rows:
        display(pd.DataFrame(rows).rename(columns={"": "notes"}))
    else:
        display(Markdown("It takes no arguments."))
    if name == "deidentify":
        display(Markdown("The options, as `--option` and a recipe's `options` take them, from the "
                         "standard's list (PS3.15 Table E.1-1 and CID 7050):"))  # fmt: skip
        display(pd.DataFrame([{"option": slug, "name": o.name, "code": o.code}
                              for slug, o in profile.OPTIONS.items()]))  # fmt: skip
    examples = cli.EXAMPLES.get(name, [])
    if examples:
        lines = ["Examples:", "", "```bash"]
        for what, line in examples:
            lines += [f"# {what}", line]
        display(Markdown("\n".join([*lines, "```"])))


def overview() -> None:
    """Display the commands at a glance, with the exit statuses they share."""
    import pandas as pd
    from IPython.display import Markdown, display

    parser = cli.build_parser()
    display(Markdown(_code_spans(_flat(parser.description))))
    rows = [{"command": f"imgshare {n}", "what it does": h} for n, h in commands(parser).items()]
    display(pd.DataFrame(rows))
    display(Markdown(_flat(parser.epilog).capitalize() + "."))
