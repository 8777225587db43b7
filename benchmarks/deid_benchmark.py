"""Side-by-side benchmark of ``imgshare deidentify`` against peer tools and ``cp -r``.

Why side by side: the machines this runs on are shared and noisy, so absolute files per
second mean little from one day to the next. Every tool runs in the same session on the same
generated CT corpus, in an interleaved order, and the report gives ratios taken within each
repetition (tool time over ``cp -r`` time, tool time over imgshare's single-process time).

The peers are pinned in requirements.txt and run from the project's environment (the
benchmark checks their versions). GDCM's ``gdcmanon`` (Debian ``libgdcm-tools``), a C++
tool, is the anchor: what compiled code does on the same files. Each runs with its
documented defaults:

- dicognito: its command line on the corpus folder with ``--output-directory``;
- deid: ``deid.dicom.replace_identifiers`` with the default ``DeidRecipe()``, saving into an
  output folder, in a subprocess in the peer environment;
- dicom-anonymizer: its command line on a folder. It reads only the top level of a folder,
  so it gets a flat view of the corpus made of hard links (same files, same page cache);
- gdcmanon: ``-e`` (PS3.15 E.1.1 de-identification, the original attributes encrypted into
  the file with a throw-away certificate made here with openssl), recursive.

``--profile`` adds where imgshare's time goes, per phase (read, walk, write, the batch's own
work), measured in-process on the same corpus for this checkout and, with
``--profile-before SRC``, for another checkout's ``src`` folder, side by side.

Peak memory is the largest sum of VmRSS over the tool's whole process tree (the process and
all its descendants), sampled every 20 ms from /proc. Pages shared between forked workers are
counted once per process, so a multi-process figure overstates real use a little.

    .venv/bin/python benchmarks/deid_benchmark.py --files 2000 [--repeats 2] [--corpus DIR]

It prints a Markdown table and rewrites the section of benchmarks/README.md between the
markers ``<!-- deid-benchmark:start -->`` and ``<!-- deid-benchmark:end -->``.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
README = HERE / "README.md"
START, END = "<!-- deid-benchmark:start -->", "<!-- deid-benchmark:end -->"
CP = "cp -r"
PEER_PINS = {"dicognito": "0.19.0", "deid": "0.4.13", "dicom-anonymizer": "2.1.0"}

DEID_RUNNER = """
import os, sys
from deid.config import DeidRecipe
from deid.dicom import replace_identifiers
src, out = sys.argv[1], sys.argv[2]
files = sorted(os.path.join(d, f) for d, _, names in os.walk(src) for f in names)
replace_identifiers(files, deid=DeidRecipe(), save=True, output_folder=out)
"""


BATCH = "batch (walk the tree, release gate, names, journal, rename, report)"
PROFILE_RUNNER = """
import json, os, sys, tempfile, time, warnings
from pathlib import Path
warnings.simplefilter("ignore")
from imgshare import batch
from imgshare.dicom import config, engine, io, keys
corpus, limit = Path(sys.argv[1]), int(sys.argv[2])
files = sorted(corpus.rglob("*.dcm"))[:limit]
work = Path(tempfile.mkdtemp())
cfg = config.build(keys.create_key(work / "k.key"))
try:  # the header-only path, where the checkout has it
    from imgshare.dicom import fastpath
except ImportError:
    fastpath = None
phase = {"read": 0.0, "walk": 0.0, "write": 0.0}
header_only = 0
for f in files:
    if fastpath is not None:
        times = {}
        done = fastpath.deidentify(str(f), cfg, work, work / "w", times=times)
        if isinstance(done, fastpath.Done):
            os.unlink(done.temp)
            header_only += 1
            for name in phase:  # its gate is left in the batch's share, as below
                phase[name] += times.get(name, 0.0)
            continue
    a = time.perf_counter(); ds, _ = io.read(f); b = time.perf_counter()
    engine.apply(ds, cfg); c = time.perf_counter()
    temp = io.write_temp(ds, work / "w"); d = time.perf_counter(); os.unlink(temp)
    phase["read"] += b - a; phase["walk"] += c - b; phase["write"] += d - c
view = work / "view"
for f in files:
    (view / f.relative_to(corpus)).parent.mkdir(parents=True, exist_ok=True)
    os.link(f, view / f.relative_to(corpus))
