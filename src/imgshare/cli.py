"""The ``imgshare`` command line."""

from __future__ import annotations

import argparse
import sys

from imgshare import __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="imgshare",
        description="De-identify and inspect medical images for clinical-trial data sharing.",
    )
    parser.add_argument("--version", action="version", version=f"imgshare {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser("samples", help="check the sample data against data/samples/MANIFEST.csv")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "samples":
        from imgshare import samples

        problems = samples.verify()
        for problem in problems:
            print(problem, file=sys.stderr)
        print(f"{len(samples.manifest())} samples, {len(problems)} problem(s)")
        return 1 if problems else 0
    parser.print_help()
    return 2


if __name__ == "__main__":
    sys.exit(main())
