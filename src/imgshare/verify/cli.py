"""``imgshare verify``: the command line. Exit 0 clean, 1 failed, 2 usage error.

Exit 1 means the release must not go out as it is: an identifying value was found, a check
that guards the release failed (a file lost its pixel data, a patient has two released IDs,
a reference is broken, a kept value changed), a released file could not be read, the release
is empty, or there was nothing to search for (no source values and no answer key).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from imgshare.verify.release import verify

DESCRIPTION = (
    "Scan every file and path of DIR for the identifying values of the originals (SRC) or of "
    "an answer key, decoded in their declared character sets; check that each released file "
    "kept its pixel data, that each patient has one released ID, that intervals, references "
    "and kept values survive. Exit 0 clean, 1 anything found or failed (or nothing to "
    "search, an empty release, an unreadable file), 2 usage error. Identifiers are masked."
)


def build_parser(parser: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    p = parser or argparse.ArgumentParser(prog="imgshare verify")
    p.description = DESCRIPTION  # verify states its own exit codes, wherever it is mounted
    p.add_argument("release", type=Path, metavar="DIR", help="the de-identified release")
    p.add_argument("--against", type=Path, metavar="SRC", help="the original files")
    p.add_argument("--answer-key", type=Path, metavar="KEY.json", help="a corpus answer key")
    p.add_argument("--report", type=Path, metavar="FILE", help="write the JSON report here")
    return p


def _usage(message: str) -> int:
    print(f"imgshare verify: error: {message}", file=sys.stderr)
    return 2


def run(args: argparse.Namespace) -> int:
    """Exit 0 clean, 1 failed (see the module's docstring), 2 usage error."""
    if not args.release.exists():
        return _usage(f"{args.release} does not exist")
    if args.against is None and args.answer_key is None:
        return _usage("give --against SRC or --answer-key KEY (or both)")
    for p in (args.against, args.answer_key):
        if p is not None and not p.exists():
            return _usage(f"{p} does not exist")
    if args.answer_key is not None:
        try:
            key = json.loads(args.answer_key.read_text(encoding="utf-8"))
            key["identifiers"]  # noqa: B018 - the one field an answer key must have
        except (ValueError, KeyError, TypeError, UnicodeDecodeError):
            return _usage(f"{args.answer_key} is not an answer key (JSON with 'identifiers')")
    result = verify(args.release, args.against, args.answer_key)
    print(result.text(), end="")
    if args.report:
        args.report.parent.mkdir(parents=True, exist_ok=True)
        doc = json.dumps(result.to_json(), indent=1, ensure_ascii=False)
        args.report.write_text(doc + "\n", encoding="utf-8")
    return 0 if result.passed else 1


def main(argv: list[str] | None = None) -> int:
    return run(build_parser().parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
