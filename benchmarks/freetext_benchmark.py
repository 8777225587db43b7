"""Free-text benchmark: planted identifiers in real descriptor strings, each tool at its defaults.

Why: Clean Descriptors is judged by two numbers that pull against each other, the share of
planted identifiers removed (recall; the goal is all of them) and the share of the clinical
words around them kept (the goal is at least 90%). ``freetext_corpus.py`` makes the strings
(real descriptor text from public sources, identifiers planted by a generator, a held-apart
half the cleaner was never tuned on). This script writes them into descriptor attributes of a
real DICOM file (pydicom's ``CT_small.dcm``), runs each tool on the files as its users run it
(``imgshare.book.peers``), reads the attributes back and scores them. imgshare runs twice: as
it was before this cleaner (commit e122dea, taken from git into a temporary folder) and as it is.

    .venv/bin/python benchmarks/freetext_benchmark.py [--seed 18] [--per-half 300] [--no-readme]

It prints the tables and rewrites the section of benchmarks/README.md between
``<!-- freetext-benchmark:start -->`` and ``<!-- freetext-benchmark:end -->``.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pydicom
from pydicom.data import get_testdata_file
from pydicom.uid import generate_uid

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from freetext_corpus import generate, score  # noqa: E402

from imgshare.book import peers  # noqa: E402
from imgshare.dicom import keys, text  # noqa: E402

README = HERE / "README.md"
START, END = "<!-- freetext-benchmark:start -->", "<!-- freetext-benchmark:end -->"
OLD_COMMIT = "e122dea"
LO_SLOTS = [
    "StudyDescription",
    "SeriesDescription",
    "ProtocolName",
    "RequestedProcedureDescription",
]
LT_SLOTS = ["AdditionalPatientHistory", "ImageComments"]
#: The files only carry the text; their pixels are not judged here. Without this, imgshare
#: holds back every file whose descriptor names the head (a CT of the head may show a face),
#: and those values would count as emptied.
TEXT_ONLY = ("--release-unreviewed-pixels",)


def write_files(items: list[dict], folder: Path) -> list[tuple[str, str, dict]]:
    """Put every string into a descriptor attribute of a copy of CT_small.dcm.

    Strings of up to 64 characters go into LO attributes, longer ones into LT attributes, so
    every value is valid for its VR. Returns (file name, keyword, item) for each string.
    """
    template = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    for kw in LO_SLOTS + LT_SLOTS + ["StudyComments", "ImageComments"]:
        if kw in template:
            del template[kw]
    short = [i for i in items if len(i["text"]) <= 64]
    long_ = [i for i in items if len(i["text"]) > 64]
    placed = []
    folder.mkdir(parents=True, exist_ok=True)
    n = 0
    while short or long_:
        ds = template.copy()
        ds.InstanceNumber = n + 1
        ds.SOPInstanceUID = generate_uid(entropy_srcs=["freetext", str(n)])
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        name = f"ft{n:04d}.dcm"
        for kw in LO_SLOTS:
            if short:
                item = short.pop()
                setattr(ds, kw, item["text"])
                placed.append((name, kw, item))
        for kw in LT_SLOTS:
            pool = long_ or short
            if pool:
                item = pool.pop()
                setattr(ds, kw, item["text"])
                placed.append((name, kw, item))
        ds.save_as(folder / name)
        n += 1
    return placed


def read_back(out: Path) -> dict[str, pydicom.Dataset]:
    """Output datasets by input file name, found through Instance Number (the tools rename
    files differently; all of them keep Instance Number, which holds the file's index)."""
    found = {}
    for path in out.rglob("*"):
        if path.is_file():
            try:
                ds = pydicom.dcmread(path, stop_before_pixels=True)
                found[f"ft{int(ds.InstanceNumber) - 1:04d}.dcm"] = ds
            except Exception:
                continue
    return found


def old_imgshare(work: Path) -> Path:
    """The package as it was at OLD_COMMIT, unpacked from git (the 'before' column)."""
    dest = work / "old-src"
    dest.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", OLD_COMMIT, "src"], capture_output=True, check=True
    )
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive.stdout, check=True)
    return dest / "src"


def run_old(src: Path, dst: Path, key_file: Path, old_src: Path) -> float:
    env = {**os.environ, "PYTHONPATH": str(old_src), "PYTHONWARNINGS": "ignore"}
    cmd = peers.command("imgshare", src, dst, key_file)
    start = time.perf_counter()
    subprocess.run(cmd, env=env, capture_output=True, check=False, cwd=str(old_src))
    return time.perf_counter() - start


def tally(placed, outputs) -> dict[str, dict[str, float]]:
    """Recall and clinical words kept, per half."""
    res: dict[str, dict[str, float]] = {}
    for name, kw, item in placed:
        ds = outputs.get(name)
        value = str(ds.get(kw, "") or "") if ds is not None else ""
        s = score(item, value)
        r = res.setdefault(item["half"], {"ids": 0, "leaked": 0, "base": 0, "kept": 0, "empty": 0})
        r["ids"] += s["ids"]
        r["leaked"] += len(s["leaked"])
        r["base"] += s["base_tokens"]
        r["kept"] += s["kept"]
        r["empty"] += not value.strip() or value.strip() == "DEIDENTIFIED"
        for leak in s["leaked"]:
            r[f"kind:{leak['kind']}"] = r.get(f"kind:{leak['kind']}", 0) + 1
    return res


