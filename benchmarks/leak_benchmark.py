"""Leak benchmark: the tools-compared table on a few thousand files, with files per second.

Why outside the book: the chapter runs on a corpus small enough to build in seconds; this
runs every tool (imgshare with the book's options, dicognito, deid with its default recipe,
dicom-anonymizer) on a larger planted corpus from ``imgshare.corpus`` in one session, side
by side, and checks each output with ``imgshare verify`` against the sources and the answer
key. The times are wall-clock for one process per tool, including start-up, on a shared
machine: compare columns within one run, not across runs.

    .venv/bin/python benchmarks/leak_benchmark.py [--patients 90] [--slices 12] [--seed 11]

It prints the Markdown table and rewrites the section of benchmarks/README.md between the
markers ``<!-- leak-benchmark:start -->`` and ``<!-- leak-benchmark:end -->``.
"""

from __future__ import annotations

import argparse
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

from imgshare import corpus, scoring
from imgshare.book import peers
from imgshare.dicom import keys
from imgshare.verify import verify

HERE = Path(__file__).resolve().parent
README = HERE / "README.md"
START, END = "<!-- leak-benchmark:start -->", "<!-- leak-benchmark:end -->"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=90)
    parser.add_argument("--slices", type=int, default=12)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--no-readme", action="store_true", help="print only")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="leak-bench-"))
    try:
        start = time.perf_counter()
        src = work / "corpus"
        key = corpus.generate(src, seed=args.seed, patients=args.patients, slices=args.slices)
        n = sum(1 for _ in src.rglob("*.dcm"))
        print(f"corpus: {n} files in {time.perf_counter() - start:.0f} s", file=sys.stderr)
        key_file = keys.create_key(work / "key")
        columns = {}
        for tool in peers.TOOLS:
            out = work / "out" / tool
            run = peers.run(tool, src, out, key_file)
            t0 = time.perf_counter()
            result = verify(out, against=src, answer_key=key)
            print(f"{tool}: {run['seconds']:.1f} s, verify {time.perf_counter() - t0:.1f} s, "
                  f"exit {run['returncode']}", file=sys.stderr)  # fmt: skip
            col = scoring.score(result, run["seconds"])
            col["exit status"] = run["returncode"]
            columns[f"{tool} {peers.version(tool)}"] = col
        table = scoring.markdown(scoring.table(columns))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    section = "\n".join(
        [
            START,
            "## Leak benchmark",
            "",
            f"`benchmarks/leak_benchmark.py --patients {args.patients} --slices {args.slices} "
            f"--seed {args.seed}`: {n} files from `imgshare.corpus` ({len(key['identifiers'])} "
            f"identifying values in {len(key['planted'])} planted places, "
            f"{len(key['pixel_text'])} images with burned-in text), each tool with its "
            f"defaults (imgshare with the book's options), checked by `imgshare verify` "
            f"against the sources and the answer key. Python {platform.python_version()}, "
            f"{platform.machine()}; one process per tool, times include start-up.",
            "",
            table,
            "",
            "Leak rows count places (file and location) where a planted value was found. "
            "Pixel leaks are text burned into ultrasound images that no header tool removes.",
            END,
        ]
    )
    print(section)
    if not args.no_readme:
        _write(section)
    return 0


def _write(section: str) -> None:
    text = README.read_text() if README.exists() else "# Benchmarks\n"
    if START in text and END in text:
        before, rest = text.split(START, 1)
        after = rest.split(END, 1)[1]
        text = before + section + after
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    README.write_text(text)


if __name__ == "__main__":
    sys.exit(main())
