"""Whole-trial scale: Dask gives the same bytes, a killed run resumes, a lost worker is
survived, and a destination made with other settings is refused."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from imgshare import batch, journal, testing
from imgshare.dicom import config, keys


def tree(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*.dcm"))
    }


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("corpus")
    for i in range(120):
        ds = testing.ct(f"PAT-{i % 7:03d}", f"Doe^Jane{i % 7}", f"2020{1 + i % 12:02d}15")
        testing.save(ds, root / f"p{i % 7}" / f"f{i:04d}.dcm")
    return root


@pytest.fixture
def cfg(tmp_path: Path) -> config.Config:
    return config.build(keys.create_key(tmp_path / "k.key"), ["retain-long-modified-dates"])


def test_dask_output_is_byte_identical(corpus: Path, cfg: config.Config, tmp_path: Path) -> None:
    serial = batch.run(corpus, tmp_path / "serial", cfg)
    dask = batch.run(corpus, tmp_path / "dask", cfg, scheduler="local:2")
    assert serial.counts == dask.counts == {"found": 120, "processed": 120, "skipped": 0,
                                            "failed": 0}  # fmt: skip
    assert tree(tmp_path / "serial") == tree(tmp_path / "dask")


def test_killed_run_resumes_and_finishes(corpus: Path, tmp_path: Path) -> None:
    key = keys.create_key(tmp_path / "kill.key")
    out = tmp_path / "out"
    command = [sys.executable, "-m", "imgshare.cli", "deidentify", str(corpus), str(out),
               "--key-file", str(key), "--no-progress", "--durable"]  # fmt: skip
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    log = journal.path_for(out)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if log.exists() and len(log.read_text().splitlines()) > 10:
            break
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done = len(log.read_text().splitlines()) - 1
    assert 0 < done < 120, "the run should have been killed part-way"
    resumed = batch.run(corpus, out, config.build(key))
    assert resumed.counts["processed"] == 120 and 0 < resumed.done_before < 120
    assert not list(out.rglob("*.imgshare-tmp"))
    fresh = batch.run(corpus, tmp_path / "fresh", config.build(key))
    assert fresh.counts["processed"] == 120
    assert tree(out) == tree(tmp_path / "fresh")


def test_rerun_after_completion_does_nothing_twice(
    corpus: Path, cfg: config.Config, tmp_path: Path
) -> None:
    batch.run(corpus, tmp_path / "out", cfg)
    again = batch.run(corpus, tmp_path / "out", cfg)
    assert again.done_before == 120 and "resumed" in again.text()


def test_other_settings_are_refused(corpus: Path, cfg: config.Config, tmp_path: Path) -> None:
    batch.run(corpus, tmp_path / "out", cfg)
    other = config.Config(key=cfg.key, options=("clean-descriptors",))
    with pytest.raises(batch.UsageError, match="other settings"):
        batch.run(corpus, tmp_path / "out", other)


def test_journal_holds_no_identifiers(corpus: Path, cfg: config.Config, tmp_path: Path) -> None:
    batch.run(corpus, tmp_path / "out", cfg)
    text = journal.path_for(tmp_path / "out").read_text()
    assert "Doe" not in text and "PAT-" not in text and "f0001" not in text


def test_lost_workers_are_survived(corpus: Path, cfg: config.Config, tmp_path: Path) -> None:
    """Every worker is killed once mid-run: the tasks must carry all they need, since a
    dead worker takes its data with it (scattered settings were lost that way in CI)."""
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None, host="127.0.0.1") as cluster:  # fmt: skip
        with Client(cluster) as client:
            pids = list(client.run(os.getpid).values())
        out = tmp_path / "out"
        box: dict = {}

        def run() -> None:
            try:
                box["rep"] = batch.run(corpus, out, cfg, scheduler=cluster.scheduler_address)
            except BaseException as exc:  # noqa: BLE001 - reported by the test below
                box["error"] = exc

        runner = threading.Thread(target=run)
        runner.start()
        log = journal.path_for(out)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (
            log.exists() and len(log.read_text().splitlines()) > 5
        ):
            time.sleep(0.01)
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
        runner.join(timeout=180)
    assert "error" not in box, f"the run failed: {box.get('error')!r}"
    rep = box["rep"]
    assert rep.counts == {"found": 120, "processed": 120, "skipped": 0, "failed": 0}
    assert not list(out.rglob("*.imgshare-tmp"))
    batch.run(corpus, tmp_path / "serial", cfg)
    assert tree(out) == tree(tmp_path / "serial")
