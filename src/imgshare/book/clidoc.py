"""The command-line reference, generated from the ``imgshare`` argument parser.

Why generated: a reference written by hand drifts from the code the first time an argument
is added. This one reads :func:`imgshare.cli.build_parser` (the same parser ``--help``
prints) when the book is built, and the examples from :data:`imgshare.cli.EXAMPLES`, which
``--help`` prints too. It renders Markdown (tables and code blocks), which the web page and
the PDF both typeset.
"""

from __future__ import annotations

import argparse

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


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


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
                "argument": f"`{spelling}`",
                "meaning": _flat(action.help) or "(no description)",
                "": "; ".join(notes),
            }
        )
    return rows


def _table(rows: list[dict[str, str]]) -> str:
    heads = list(rows[0])
    lines = ["| " + " | ".join(h or " " for h in heads) + " |", "|" + "---|" * len(heads)]
    lines += ["| " + " | ".join(_cell(row[h]) for h in heads) + " |" for row in rows]
    return "\n".join(lines)


def reference(name: str):
    """One command's reference as Markdown: what it does, usage, arguments, examples."""
    from IPython.display import Markdown

    sub = command_parser(name)
    parts = [_flat(sub.description) or commands()[name], ""]
    usage = " ".join(sub.format_usage().removeprefix("usage: ").split())
    rows = arguments(name)
    parts += ["```text", usage, "```", "", _table(rows) if rows else "It takes no arguments.", ""]
    if name == "deidentify":
        parts += [
            "The options, as `--option` and a recipe's `options` take them, from the standard's "
            "list (PS3.15 Table E.1-1 and CID 7050):",
            "",
            _table(
                [
                    {"option": f"`{slug}`", "name": o.name, "code": o.code}
                    for slug, o in profile.OPTIONS.items()
                ]
            ),
            "",
        ]
    examples = cli.EXAMPLES.get(name, [])
    if examples:
        parts += ["Examples:", "", "```bash"]
        for what, line in examples:
            parts += [f"# {what}", line]
        parts += ["```"]
    return Markdown("\n".join(parts))


def overview():
    """The commands at a glance, with the exit statuses they share."""
    from IPython.display import Markdown

    parser = cli.build_parser()
    rows = [{"command": f"`imgshare {n}`", "what it does": h} for n, h in commands(parser).items()]
    text = [_flat(parser.description), "", _table(rows), "", _flat(parser.epilog).capitalize()]
    return Markdown("\n".join(text) + ".")
