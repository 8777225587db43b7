"""The ``imgshare`` command line: deidentify, inspect, keygen, samples.

Exit codes: 0 all done, 1 some files failed (or problems found), 2 usage error (bad
arguments, key file or paths, a destination in use), 3 an unexpected error inside imgshare
(one line on stderr, never a traceback; please report it), 130 interrupted.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from imgshare import __version__, profile


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="imgshare",
        description="De-identify and inspect medical images for clinical-trial data sharing.",
    )
    parser.add_argument("--version", action="version", version=f"imgshare {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    d = sub.add_parser(
        "deidentify",
        help="de-identify a DICOM file or folder (PS3.15 Basic Profile and options)",
        description="De-identify SRC (a file or a folder, recursively) into DST. SRC is never "
        "modified; each output is written atomically; names carry no identifiers.",
    )
    d.add_argument("src", metavar="SRC", help="a file or folder, or an fsspec URL")
    d.add_argument("dst", metavar="DST", help="a folder, or an fsspec URL")
    d.add_argument(
        "--option",
        action="append",
        default=[],
        metavar="NAME",
        help="a PS3.15 option, repeatable: " + ", ".join(profile.OPTIONS),
    )
    d.add_argument(
        "--subjects",
        type=Path,
        metavar="MAP.csv",
        help="subject map: original_id, subject_id, date_offset_days "
        "(the clinical data's pseudonyms and shifts)",
    )
    d.add_argument("--key-file", type=Path, required=True, metavar="KEY",
                   help="secret key file (make one with: imgshare keygen KEY)")  # fmt: skip
    d.add_argument("--recipe", type=Path, metavar="FILE", help="YAML or TOML recipe")
    d.add_argument("--workers", type=int, default=1, metavar="N", help="worker processes")
    d.add_argument("--report", type=Path, metavar="FILE", help="write the JSON report here "
                   "(and a text summary beside it)")  # fmt: skip
    d.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run on a Dask cluster (HOST:PORT or tcp://…), or 'local:N' for a new local one",
    )
    d.add_argument(
        "--release-unreviewed-pixels",
        action="store_true",
        help="release files whose pixels may identify (burned-in text, faces) even without "
        "the option that treats them; each is noted and the report says so",
    )
    d.add_argument("--no-progress", action="store_true", help="no progress bar")
    d.add_argument(
        "--show-paths",
        action="store_true",
        help="name source files by path in the report and on stderr (they may hold names); "
        "by default by a keyed hash",
    )
    d.add_argument(
        "--durable",
        action="store_true",
        help="flush each output to disk before moving it into place (power-cut safe, slower)",
    )

    i = sub.add_parser("inspect", help="show each attribute of a file and its planned action")
    i.add_argument("file", type=Path, metavar="FILE")
    i.add_argument("--option", action="append", default=[], metavar="NAME")
    i.add_argument("--recipe", type=Path, metavar="FILE")
    i.add_argument("--values", action="store_true", help="also print values (may show identifiers)")

    k = sub.add_parser("keygen", help="create a secret key file readable by its owner only")
    k.add_argument("path", type=Path, metavar="KEY")

    sub.add_parser("samples", help="check the sample data against data/samples/MANIFEST.csv")

    from imgshare import verify

    v = sub.add_parser(
        "verify",
        help="scan a release for residual identifiers and broken references",
        description="Scan every byte and path of DIR for identifying values taken from SRC "
        "or an answer key; check references, pseudonyms and date intervals. Exit 0 clean, "
        "1 identifying content found, 2 usage error. Identifiers are masked in the report.",
    )
    verify.build_parser(v)
    return parser


EXIT_INTERNAL = 3


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return _dispatch(parser, args)
    except (ValueError, FileNotFoundError, FileExistsError) as exc:
        print(f"imgshare: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader went away (imgshare inspect FILE | head): stop quietly, and point
        # stdout at /dev/null so that the interpreter's final flush does not complain.
        _silence_stdout()
        return 0
    except KeyboardInterrupt:
        print("imgshare: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # one line, never a traceback, with its own exit code
        from imgshare.reasons import from_exception

        print(f"imgshare: internal error ({type(exc).__name__}: {from_exception(exc)}); "
              "please report it", file=sys.stderr)  # fmt: skip
        return EXIT_INTERNAL


def _silence_stdout() -> None:
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass  # stdout replaced (a test's capture): nothing to flush at exit


def _dispatch(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    if args.command == "deidentify":
        return _deidentify(args)
    if args.command == "inspect":
        return _inspect(args)
    if args.command == "keygen":
        return _keygen(args)
    if args.command == "samples":
        return _samples()
    if args.command == "verify":
        from imgshare import verify

        return verify.run(args)
    parser.print_help()
    return 2


def _deidentify(args: argparse.Namespace) -> int:
    from imgshare import remote
    from imgshare.dicom import config

    cfg = config.build(args.key_file, args.option, args.subjects, args.recipe,
                       release_unreviewed=args.release_unreviewed_pixels)  # fmt: skip
    rep = remote.run(
        args.src,
        args.dst,
        cfg,
        workers=args.workers,
        report=args.report,
        progress=not args.no_progress,
        durable=args.durable,
        scheduler=args.scheduler,
        show_paths=args.show_paths,
    )
    print(rep.text(), end="")
    return 1 if rep.counts["failed"] else 0


def _keygen(args: argparse.Namespace) -> int:
    from imgshare.dicom import keys

    try:
        keys.create_key(args.path)
    except FileExistsError:
        raise FileExistsError(f"{args.path} exists; a key is never overwritten") from None
    print(f"created {args.path} (mode 600). Keep it secret and keep it: the same key gives "
          "the same pseudonyms and UIDs in later releases.")  # fmt: skip
    return 0


def _inspect(args: argparse.Namespace) -> int:
    import secrets

    from imgshare.dicom import config, engine, io

    cfg = config.Config(key=secrets.token_bytes(32), options=tuple(args.option))
    if args.recipe:
        data = config.load_recipe(args.recipe)
        cfg = config.Config(
            key=cfg.key,
            options=tuple(list(data.get("options") or []) + list(args.option)),
            overrides={
                config.parse_tag(t): str(a).upper()
                for t, a in (data.get("overrides") or {}).items()
            },
        )
    try:
        ds, notes = io.read(args.file)
        values = {}
        if args.values:
            for elem in ds.iterall():
                values[int(elem.tag)] = str(elem.value)[:40] if elem.VR != "SQ" else ""
        ctx = engine.plan(ds, cfg)
    except (io.NotDicom, engine.DeidError) as exc:
        print(f"imgshare: {args.file}: {exc}", file=sys.stderr)
        return 1
    print(f"{args.file}: {ds.get('Modality', '?')} {ds.SOPClassUID.name}")
    print(f"options: {', '.join(cfg.options) or '(Basic Profile only)'}")
    for note in notes:
        print(f"note: {note}")
    width = max((len(d.path) for d in ctx.decisions), default=10)
    for d in ctx.decisions:
        risk = "keep" if d.action == "K" else "identifying" if "Table" in d.reason else "remove"
        line = f"{d.path:<{width}}  {d.keyword[:32]:<32} {d.vr:<2} {d.action:<2} {risk:<11} "
        line += d.reason
        if args.values:
            tag = int(d.path[-10:-6] + d.path[-5:-1], 16)
            line += f"  = {values.get(tag, '')}"
        print(line)
    counts: dict[str, int] = {}
    for d in ctx.decisions:
        counts[d.action] = counts.get(d.action, 0) + 1
    print("actions: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    return 0


def _samples() -> int:
    from imgshare import samples

    problems = samples.verify()
    for problem in problems:
        print(problem, file=sys.stderr)
    print(f"{len(samples.manifest())} samples, {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
