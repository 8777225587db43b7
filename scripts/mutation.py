"""Mutation testing (mutmut) of the modules whose tests must be able to fail.

Why: a test suite can be green while it checks nothing (an assert on a non-empty hash, an
expected value computed by the code under test). mutmut changes the code one small edit at a
time ("mutants") and runs the tests that reach it; a mutant that no test notices ("survived")
points at behaviour no test pins down. The score is killed / (killed + survived + no tests).

Each target runs in its own scratch folder under ``_build/mutation/<target>/`` (mutmut reads
its settings from ``setup.cfg`` in the working folder and writes ``mutants/`` there), with only
the tests that judge that module. Tests that start worker processes (multiprocessing pools,
a Dask cluster, a subprocess of the ``imgshare`` command) fail inside mutmut's runner, which
would count their mutants as killed and inflate the score: they are deselected here.
mutmut forks each mutant's run from the process that ran the clean tests, so process-wide
caches (the engine's decision cache) would answer with the unmutated code's results and hide
mutants: ``IMGSHARE_MUTATION=1`` makes tests/conftest.py empty them at each run's start.

    .venv/bin/python scripts/mutation.py [TARGET ...] [--max-children 2] [--keep]
        [--mutants 'imgshare.verify.scan*' ...]

Targets: engine, text, keys, verify (all by default). Not part of ``make test``: a full run
takes tens of minutes on two cores. The scores are printed and written to
``_build/mutation/scores.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "_build" / "mutation"
#: Tests that start processes: deselected by name or marker in every target (see above),
#: and by node id one that runs the command in a subprocess and one that reads the book's
#: mapping table (book/ is not in the scratch folder; it judges a CSV, not the engine).
DESELECT = "not workers and not subprocess and not scheduler and not dask"
DESELECT_IDS = [
    "tests/test_batch.py::test_bad_input_gives_one_clear_line_each",
    "tests/test_presets.py::test_mapping_table_names_real_attributes",
]


def _tests(*patterns: str) -> list[str]:
    found: list[str] = []
    for pattern in patterns:
        found += sorted(p.relative_to(ROOT).as_posix() for p in ROOT.glob(pattern))
    return found


TARGETS: dict[str, dict[str, list[str]]] = {
    "engine": {
        # the walker, and the VR and value readers it re-exports (moved out of engine.py)
        "mutate": ["src/imgshare/dicom/engine.py", "src/imgshare/dicom/elements.py"],
        # test_presets.py: the presets run through the engine (fast, starts no process)
        "tests": _tests(
            "tests/test_engine*.py", "tests/test_table_conformance.py", "tests/test_presets.py"
        ),
    },
    "text": {
        "mutate": ["src/imgshare/dicom/text.py"],
        "tests": _tests("tests/test_text*.py", "tests/test_engine.py"),
    },
    "keys": {
        "mutate": ["src/imgshare/dicom/keys.py"],
        "tests": _tests("tests/test_keys.py", "tests/test_engine.py", "tests/test_batch.py"),
    },
    "verify": {
        "mutate": ["src/imgshare/verify/*"],
        # the tests on sources and releases the tests make themselves; test_verify.py (the
        # planted corpus through the engine, seconds per run) would add kills, not judge more
        "tests": _tests(
            "tests/test_verify_units.py",
            "tests/test_verify_cli.py",
            "tests/test_verify_checks.py",
            "tests/test_verify_scan.py",
            "tests/test_verify_run.py",
            "tests/test_verify_releases.py",
            "tests/test_verify_bids.py",
        )
        or _tests("tests/test_verify.py"),
    },
}


def _setup(name: str, target: dict[str, list[str]], keep: bool = False) -> Path:
    scratch = WORK / name
    if keep and (scratch / "setup.cfg").exists():
        return scratch  # earlier results stay; mutmut reruns what changed or is named
    if scratch.exists():
        shutil.rmtree(scratch)
    scratch.mkdir(parents=True)
    for item in ("src", "tests", "data", "pyproject.toml"):
        (scratch / item).symlink_to(ROOT / item)
    selection = [*target["tests"], "-k", DESELECT, "-p", "no:cacheprovider"]
    for node in DESELECT_IDS:
        if node.split("::")[0] in target["tests"]:
            selection += ["--deselect", node]
    lines = [
        "[mutmut]",
        "source_paths = src/imgshare",
        "only_mutate =\n" + "\n".join(f"    {p}" for p in target["mutate"]),
        "pytest_add_cli_args_test_selection =\n" + "\n".join(f"    {a}" for a in selection),
        "pytest_add_cli_args =\n    -q\n    -x\n    -W\n    ignore",
        "also_copy =\n    data",
        "",
    ]
    (scratch / "setup.cfg").write_text("\n".join(lines))
    return scratch


def run(name: str, max_children: int, mutants: list[str], keep: bool) -> dict[str, object]:
    target = TARGETS[name]
    if not target["tests"]:
        raise SystemExit(f"{name}: no tests found")
    scratch = _setup(name, target, keep)
    start = time.perf_counter()
    env = {**os.environ, "IMGSHARE_MUTATION": "1"}
    mutmut = [str(Path(sys.executable).parent / "mutmut")]
    proc = subprocess.run(
        [*mutmut, "run", "--max-children", str(max_children), *mutants],
        cwd=scratch,
        env=env,
        capture_output=True,
        text=True,
    )
    (scratch / "run.log").write_text(proc.stdout + "\n--- stderr ---\n" + proc.stderr)
    subprocess.run([*mutmut, "export-cicd-stats"], cwd=scratch, env=env, capture_output=True)
    stats_file = scratch / "mutants" / "mutmut-cicd-stats.json"
    if not stats_file.exists():
        tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-30:])
        raise SystemExit(f"{name}: mutmut produced no statistics (see {scratch}/run.log)\n{tail}")
    stats = json.loads(stats_file.read_text())
    survivors = subprocess.run(
        [*mutmut, "results"], cwd=scratch, env=env, capture_output=True, text=True
    ).stdout
    (scratch / "survivors.txt").write_text(survivors)
    judged = stats["killed"] + stats["timeout"] + stats["survived"] + stats["no_tests"]
    score = (stats["killed"] + stats["timeout"]) / judged if judged else 0.0
    return {
        "target": name,
        "mutated": target["mutate"],
        "tests": target["tests"],
        "score": round(100 * score, 1),
        "seconds": round(time.perf_counter() - start),
        **stats,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("targets", nargs="*", default=list(TARGETS), choices=list(TARGETS))
    parser.add_argument("--max-children", type=int, default=2)
    parser.add_argument(
        "--mutants",
        nargs="*",
        default=[],
        metavar="NAME",
        help="only these mutants (mutmut's names; * matches any text)",
    )
    parser.add_argument(
        "--keep", action="store_true", help="reuse the scratch folder and its earlier results"
    )
    args = parser.parse_args(argv)
    WORK.mkdir(parents=True, exist_ok=True)
    results = []
    for name in args.targets:
        result = run(name, args.max_children, args.mutants, args.keep)
        results.append(result)
        print(
            f"{name}: score {result['score']}% (killed {result['killed']}, timeout "
            f"{result['timeout']}, survived {result['survived']}, no tests {result['no_tests']}, "
            f"of {result['total']}) in {result['seconds']} s; survivors: "
            f"{(WORK / name / 'survivors.txt').relative_to(ROOT)}",
            flush=True,
        )
    (WORK / "scores.json").write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
