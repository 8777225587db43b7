"""The ``imgshare`` command line: deidentify, inspect, keygen, samples, verify.

Exit codes: 0 all done, 1 some files failed (or problems found), 2 usage error (bad
arguments, key file or paths, a destination in use), 3 an unexpected error inside imgshare
(one line on stderr, never a traceback; please report it), 130 interrupted.

The help texts and :data:`EXAMPLES` are the command line's documentation: ``--help`` prints
them, and the book's command-line reference is generated from this parser, so the two cannot
drift apart.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from pathlib import Path

from imgshare import __version__, profile

#: Worked examples for each command, as (what it does, the command). ``--help`` prints them
#: and the book's command-line reference shows them; the quickstart runs the same commands.
EXAMPLES: dict[str, list[tuple[str, str]]] = {
    "deidentify": [
        ("a folder, with the options most trial releases need, and a report",
         "imgshare deidentify scans/ release/ --key-file release.key "
         "--option retain-long-modified-dates --option clean-descriptors "
         "--report release-report.json"),
        ("pseudonyms and date shifts taken from the clinical release's subject map",
         "imgshare deidentify scans/ release/ --key-file release.key "
         "--subjects subject_map.csv --option retain-long-modified-dates"),
        ("the settings of a reviewed recipe file, on four worker processes",
         "imgshare deidentify scans/ release/ --key-file release.key "
         "--recipe recipe.yaml --workers 4"),
    ],
    "inspect": [
        ("what the Basic Profile would do to each attribute of one file",
         "imgshare inspect scans/CT_small.dcm"),
        ("the same with an option, showing the values (on your own screen only)",
         "imgshare inspect scans/CT_small.dcm --option clean-descriptors --values"),
    ],
    "keygen": [
        ("a new key for one release, kept with the subject map and never sent",
         "imgshare keygen release.key"),
    ],
    "samples": [
        ("check the book's sample files (run in a clone of the repository)",
         "imgshare samples"),
    ],
    "verify": [
        ("search a release for any identifying value of the original files",
         "imgshare verify release/ --against scans/ --report verify-report.json"),
        ("score a release of the planted test corpus against its answer key",
         "imgshare verify release/ --answer-key answer-key.json"),
    ],
}  # fmt: skip

#: Where a help text points for the reasoning behind a choice (the book's pages).
KEY_ADVICE = "one key per release; see 'Keep the key, and keep it apart' in the book"


def _epilog(command: str, extra: str = "") -> str:
    lines = [extra] if extra else []
    lines.append("examples:")
    for what, command_line in EXAMPLES[command]:
        lines += [f"  # {what}", f"  {command_line}"]
    return "\n".join(lines)


def _text(paragraph: str) -> str:
    """A description wrapped for a terminal (raw formatting keeps the examples' lines)."""
    return textwrap.fill(paragraph, width=79, break_on_hyphens=False, break_long_words=False)


def _options_list() -> str:
    width = max(len(slug) for slug in profile.OPTIONS)
    rows = [f"  {slug:<{width}}  {option.name}" for slug, option in profile.OPTIONS.items()]
    return "PS3.15 options (for --option and a recipe's options):\n" + "\n".join(rows) + "\n"


def build_parser() -> argparse.ArgumentParser:
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog="imgshare",
        description=_text(
            "De-identify, inspect and verify medical images (DICOM, NIfTI) for "
            "clinical-trial data sharing. Run 'imgshare COMMAND --help' for a command's "
            "arguments and examples."
        ),
        epilog="exit status: 0 done, 1 some files failed or identifying content was found, "
        "2 usage error",
    )
    parser.add_argument("--version", action="version", version=f"imgshare {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    d = sub.add_parser(
        "deidentify",
        help="de-identify a DICOM or NIfTI file or folder (PS3.15 Basic Profile and options)",
        description=_text(
            "De-identify SRC (a file, or a folder read recursively) into DST with "
            "the PS3.15 Basic Application Level Confidentiality Profile and the options chosen. "
            "SRC is never modified; each output is written atomically; output names carry no "
            "identifiers. Every file is accounted for in the summary: processed, skipped (not an "
            "image) or failed, with a reason that never quotes a value."
        ),
        epilog=_epilog("deidentify", _options_list()),
        formatter_class=raw,
    )
    d.add_argument("src", metavar="SRC", help="the original files: a file or a folder "
                   "(read recursively, never modified), or an fsspec URL")  # fmt: skip
    d.add_argument("dst", metavar="DST", help="the folder the release is written to "
                   "(created if needed), or an fsspec URL")  # fmt: skip
    d.add_argument(
        "--option",
        action="append",
        default=[],
        metavar="NAME",
        help="a PS3.15 option to apply on top of the Basic Profile; repeat for several "
        "(the list is below)",
    )
    d.add_argument(
        "--subjects",
        type=Path,
        metavar="MAP.csv",
        help="subject map, a CSV file with the columns original_id, subject_id, "
        "date_offset_days: the clinical release's pseudonyms and date shifts, so that the "
        "images line up with the clinical data; a patient missing from it fails",
    )
    d.add_argument("--key-file", type=Path, required=True, metavar="KEY",
                   help="the secret key that makes replacement UIDs and pseudonyms "
                   f"(create it with 'imgshare keygen KEY'; {KEY_ADVICE})")  # fmt: skip
    d.add_argument("--recipe", type=Path, metavar="FILE", help="a YAML or TOML recipe "
                   "(keys: options, overrides, safe_private, allow_list, description); "
                   "its SHA-256 is recorded in the report")  # fmt: skip
    d.add_argument("--workers", type=int, default=1, metavar="N", help="worker processes "
                   "on this machine (default 1); the output does not depend on N")  # fmt: skip
    d.add_argument("--report", type=Path, metavar="FILE", help="write the JSON report here "
                   "(and a text summary beside it); it records actions, never values")  # fmt: skip
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
    d.add_argument("--no-progress", action="store_true", help="print no progress while "
                   "files are processed")  # fmt: skip
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

    i = sub.add_parser(
        "inspect",
        help="show each attribute of a file and its planned action",
        description=_text(
            "Show, for one DICOM file, every attribute with the action the profile "
            "and options would take on it (K keep, X remove, Z empty, D dummy, U new UID, C clean) "
            "and why. Nothing is written. Values are not printed unless --values is given."
        ),
        epilog=_epilog("inspect"),
        formatter_class=raw,
    )
    i.add_argument("file", type=Path, metavar="FILE", help="one DICOM file")
    i.add_argument("--option", action="append", default=[], metavar="NAME",
                   help="a PS3.15 option to plan with, as for deidentify; repeatable")  # fmt: skip
    i.add_argument("--recipe", type=Path, metavar="FILE",
                   help="a recipe whose options and overrides to plan with")  # fmt: skip
    i.add_argument("--values", action="store_true", help="also print each value, cut to 40 "
                   "characters (may show identifiers: for your own screen only)")  # fmt: skip

    k = sub.add_parser(
        "keygen",
        help="create a secret key file readable by its owner only",
        description=_text(
            "Create a new random 256-bit key in KEY (mode 600). The key makes the "
            "replacement UIDs and the pseudonyms of subjects not in a subject map: the same key "
            "gives the same values in a later delivery of the same release. An existing file "
            "is never overwritten."
        ),
        epilog=_epilog("keygen", f"key management: {KEY_ADVICE}.\n"),
        formatter_class=raw,
    )
    k.add_argument("path", type=Path, metavar="KEY", help="the file to create; it must not "
                   "exist yet")  # fmt: skip

    sub.add_parser(
        "samples",
        help="check the sample data against data/samples/MANIFEST.csv",
        description=_text(
            "Check every sample file of the repository against its recorded "
            "size and SHA-256 in data/samples/MANIFEST.csv."
        ),
        epilog=_epilog("samples"),
        formatter_class=raw,
    )

    from imgshare import verify

    v = sub.add_parser(
        "verify",
        help="scan a release for residual identifiers and broken references",
        epilog=_epilog("verify"),  # the description (with exit codes) is verify's own
        formatter_class=raw,
    )
    verify.build_parser(v)
    v.description = _text(v.description)
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
    print(f"created {args.path} (mode 600). Keep it secret, with the subject map: it is the "
          "key of one release and of later deliveries of that release (same key, same UIDs "
          "and pseudonyms); make a new key for a new request.")  # fmt: skip
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