start = time.perf_counter(); batch.run(view, work / "out", cfg); whole = time.perf_counter() - start
n = len(files)
out = {k: 1000 * v / n for k, v in phase.items()}
out["whole run"] = 1000 * whole / n
out[BATCH] = max(0.0, out["whole run"] - out["read"] - out["walk"] - out["write"])
out["header-only files"] = header_only
print(json.dumps(out))
"""


def profile_phases(corpus: Path, sources: dict[str, str | None], files: int, repeats: int):
    """ms per file in each phase, for each checkout (PYTHONPATH), interleaved, best of
    ``repeats`` (the least disturbed by other jobs)."""
    import json

    best: dict[str, dict[str, float]] = {}
    for _ in range(repeats):
        for label, src in sources.items():
            env = dict(os.environ)
            if src:
                env["PYTHONPATH"] = src
            runner = PROFILE_RUNNER.replace("BATCH", repr(BATCH), 1)
            out = subprocess.run([sys.executable, "-c", runner, str(corpus), str(files)],
                                 capture_output=True, text=True, env=env, check=True)  # fmt: skip
            result = json.loads(out.stdout.strip().splitlines()[-1])
            if label not in best or result["whole run"] < best[label]["whole run"]:
                best[label] = result
    return best


def profile_table(best: dict[str, dict[str, float]]) -> list[str]:
    labels = list(best)
    lines = ["| phase | " + " | ".join(f"{k}: ms/file (share)" for k in labels) + " |",
             "| --- |" + " ---: |" * len(labels)]  # fmt: skip
    for phase in ["read", "walk", "write", BATCH, "whole run"]:
        cells = []
        for label in labels:
            value, whole = best[label][phase], best[label]["whole run"]
            cells.append(f"{value:.2f} ({value / whole:.0%})")
        lines.append(f"| {phase} | " + " | ".join(cells) + " |")
    lines.append("| files through the header-only path | " + " | ".join(
        str(int(best[label].get("header-only files", 0))) for label in labels) + " |")  # fmt: skip
    return lines


# --- environments -------------------------------------------------------------------------


def ensure_peer_venvs() -> dict[str, Path]:
    """The interpreter for each peer: the project's own, where requirements.txt pins them.
    A peer that is missing or at another version than pinned is left out, and said so."""
    found = installed_versions(Path(sys.executable), list(PEER_PINS))
    pythons = {}
    for tool, pin in PEER_PINS.items():
        if found.get(tool) == pin:
            pythons[tool] = Path(sys.executable)
        else:
            print(f"{tool} {pin} is not installed ({found.get(tool)}): left out", file=sys.stderr)
    return pythons


def installed_versions(python: Path, dists: list[str]) -> dict[str, str]:
    code = (
        "import sys, importlib.metadata as m\n"
        "for d in sys.argv[1:]:\n"
        "    try: print(d, m.version(d))\n"
        "    except m.PackageNotFoundError: print(d, '-')\n"
    )
    out = subprocess.run([str(python), "-c", code, *dists], capture_output=True, text=True)
    return dict(line.split() for line in out.stdout.splitlines() if line.strip())


# --- measuring ----------------------------------------------------------------------------


def tree_rss_kib(root: int) -> int:
    """Sum of VmRSS (KiB) over ``root`` and every descendant, from /proc."""
    total, stack, seen = 0, [root], set()
    while stack:
        pid = stack.pop()
        if pid in seen:
            continue
        seen.add(pid)
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
                    break
            for task in Path(f"/proc/{pid}/task").iterdir():
                stack += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue  # the process ended between two reads
    return total


@dataclass
class Run:
    seconds: float
    cpu_seconds: float
    peak_rss_mib: float
    outputs: int
    returncode: int
    leftovers: list[str] = field(default_factory=list)


def measure(cmd: list[str], out: Path, workdir: Path, log: Path) -> Run:
    """Run ``cmd`` once: wall time, CPU time of all its processes, peak tree RSS, outputs."""
    workdir.mkdir(parents=True, exist_ok=True)
    peak = [0]
    done = threading.Event()
    cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    with log.open("w") as sink:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=workdir, stdout=sink, stderr=subprocess.STDOUT)

        def sample() -> None:
            while not done.is_set():
                peak[0] = max(peak[0], tree_rss_kib(proc.pid))
                done.wait(0.02)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        returncode = proc.wait()
        seconds = time.perf_counter() - start
        done.set()
        sampler.join()
    cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    # hidden files (imgshare's run journal) are bookkeeping, not outputs
    outputs = (
        sum(len([f for f in files if not f.startswith(".")]) for _, _, files in os.walk(out))
        if out.exists()
        else 0
    )
    leftovers = sorted(os.listdir(workdir))  # the tool ran in an empty working folder
    return Run(seconds, cpu, peak[0] / 1024, outputs, returncode, leftovers)


# --- the corpus ---------------------------------------------------------------------------


def corpus_files(corpus: Path) -> list[Path]:
    return sorted(p for p in corpus.rglob("*") if p.is_file())


def link_view(files: list[Path], corpus: Path, view: Path, flat: bool) -> None:
    """Hard links to ``files`` (symlinks across file systems), flat or in the same layout."""
    for path in files:
        target = view / (path.name if flat else path.relative_to(corpus))
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(path, target)
        except OSError:
            target.symlink_to(path)


def warm(files: list[Path]) -> None:
    """Read every byte once, so that every tool then reads the corpus from the page cache."""
    for path in files:
        with path.open("rb") as f:
            while f.read(1 << 20):
                pass


# --- the tools ----------------------------------------------------------------------------


def gdcm_certificate(folder: Path) -> Path | None:
    """A throw-away self-signed certificate for gdcmanon -e (None without openssl)."""
    if not shutil.which("openssl"):
        return None
    cert = folder / "gdcm-cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                    str(folder / "gdcm-key.pem"), "-out", str(cert), "-subj", "/CN=benchmark",
                    "-days", "1"], check=True, capture_output=True)  # fmt: skip
    return cert


def tools(
    corpus: Path,
    flat: Path,
    quarter: Path,
    key: Path,
    peers: dict[str, Path],
    cert: Path | None = None,
):
    """Each tool: (label, command for an output folder, whether the folder must exist)."""
    imgshare = [str(ROOT / ".venv" / "bin" / "imgshare"), "deidentify"]
    if not Path(imgshare[0]).exists():
        imgshare = [sys.executable, "-m", "imgshare.cli", "deidentify"]
    common = ["--key-file", str(key), "--no-progress"]
    found = {
        "cp -r": (lambda o: ["cp", "-r", str(corpus), str(o)], False),
        "imgshare": (lambda o: [*imgshare, str(corpus), str(o), *common], False),
        "imgshare --workers 2": (
            lambda o: [*imgshare, str(corpus), str(o), *common, "--workers", "2"],
            False,
        ),
        "imgshare, N/4 files": (lambda o: [*imgshare, str(quarter), str(o), *common], False),
        # the dicognito console script of 0.19.0 calls main() without its argument list
        # (TypeError), so it is run as a module, which is what the script meant to do
        "dicognito": (
            lambda o: [sys.executable, "-m", "dicognito", "-o", str(o), str(corpus)],
            False,
        ),
        "deid (default recipe)": (
            lambda o: [sys.executable, "-c", DEID_RUNNER, str(corpus), str(o)],
            True,
        ),
        "dicom-anonymizer": (
            lambda o: [
                str(Path(sys.executable).parent / "dicom-anonymizer"),
                str(flat),
                str(o),
            ],  # fmt: skip
            True,
        ),
    }
    found = {k: v for k, v in found.items() if k.startswith(("cp", "imgshare")) or
             any(k.startswith(p) for p in peers)}  # fmt: skip
    if cert is not None and shutil.which("gdcmanon"):
        found["gdcmanon (GDCM, C++)"] = (
            lambda o: [
                "gdcmanon",
                "-e",
                "-c",
                str(cert),
                "-r",
                "--continue",
                "-i",
                str(corpus),
                "-o",
                str(o),
            ],  # fmt: skip
            True,
        )
    return found


# --- the report ---------------------------------------------------------------------------


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


def table(runs: dict[str, list[Run]], inputs: dict[str, int]) -> list[str]:
    """Per tool: outputs, medians of wall time, rate, CPU and memory, and the ratios taken
    within each repetition: time over cp -r's, and speed over dicognito's."""
    anchor = "dicognito" if "dicognito" in runs else "imgshare"

    def ratio(label: str, base: str) -> float:
        pairs = zip(runs[label], runs[base], strict=True)
        return statistics.median(a.seconds / b.seconds for a, b in pairs)

    lines = [
        f"| tool | outputs / inputs | wall s | files/s | time ÷ cp -r | speed × {anchor} "
        "| CPU s | peak RSS MiB |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for label, rs in runs.items():
        wall = statistics.median(r.seconds for r in rs)
        cpu = statistics.median(r.cpu_seconds for r in rs)
        rss = statistics.median(r.peak_rss_mib for r in rs)
        outs = min(r.outputs for r in rs)
        failed = " (exit " + str(max(r.returncode for r in rs)) + ")" if any(
            r.returncode for r in rs
        ) else ""  # fmt: skip
        quarter = label.endswith("N/4 files")  # fewer files: its ratios are not comparable
        lines.append(
            f"| {label}{failed} | {outs} / {inputs[label]} | {wall:.1f} | "
            f"{inputs[label] / wall:.1f} | {'' if quarter else f'{ratio(label, CP):.2f}'} | "
            f"{'' if quarter else f'{1 / ratio(label, anchor):.2f}'} | {cpu:.1f} | {rss:.0f} |"
        )
    return lines


def verdicts(runs: dict[str, list[Run]], inputs: dict[str, int], peers: list[str]) -> list[str]:
    def paired(a: str, b: str) -> float:
        return statistics.median(
            x.seconds / y.seconds for x, y in zip(runs[a], runs[b], strict=True)
        )

    lines = []
    if "dicognito" in runs:
        speedup = paired("dicognito", "imgshare")
        lines.append(
            f"- Against dicognito: imgshare single-process is {speedup:.2f}× as fast "
            f"(target ≥ 2): {'met' if speedup >= 2 else 'NOT met'}."
        )
    cp = paired("imgshare", "cp -r")
    lines.append(
        f"- Against `cp -r`: imgshare single-process takes {cp:.1f}× its time "
        f"(target ≤ 4): {'met' if cp <= 4 else 'NOT met'}."
    )

    def cpu(label: str) -> float:
        return statistics.median(r.cpu_seconds for r in runs[label])

    if "dicognito" in runs:
        lines.append(
            f"- By CPU time, which other jobs on a shared machine disturb less than wall time: "
            f"imgshare single-process uses {cpu('dicognito') / cpu('imgshare'):.2f}× less "
            f"than dicognito and {cpu('imgshare') / max(cpu('cp -r'), 1e-9):.1f}× as much as "
            "`cp -r` (start-up included)."
        )
    gdcm = next((k for k in runs if k.startswith("gdcmanon")), None)
    if gdcm:
        lines.append(
            f"- Against gdcmanon (C++): imgshare single-process is {paired(gdcm, 'imgshare'):.2f}"
            f"× as fast, with 2 workers {paired(gdcm, 'imgshare --workers 2'):.2f}× "
            "(stretch: 1.0 with zero leaks)."
        )
    scaling = paired("imgshare", "imgshare --workers 2")
    lines.append(
        f"- Workers: 2 workers are {scaling:.2f}× as fast as 1 (ideal 2.00 on 2 cores, "
        "which other jobs share)."
    )
    full = statistics.median(r.peak_rss_mib for r in runs["imgshare"])
    part = statistics.median(r.peak_rss_mib for r in runs["imgshare, N/4 files"])
    growth = full / part
    lines.append(
        f"- Memory: peak RSS {full:.0f} MiB on {inputs['imgshare']} files against {part:.0f} "
        f"MiB on {inputs['imgshare, N/4 files']} (×{growth:.2f}; target: no growth, ≤ 1.2): "
        f"{'met' if growth <= 1.2 else 'NOT met'}."
    )
    return lines


def rewrite_readme(section: str) -> None:
    text = README.read_text() if README.exists() else ""
    block = f"{START}\n{section.rstrip()}\n{END}"
    if START in text and END in text:
        head, rest = text.split(START, 1)
        text = head + block + rest.split(END, 1)[1]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    README.write_text(text)


# --- main ---------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=2000, help="corpus size (default 2000)")
    parser.add_argument("--repeats", type=int, default=2, help="repetitions (default 2)")
    parser.add_argument("--corpus", type=Path, help="reuse (or create) the corpus in DIR")
    parser.add_argument("--no-peers", action="store_true", help="imgshare and cp -r only")
    parser.add_argument("--no-readme", action="store_true", help="do not rewrite README.md")
    parser.add_argument("--profile", action="store_true", help="add where the time goes")
    parser.add_argument("--profile-before", metavar="SRC", help="also profile this src folder")
    args = parser.parse_args()

    load_start = loadavg()
    peers = {} if args.no_peers else ensure_peer_venvs()
    sys.path.insert(0, str(HERE))
    import ct_corpus  # noqa: PLC0415 (a sibling script, not a package)

    tmp = Path(tempfile.mkdtemp(prefix="deid-bench-"))
    try:
        corpus = args.corpus or tmp / "corpus"
        if not corpus.exists() or not any(corpus.rglob("*.dcm")):
            print(f"generating {args.files} CT slices in {corpus} ...", file=sys.stderr)
            ct_corpus.generate(corpus, args.files)
        files = corpus_files(corpus)
        flat, quarter = tmp / "flat", tmp / "quarter"
        link_view(files, corpus, flat, flat=True)
        link_view(files[: max(1, len(files) // 4)], corpus, quarter, flat=False)
        key = tmp / "key"
        subprocess.run([sys.executable, "-m", "imgshare.cli", "keygen", str(key)], check=True,
                       stdout=subprocess.DEVNULL)  # fmt: skip
        print(f"warming the page cache with {len(files)} files ...", file=sys.stderr)
        warm(files)

        all_tools = tools(corpus, flat, quarter, key, peers, gdcm_certificate(tmp))
        if args.no_peers:
            all_tools = {k: v for k, v in all_tools.items() if k.startswith(("cp", "imgshare"))}
        inputs = {label: len(files) for label in all_tools}
        inputs["imgshare, N/4 files"] = max(1, len(files) // 4)
        runs: dict[str, list[Run]] = {label: [] for label in all_tools}
        order = list(all_tools)
        for rep in range(args.repeats):
            turn = order[rep % len(order) :] + order[: rep % len(order)]  # rotate the start
            for label in turn:
                command, make_out = all_tools[label]
                out = tmp / "out"
                if make_out:
                    out.mkdir()
                log = tmp / f"{label.split()[0].strip(',')}-{rep}.log"
                run = measure(command(out), out, tmp / "cwd", log)
                runs[label].append(run)
                print(
                    f"[{rep + 1}/{args.repeats}] {label}: {run.seconds:.1f} s, "
                    f"{run.outputs} outputs, peak {run.peak_rss_mib:.0f} MiB, "
                    f"exit {run.returncode}, load {loadavg()}",
                    file=sys.stderr,
                )
                if run.returncode:
                    print(log.read_text()[-2000:], file=sys.stderr)
                shutil.rmtree(out, ignore_errors=True)
                shutil.rmtree(tmp / "cwd", ignore_errors=True)
        load_end = loadavg()

        peer_labels = [k for k in runs if not k.startswith(("cp", "imgshare"))]
        versions = {}
        for tool, python in peers.items():
            versions.update(installed_versions(python, [tool]))
        leftovers = sorted({f"{label}: {name}" for label, rs in runs.items() for r in rs
                            for name in r.leftovers})  # fmt: skip
        lines = [
            f"Run of {time.strftime('%Y-%m-%d %H:%M %Z')}: {len(files)} CT slices (512×512, "
            f"16-bit, {sum(p.stat().st_size for p in files) / 2**20:.0f} MiB), "
            f"{args.repeats} interleaved repetition(s), medians.",
            f"Machine: {os.cpu_count()} cores ({cpu_model()}), Python "
            f"{platform.python_version()}, shared: load average {load_start} at the start, "
            f"{load_end} at the end.",
            "Peers: " + (", ".join(f"{k} {v}" for k, v in versions.items()) or "none") + ".",
            "",
            *table(runs, inputs),
            "",
            *verdicts(runs, inputs, peer_labels),
        ]
        if leftovers:
            lines += ["", "Files left behind in the working folder:"]
            lines += [f"- {item}" for item in leftovers]
        if args.profile or args.profile_before:
            sources = {"before": args.profile_before} if args.profile_before else {}
            sources["now"] = str(ROOT / "src")
            n = min(len(files), 400)
            best = profile_phases(corpus, sources, n, max(2, args.repeats))
            lines += ["", f"Where imgshare's time goes (single process, {n} files, wall time "
                      f"per phase without a profiler, best of {max(2, args.repeats)} "
                      "interleaved runs; 'before' is the checkout given with "
                      "--profile-before):", "", *profile_table(best)]  # fmt: skip
        section = "\n".join(lines) + "\n"
        print(section)
        if not args.no_readme:
            rewrite_readme(section)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
