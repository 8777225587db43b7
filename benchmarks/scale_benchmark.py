"""Whole-trial scale: what Dask's scheduler costs per file, as a curve over run sizes.

For each size (default 200, 1,000 and 10,000 CT slices of 512x512), side by side in one
session: the local pool (``--workers 2``, the same two processes without a scheduler) and
a Dask cluster of two single-threaded worker processes on this machine, already running
(``--scheduler ADDRESS``, as a deployment runs), and a new cluster started by the run
(``--scheduler local:2``, start-up included). The scheduler's cost per file is the Dask
run's time minus the pool's, divided by the files; the target is under 10% of the pool's
time at 10,000 files. Not a test; run by hand:

    .venv/bin/python benchmarks/scale_benchmark.py [--sizes 200,1000,10000] [--repeats 1]
        [--corpus DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import measure  # noqa: E402
from ct_corpus import generate  # noqa: E402

IMGSHARE = str(Path(sys.executable).parent / "imgshare")


def view(files: list[Path], corpus: Path, folder: Path) -> Path:
    """Hard links to the first files of the corpus, in its layout: a run of that size."""
    for path in files:
        target = folder / path.relative_to(corpus)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.link(path, target)
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="200,1000,10000")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--corpus", type=Path)
    parser.add_argument("--no-readme", action="store_true")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    work = Path(tempfile.mkdtemp(prefix="imgshare-scale-"))
    corpus = args.corpus or work / "corpus"
    have = sorted(corpus.rglob("*.dcm")) if corpus.exists() else []
    if len(have) < max(sizes):
        print(f"generating {max(sizes)} CT slices in {corpus} ...", file=sys.stderr)
        shutil.rmtree(corpus, ignore_errors=True)
        generate(corpus, max(sizes))
        have = sorted(corpus.rglob("*.dcm"))
    from distributed import LocalCluster

    from imgshare.dicom import keys

    key = keys.create_key(work / "bench.key")
    load_start = measure.loadavg()
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                           dashboard_address=None, host="127.0.0.1")  # fmt: skip
    rows = []
    try:
        for size in sizes:
            source = view(have[:size], corpus, work / f"view-{size}")
            for path in source.rglob("*.dcm"):  # the page cache, warm for every case alike
                path.read_bytes()
            cases = {
                "pool": ["--workers", "2"],
                "dask": ["--scheduler", cluster.scheduler_address],
                "dask+start": ["--scheduler", "local:2"],
            }
            runs: dict[str, list[dict]] = {name: [] for name in cases}
            for _ in range(args.repeats):
                for name, extra in cases.items():
                    out = work / "out"
                    shutil.rmtree(out, ignore_errors=True)
                    command = [IMGSHARE, "deidentify", str(source), str(out), "--key-file",
                               str(key), "--no-progress", *extra]  # fmt: skip
                    runs[name].append(measure.run(command))
                    print(f"{size} files, {name}: {runs[name][-1]['seconds']:.1f} s, load "
                          f"{measure.loadavg()}", file=sys.stderr)  # fmt: skip
            shutil.rmtree(work / "out", ignore_errors=True)
            shutil.rmtree(source, ignore_errors=True)
            med = {n: statistics.median(r["seconds"] for r in rs) for n, rs in runs.items()}
            peak = {n: max(r["peak_mb"] for r in rs) for n, rs in runs.items()}
            rows.append((size, med, peak))
    finally:
        cluster.close()
    lines = [
        f"CT slices (512x512, 16-bit), 2 workers, median of {args.repeats}; load average at "
        f"start {load_start}, at end {measure.loadavg()} (2 cores, shared)",
        "",
        "| files | local pool s | Dask (running cluster) s | scheduler cost ms/file "
        "| share of the pool's time | Dask with cluster start-up s | peak MB pool / Dask |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for size, med, peak in rows:
        cost = (med["dask"] - med["pool"]) / size * 1000
        share = (med["dask"] - med["pool"]) / med["pool"]
        lines.append(f"| {size} | {med['pool']:.1f} | {med['dask']:.1f} | {cost:.2f} | "
                     f"{share:.0%} | {med['dask+start']:.1f} | {peak['pool']:.0f} / "
                     f"{peak['dask']:.0f} |")  # fmt: skip
    big = rows[-1]
    big_share = (big[1]["dask"] - big[1]["pool"]) / big[1]["pool"]
    lines += [
        "",
        f"At {big[0]} files the scheduler costs {big_share:.0%} of the pool's time (target "
        f"under 10%): {'met' if big_share < 0.10 else 'NOT met'}. Tasks hold about "
        "files / (8 x workers) files each, from 8 to 256 (imgshare.scale.group_size). The "
        "peak memory of a Dask run is the client's tree only (the running cluster's workers "
        "are not its children).",
    ]
    table = "\n".join(lines)
    print(table)
    if not args.no_readme:
        readme = HERE / "README.md"
        text = readme.read_text()
        start, end = "<!-- scale-benchmark:start -->", "<!-- scale-benchmark:end -->"
        block = f"{start}\n{table}\n{end}"
        if start in text:
            text = text.split(start)[0] + block + text.split(end)[1]
        else:
            text += f"\n## Whole-trial scale (Dask)\n\n{block}\n"
        readme.write_text(text)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