def cost(items: list[dict]) -> dict[str, float]:
    """Microseconds per value for the older pattern cleaner and the allow-list, side by side."""
    t0 = time.perf_counter()
    vocab = text.vocabulary()
    load = time.perf_counter() - t0
    values = [i["text"] for i in items]
    ids = ["Doe^Jane", "Jane", "Doe", "MRN0001", "20200101", "2020-01-01"]
    old, new = text.Cleaner(ids), text.Cleaner(ids, vocab)
    timings = {"old": [], "new": []}
    for _ in range(3):
        for label, c in (("old", old), ("new", new)):
            t = time.perf_counter()
            for v in values:
                c.clean(v)
            timings[label].append((time.perf_counter() - t) / len(values) * 1e6)
    return {"load_s": load, "old_us": min(timings["old"]), "new_us": min(timings["new"])}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--per-half", type=int, default=300)
    parser.add_argument("--no-readme", action="store_true")
    args = parser.parse_args(argv)
    items = generate(seed=args.seed, per_half=args.per_half)
    work = Path(tempfile.mkdtemp(prefix="freetext-bench-"))
    results, seconds = {}, {}
    try:
        src = work / "in"
        placed = write_files(items, src)
        nfiles = len(list(src.iterdir()))
        key_file = keys.create_key(work / "key")
        old_src = old_imgshare(work)
        seconds["imgshare before (e122dea)"] = run_old(src, work / "old", key_file, old_src)
        results["imgshare before (e122dea)"] = tally(placed, read_back(work / "old"))
        for tool in peers.TOOLS:
            label = "imgshare (this cleaner)" if tool == "imgshare" else tool
            run = peers.run(tool, src, work / tool, key_file, extra=TEXT_ONLY)
            seconds[label] = run["seconds"]
            results[label] = tally(placed, read_back(work / tool))
            print(f"{label}: {run['seconds']:.1f} s, exit {run['returncode']}", file=sys.stderr)
            if tool == "imgshare" and run["returncode"] != 0:
                # a file imgshare failed would score as emptied, not as cleaned: refuse
                raise SystemExit(f"imgshare failed on some files: {run['last_line']}")
        timing = cost(items)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    section = render(args, items, placed, nfiles, results, seconds, timing)
    print(section)
    if not args.no_readme:
        readme = README.read_text()
        if START in readme:
            head, rest = readme.split(START, 1)
            readme = head + section + rest.split(END, 1)[1]
        else:
            readme = readme.rstrip() + "\n" + section + "\n"
        README.write_text(readme)
    return 0


def render(args, items, placed, nfiles, results, seconds, timing) -> str:
    halves = {"tune": "tuned-on half", "held": "held-apart half"}
    sources = sorted({i["source"] for i in items})
    counts = {s: sum(1 for i in items if i["source"] == s) for s in sources}
    lines = [
        START,
        "## Free text: Clean Descriptors against planted identifiers",
        "",
        f"`benchmarks/freetext_benchmark.py --seed {args.seed} --per-half {args.per_half}`: "
        f"{len(items)} descriptor strings ({', '.join(f'{counts[s]} {s}' for s in sources)}; "
        "see `freetext_corpus.py`) with "
        f"{sum(len(i['ids']) for i in items)} planted identifiers, written into "
        f"{len(placed)} descriptor attributes of {nfiles} copies of pydicom's `CT_small.dcm`, "
        "run through each tool at its defaults (imgshare with the book's options), read back. "
        "The held-apart half has base strings and name, place and hospital pools the cleaner "
        "was never tuned on (split fixed by `SPLIT_SEED` in `freetext_corpus.py`). "
        f"Python {platform.python_version()}, {platform.machine()}.",
        "",
        "Recall: planted identifiers none of whose identifying tokens survive. Clinical words "
        "kept: tokens of the original descriptor found in the output. Emptied: values the tool "
        "removed or replaced whole.",
        "",
    ]
    for half in ("tune", "held"):
        lines += [
            f"**{halves[half]}** ({sum(1 for i in items if i['half'] == half)} strings)",
            "",
            "| tool | identifiers removed | recall | clinical words kept | kept | values emptied "
            "| seconds |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        for tool, res in results.items():
            r = res.get(half, {"ids": 0, "leaked": 0, "base": 0, "kept": 0, "empty": 0})
            removed = r["ids"] - r["leaked"]
            lines.append(
                f"| {tool} | {removed} of {r['ids']} | {removed / max(r['ids'], 1):.1%} "
                f"| {r['kept']} of {r['base']} | {r['kept'] / max(r['base'], 1):.1%} "
                f"| {r['empty']} | {seconds[tool]:.1f} |"
            )
        lines.append("")
        mine = results.get("imgshare (this cleaner)", {}).get(half, {})
        kinds = {k[5:]: v for k, v in mine.items() if k.startswith("kind:")}
        if kinds:
            lines += [
                "Identifiers this cleaner left, by kind: "
                + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items()))
                + ".",
                "",
            ]
    lines += [
        f"Cost of the cleaner (same run, same {len(items)} strings, best of 3): the older "
        f"pattern cleaner {timing['old_us']:.0f} µs per value, the allow-list "
        f"{timing['new_us']:.0f} µs per value "
        f"({timing['new_us'] / max(timing['old_us'], 1e-9):.1f}×); the vocabulary loads once "
        f"per process in {timing['load_s']:.2f} s. Seconds in the tables include each tool's "
        "start-up, on a shared machine.",
        END,
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
