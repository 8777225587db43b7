"""Whole-trial scale: files/s with 1 and 2 local workers and a local Dask cluster of 2.

Side by side in one run, interleaved, median of repeats (the machine is shared and noisy):
scaling efficiency, peak memory per worker, and the engine's per-file overhead (Dask with
one worker against the plain serial loop). Not a test; run by hand:

    .venv/bin/python benchmarks/scale_benchmark.py --files 2000 [--repeats 2] [--corpus DIR]
"""

from __future__ import annotations

import argparse
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
CASES = {
    "serial (--workers 1)": ["--workers", "1"],
    "local pool (--workers 2)": ["--workers", "2"],
    "Dask local cluster, 1 worker": ["--scheduler", "local:1"],
    "Dask local cluster, 2 workers": ["--scheduler", "local:2"],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--corpus", type=Path)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="imgshare-scale-"))
    corpus = args.corpus or work / "corpus"
    if not corpus.exists():
        generate(corpus, args.files)
    files = sum(1 for _ in corpus.rglob("*.dcm"))
    key = work / "bench.key"
    from imgshare.dicom import keys

    keys.create_key(key)
    for path in corpus.rglob("*.dcm"):  # warm the page cache for every case alike
        path.read_bytes()
    load_start = measure.loadavg()
    runs: dict[str, list[dict]] = {name: [] for name in CASES}
    for _ in range(args.repeats):
        for name, extra in CASES.items():
            out = work / "out"
            shutil.rmtree(out, ignore_errors=True)
            command = [IMGSHARE, "deidentify", str(corpus), str(out), "--key-file", str(key),
                       "--no-progress", *extra]  # fmt: skip
            runs[name].append(measure.run(command))
    shutil.rmtree(work / "out", ignore_errors=True)
    med = {n: statistics.median(r["seconds"] for r in rs) for n, rs in runs.items()}
    base = med["serial (--workers 1)"]
    lines = [
        f"{files} CT slices (512x512, 16-bit), median of {args.repeats}; "
        f"load average at start {load_start}, at end {measure.loadavg()}",
        "",
        "| run | seconds | files/s | speed-up vs serial | efficiency | peak MB (tree) "
        "| processes |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, rs in runs.items():
        workers = 2 if "2" in name else 1
        speed = base / med[name]
        peak = max(r["peak_mb"] for r in rs)
        procs = max(r["processes"] for r in rs)
        lines.append(f"| {name} | {med[name]:.2f} | {files / med[name]:.0f} | {speed:.2f} | "
                     f"{speed / workers:.0%} | {peak:.0f} | {procs} |")  # fmt: skip
    per_file = base / files * 1000
    overhead = (med["Dask local cluster, 1 worker"] - base) / files * 1000
    lines += [
        "",
        f"Per-file work (serial): {per_file:.2f} ms. Dask overhead per file (1-worker "
        f"cluster minus serial, cluster start-up included): {overhead:.2f} ms "
        f"({overhead / per_file:.0%} of the work).",
    ]
    table = "\n".join(lines)
    print(table)
    readme = HERE / "README.md"
    text = readme.read_text() if readme.exists() else "# Benchmarks\n"
    start, end = "<!-- scale-benchmark:start -->", "<!-- scale-benchmark:end -->"
    block = f"{start}\n{table}\n{end}"
    if start in text:
        text = text.split(start)[0] + block + text.split(end)[1]
    else:
        text += f"\n## Whole-trial scale (Dask)\n\nCommand: `.venv/bin/python benchmarks/" \
                f"scale_benchmark.py --files {args.files}`\n\n{block}\n"  # fmt: skip
    readme.write_text(text)


if __name__ == "__main__":
    main()
