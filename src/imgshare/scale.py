"""Running a batch on a Dask cluster: the same files, settings and key, many machines.

Why Dask: a sponsor that outgrows one machine should use a distributed engine it already
runs, not a home-made one. Tasks are small groups of files; each worker de-identifies its
files into temporary files in the destination (which every worker must see, as on a shared
file system), and the client moves them into place in input order, exactly as a local run
does, so the output is byte-identical to a serial run. Dask re-runs the tasks of a worker
that dies; a temporary file it left behind is removed at the end of the run.

The key travels to the workers with the settings: use a cluster you trust, with TLS.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from imgshare.dicom.config import Config

GROUP = 8  # fewest files per task
MAX_GROUP = 256  # most files per task
TASKS_PER_WORKER = 8  # tasks each worker gets over a run: enough to balance the load


def group_size(files: int, workers: int) -> int:
    """Files per task: the scheduler costs about a millisecond per task whatever its size,
    so tasks grow with the run (a run of N files on W workers gets about 8 W tasks) until
    that cost is a small share of the work, within GROUP..MAX_GROUP so that a small run
    still spreads over the workers and a lost worker loses little."""
    return max(GROUP, min(MAX_GROUP, files // (max(1, workers) * TASKS_PER_WORKER)))


Jobs = list[tuple[str, str]]


def process_group(jobs: Jobs, setup: tuple[Config, str, bool, Callable, Callable]) -> list:
    """A Dask task: de-identify a few files with the batch's own functions, which arrive
    with the settings (so this module needs no import of the batch, and the batch imports
    this one only when a scheduler is asked for)."""
    cfg, dst, durable, chunk_function, init = setup
    init(cfg, Path(dst), durable)
    return chunk_function(jobs)


def client_for(scheduler: str):
    """A client for 'HOST:PORT' / 'tcp://…', or a new local cluster for 'local:N'."""
    from distributed import Client, LocalCluster

    if scheduler.startswith("local:"):
        workers = int(scheduler.split(":", 1)[1])
        cluster = LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
            host="127.0.0.1",
        )  # fmt: skip
        return Client(cluster), cluster
    return Client(scheduler), None


def results(
    jobs: Jobs,
    cfg: Config,
    dst: Path,
    durable: bool,
    scheduler: str,
    chunk_function: Callable[[Jobs], list[dict[str, Any]]],
    init: Callable[[Config, Path, bool], None],
) -> Iterator[dict[str, Any]]:
    """Results in input order, with a bounded number of tasks in flight."""
    client, cluster = client_for(scheduler)
    try:
        # The settings travel inside every task (a few hundred bytes), not scattered once:
        # Dask's memory manager keeps one copy of scattered data even when asked to
        # broadcast it, and a worker that dies with that copy leaves every task unrunnable
        # ("lost scattered data, which can't be recovered").
        setup = (cfg, str(dst), durable, chunk_function, init)
        workers = len(client.scheduler_info().get("workers", {}))
        size = group_size(len(jobs), workers)
        groups = [jobs[i : i + size] for i in range(0, len(jobs), size)]
        window = max(4, 4 * workers)
        pending: deque = deque()
        for group in groups:
            pending.append(client.submit(process_group, group, setup, pure=False))
            if len(pending) >= window:
                yield from pending.popleft().result()
        while pending:
            yield from pending.popleft().result()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
