"""De-identify a whole tree: walk it, process each file (in worker processes if asked),
write each result atomically, and report on every file found.

Why this shape: each file is processed independently from the same configuration and key,
so the output does not depend on the number of workers or their order. Workers write to
temporary files in a staging folder of the destination; the parent process moves each into
place in the order of the input, creating folders only then (a failed file leaves none), so
a duplicate SOP Instance UID never silently overwrites another file's output, and the report
accounts for every file: processed, skipped (not DICOM) or failed, with a reason.

What the report and stderr name a file by: a keyed hash of its path (the journal's), never
the path, which may hold a patient's name; ``show_paths`` (``--show-paths``) adds the paths
for a local run. A worker process that dies (a crash, the out-of-memory killer) costs only
the files it had: they are retried one by one in a fresh process, and a file that kills
that one too fails with a reason, while the batch goes on.
"""

from __future__ import annotations

import filecmp
import json
import multiprocessing
import os
import sys
import time
import warnings
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from imgshare import __version__, gate, journal
from imgshare.dicom import config as config_mod
from imgshare.dicom import engine, fastpath, io, keys
from imgshare.dicom.config import Config
from imgshare.pixels import series_batch
from imgshare.reasons import from_exception


class UsageError(ValueError):
    """A run that must not start (bad paths, bad options); exit code 2."""


@dataclass
class Report:
    """What a run did, file by file, without any original value."""

    options: tuple[str, ...]
    recipe_sha256: str | None
    subject_map: bool
    workers: int
    files: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    #: Write source paths into the report (a local, opt-in choice); otherwise keyed hashes.
    show_paths: bool = False
    settings: dict[str, Any] = field(default_factory=dict)  # pixels, NIfTI, release flag

    @property
    def counts(self) -> dict[str, int]:
        counts = {"found": len(self.files), "processed": 0, "skipped": 0, "failed": 0}
        for f in self.files:
            counts[f["status"]] += 1
        return counts

    @property
    def done_before(self) -> int:
        """Files an earlier, interrupted run with the same settings had finished."""
        return sum(1 for f in self.files if f.get("done_before"))

    def to_json(self) -> dict[str, Any]:
        counts = self.counts
        assert counts["found"] == counts["processed"] + counts["skipped"] + counts["failed"]
        return {
            "tool": f"imgshare {__version__}",
            "profile": "DICOM PS3.15 Table E.1-1 (2024e), Basic Profile",
            "options": list(self.options),
            "recipe_sha256": self.recipe_sha256,
            "settings": self.settings,
            "subject_map": self.subject_map,
            "workers": self.workers,
            "counts": counts,
            "done_before": self.done_before,
            "seconds": round(self.seconds, 3),
            "files_per_second": round(counts["found"] / self.seconds, 1) if self.seconds else None,
            "sources": "paths" if self.show_paths else "keyed hashes of the paths (see journal)",
            "files": [self._public(f) for f in self.files],
        }

    def _public(self, entry: dict[str, Any]) -> dict[str, Any]:
        """A file's entry as written: by keyed hash, with its path only when asked."""
        if self.show_paths:
            return entry
        return {k: v for k, v in entry.items() if k != "source"}

    def label(self, entry: dict[str, Any]) -> str:
        """How the report and stderr name a file: its keyed hash, or its path if asked."""
        if self.show_paths or "source_id" not in entry:
            return str(entry["source"])
        return str(entry["source_id"])

    def text(self) -> str:
        c = self.counts
        lines = [
            f"imgshare {__version__}: de-identification report",
            f"options: {', '.join(self.options) or '(Basic Profile only)'}",
            f"subject map: {'yes' if self.subject_map else 'no (pseudonyms and offsets from key)'}",
            f"files found {c['found']}: processed {c['processed']}, skipped {c['skipped']}, "
            f"failed {c['failed']}",
            f"time {self.seconds:.1f} s with {self.workers} worker(s)",
        ]
        if self.settings.get("release_unreviewed_pixels"):
            lines.append(
                "RELEASED UNREVIEWED: --release-unreviewed-pixels was given; files "
                "whose pixels may identify were released untreated (see their notes)"
            )
        if self.done_before:
            lines.append(f"resumed: {self.done_before} file(s) were done by an earlier run")
        no_id = sum(1 for f in self.files if any("no Patient ID" in n for n in f.get("notes", [])))
        if no_id:
            lines.append(f"no Patient ID in {no_id} file(s): each study given its own pseudonym")
        problems = [f for f in self.files if f["status"] != "processed"]
        if problems:
            lines.append("")
            lines.append("files not processed:")
            lines += [f"  {f['status']}: {self.label(f)}: {f['reason']}" for f in problems]
        return "\n".join(lines) + "\n"


def check_paths(src: Path, dst: Path) -> tuple[Path, Path]:
    """SRC must exist; DST must be neither SRC nor inside it (nor contain it)."""
    src_r, dst_r = src.resolve(), dst.resolve()
    if not src_r.exists():
        raise UsageError(f"source {src} does not exist")
    if dst_r == src_r:
        raise UsageError("destination is the source: refusing to write over the input")
    base = src_r if src_r.is_dir() else src_r.parent
    if src_r.is_dir() and (dst_r.is_relative_to(base)):
        raise UsageError("destination is inside the source: refusing")
    if src_r.is_relative_to(dst_r):
        raise UsageError("source is inside the destination: refusing")
    return src_r, dst_r


def find_files(src: Path) -> Iterator[tuple[Path, str]]:
    """Every regular file under SRC (or SRC itself), in a fixed order, with its relative path."""
    if src.is_file():
        yield src, src.name
        return
    for folder, dirs, files in os.walk(src):
        dirs.sort()
        for name in sorted(files):
            path = Path(folder) / name
            if path.is_file():
                yield path, path.relative_to(src).as_posix()


def output_path(ds: Any, cfg: Config, subject_id: str) -> Path:
    """A name with no identifiers: the subject's pseudonym and keyed hashes of the UIDs."""

    def name(keyword: str) -> str:
        value = str(ds.get(keyword, "") or "")
        return keys.uid(cfg.key, value) if value else f"no-{keyword}"

    safe_subject = "".join(c if c.isalnum() or c in "-_" else "_" for c in subject_id)
    study, series = name("StudyInstanceUID"), name("SeriesInstanceUID")
    return Path(safe_subject, study, series, name("SOPInstanceUID") + ".dcm")


#: Folder inside DST where workers write temporary files; removed at the end of a run.
STAGING = ".imgshare-staging"
#: Seconds between progress lines when stderr is not a terminal (a log file, CI).
PROGRESS_EVERY = 5.0
WORKER_DIED = (
    "the worker process died while processing this file (a crash or out of memory); "
    "it was retried alone and died again"
)

_CONFIG: Config | None = None
_DST: Path | None = None
_DURABLE = False


def _init(cfg: Config, dst: Path, durable: bool = False) -> None:
    global _CONFIG, _DST, _DURABLE
    _CONFIG, _DST, _DURABLE = cfg, dst, durable
    warnings.simplefilter("ignore")


def process_file(job: tuple[str, str]) -> dict[str, Any]:
    """De-identify one file into a temporary file in the staging folder. Never raises."""
    path, rel = job
    cfg, dst = _CONFIG, _DST
    assert cfg is not None and dst is not None
    result: dict[str, Any] = {"source": rel}
    try:
        # The header-only path first (explicit VR little endian, no pixel option): the
        # same output, without pydicom objects for what is kept; else the general path.
        fast = fastpath.deidentify(path, cfg, dst, dst / STAGING, _DURABLE)
        if isinstance(fast, fastpath.Done):
            ds, ctx, temp, notes = fast.ds, fast.ctx, fast.temp, fast.notes
            target = output_path(ds, cfg, ctx.subject_id)
        else:
            # DICOM first, by its own marks (DICM at 128, or a bare dataset), then NIfTI,
            # Analyze, MGH and BIDS by content and name; anything else to the DICOM reader.
            if io.sniff(Path(path)) is None:
                from imgshare import nifti  # imported on the first file that is not DICOM

                if nifti.handles(Path(path), rel):
                    result.update(nifti.process(Path(path), rel, cfg, dst, _DURABLE))
                    return result
            ds, notes = io.read(Path(path))
            # --- imgshare.pixels hook: a prepared series' defaced pixels, then the gate
            notes = notes + series_batch.apply(ds, path, cfg, dst) + gate.check_dicom(ds, cfg)
            # --- end of hook
            ctx = engine.apply(ds, cfg)
            target = output_path(ds, cfg, ctx.subject_id)
            temp = io.write_temp(ds, dst / STAGING, durable=_DURABLE)
        result.update(status="processed", output=target.as_posix(), temp=str(temp))
        result["instance"] = target.stem  # keyed hash of the SOP Instance UID
        result.update(engine.summary(ctx))
        if notes or ctx.notes:
            result["notes"] = notes + ctx.notes
    except io.NotDicom as exc:
        result.update(status="skipped", reason=str(exc))
    except engine.DeidError as exc:
        result.update(status="failed", reason=str(exc))
    except RecursionError:
        result.update(status="failed", reason="structure nested too deeply to read")
    except MemoryError:
        result.update(status="failed", reason="file too large to process in memory")
    except Exception as exc:  # last resort: one line, no traceback, the batch goes on
        result.update(status="failed", reason=f"{type(exc).__name__}: {from_exception(exc)}")
    return result


def process_chunk(jobs: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """A few files in one worker call (fewer round trips between processes)."""
    return [process_file(job) for job in jobs]


def clear_stale(dst: Path) -> int:
    """Remove temporary files left by an interrupted run, and the empty staging folder."""
    count = 0
    if dst.exists():
        for temp in dst.rglob("*" + io.TMP_SUFFIX):
            temp.unlink(missing_ok=True)
            count += 1
        staging = dst / STAGING
        if staging.is_dir() and not any(staging.iterdir()):
            staging.rmdir()
    return count


def run(
    src: str | Path,
    dst: str | Path,
    cfg: Config,
    workers: int = 1,
    report: str | Path | None = None,
    progress: bool = False,
    durable: bool = False,
    scheduler: str | None = None,
    show_paths: bool = False,
) -> Report:
    """De-identify every file under SRC into DST. Returns the report (also written if asked).

    ``durable`` flushes every output to the disk before its rename (power-cut safe, slower);
    by default outputs are left to the operating system to flush, as `cp` does; the rename
    already guarantees that a killed run leaves no half-written file. ``scheduler`` runs the
    files on a Dask cluster ('HOST:PORT') or a new local one ('local:N'). A run
    into a destination that an earlier, killed run with the same settings left behind
    finishes the remaining files only (see journal.py); a second run on a destination in
    use is refused. ``show_paths`` names source files by path in the written report and on
    stderr, for a local run (by default: keyed hashes, as paths may hold names).
    """
    src_r, dst_r = check_paths(Path(src), Path(dst))
    if workers < 1:
        raise UsageError("--workers must be at least 1")
    if cfg.key_file and Path(cfg.key_file).resolve().is_relative_to(dst_r):
        raise UsageError("the key file is inside the destination: it would be released")
    try:
        log = journal.Journal(dst_r, cfg, durable=durable)
    except journal.JournalConflict as exc:
        raise UsageError(str(exc)) from None
    try:
        return _run(src_r, dst_r, cfg, log, workers, report, progress, durable, scheduler,
                    show_paths)  # fmt: skip
    finally:
        log.close()


def _run(
    src_r: Path,
    dst_r: Path,
    cfg: Config,
    log: journal.Journal,
    workers: int,
    report: str | Path | None,
    progress: bool,
    durable: bool,
    scheduler: str | None,
    show_paths: bool,
) -> Report:
    dst_r.mkdir(parents=True, exist_ok=True)
    clear_stale(dst_r)
    jobs = [(str(p), rel) for p, rel in find_files(src_r)]
    rep = Report(cfg.options, cfg.recipe_sha256, cfg.subjects is not None, workers,
                 show_paths=show_paths)  # fmt: skip
    start = time.perf_counter()
    rep.settings = cfg.pixel_settings()
    rep.settings["faces"] = series_batch.prepare(jobs, cfg, dst_r)  # imgshare.pixels hook
    earlier = {}
    for path, rel in jobs:
        output = log.finished(path, rel, dst_r)
        if output is not None:
            earlier[rel] = output
    todo = [job for job in jobs if job[1] not in earlier]
    bar = _progress(len(jobs), progress)
    fresh = iter(_results(todo, cfg, dst_r, workers, durable, scheduler))
    outputs = _Outputs(dst_r, log, rep)
    for path, rel in jobs:
        if rel in earlier:
            result = {"source": rel, "status": "processed", "output": earlier[rel],
                      "done_before": True}  # fmt: skip
        else:
            result = next(fresh)
        result["source_id"] = journal.source_id(cfg, rel)
        for failed in outputs.place(path, rel, result):
            print(f"imgshare: failed: {rep.label(failed)}: {failed['reason']}", file=sys.stderr)
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    series_batch.cleanup(dst_r)  # imgshare.pixels hook: the defaced series' work folder
    clear_stale(dst_r)  # temporary files of workers that died
    rep.seconds = time.perf_counter() - start
    if report:
        write_report(rep, Path(report))
    return rep


class _Outputs:
    """Moves finished files into place in input order, one output per SOP Instance UID.

    Two inputs that give one output name (the same SOP Instance UID): byte-identical copies
    are one instance, so the second is skipped as a duplicate; different files are two
    instances claiming one identity, and neither may go out: both fail, and the first's
    output, already in place, is taken back (removed, and retracted in the journal).
    """

    def __init__(self, dst: Path, log: journal.Journal, rep: Report) -> None:
        self.dst, self.log, self.rep = dst, log, rep
        self.claimed: dict[str, tuple[str, str, dict[str, Any]]] = {}
        self.poisoned: set[str] = set()
        self.folders: set[Path] = set()

    def place(self, path: str, rel: str, result: dict[str, Any]) -> list[dict[str, Any]]:
        """Commit a result's output; return the entries that failed on the way."""
        temp = result.pop("temp", None)
        instance = result.pop("instance", None)
        self.rep.files.append(result)
        if result["status"] != "processed":
            return [result] if result["status"] == "failed" else []
        out = result["output"]
        if instance is None and result.get("done_before") and out.endswith(".dcm"):
            instance = Path(out).stem
        identity = instance or out  # one SOP Instance UID, or one output name
        if identity in self.poisoned or identity in self.claimed:
            if temp:
                Path(temp).unlink(missing_ok=True)
            return self._conflict(path, result, identity)
        if temp is not None:
            target = self.dst / out
            if target.parent not in self.folders:  # one mkdir per folder, not per file
                target.parent.mkdir(parents=True, exist_ok=True)
                self.folders.add(target.parent)
            os.replace(temp, target)
            self.log.record(path, rel, out)
        self.claimed[identity] = (path, rel, result)
        return []

    def _conflict(self, path: str, result: dict[str, Any], identity: str) -> list[dict]:
        failed = []
        if identity not in self.poisoned:
            first_path, first_rel, first = self.claimed[identity]
            out = first["output"]
            if filecmp.cmp(first_path, path, shallow=False):
                _fail(result, "skipped", "duplicate: a byte-identical copy of another input "
                      f"({self.rep.label(first)})")  # fmt: skip
                return []
            (self.dst / out).unlink(missing_ok=True)
            self.log.retract(first_rel)
            _fail(first, "failed", "SOP Instance UID shared with a different file "
                  f"({self.rep.label(result)}): neither is released")  # fmt: skip
            self.poisoned.add(identity)
            failed.append(first)
        _fail(result, "failed", "SOP Instance UID shared with a different file: neither "
              "is released")  # fmt: skip
        return [*failed, result]


def _fail(result: dict[str, Any], status: str, reason: str) -> None:
    for key in ("output", "actions", "tags", "notes", "done_before"):
        result.pop(key, None)
    result.update(status=status, reason=reason)


def _results(
    jobs: list[tuple[str, str]],
    cfg: Config,
    dst: Path,
    workers: int,
    durable: bool,
    scheduler: str | None = None,
) -> Iterator[dict[str, Any]]:
    if scheduler:
        from imgshare import scale

        yield from scale.results(jobs, cfg, dst, durable, scheduler, process_chunk, _init)
        return
    if workers == 1 or len(jobs) < 2:
        _init(cfg, dst, durable)
        for job in jobs:
            yield process_file(job)
        return
    yield from pool_results(jobs, (cfg, dst, durable), workers, process_chunk)


def pool_results(
    jobs: list[tuple[str, str]],
    setup: tuple[Config, Path, bool],
    workers: int,
    chunk_function: Callable[[list[tuple[str, str]]], list[dict[str, Any]]],
) -> Iterator[dict[str, Any]]:
    """Results in input order from worker processes, with a bounded number in flight.

    A worker that dies breaks the whole pool (every chunk in flight fails at once, and no
    one knows whose file did it): those files are then retried one at a time, each in a
    fresh process of its own, so only a file that kills its process again fails, with a
    reason; the rest of the batch goes on in a new pool.
    """
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["imgshare.batch"])
    size = max(1, min(16, len(jobs) // (workers * 8)))
    chunks = iter([jobs[i : i + size] for i in range(0, len(jobs), size)])

    def new_pool(n: int) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(n, mp_context=ctx, initializer=_init, initargs=setup)

    pool = new_pool(workers)
    window: deque = deque()

    def fill() -> None:
        while len(window) < 4 * workers:
            chunk = next(chunks, None)
            if chunk is None:
                return
            window.append((chunk, pool.submit(chunk_function, chunk)))

    try:
        fill()
        while window:
            chunk, future = window.popleft()
            try:
                results = future.result()
            except BrokenProcessPool:
                suspects = [chunk] + [c for c, _ in window]
                window.clear()
                pool.shutdown(wait=True, cancel_futures=True)
                for suspect in suspects:
                    for job in suspect:
                        yield _alone(job, ctx, setup, chunk_function)
                pool = new_pool(workers)
                fill()
                continue
            yield from results
            fill()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _alone(job: tuple[str, str], ctx: Any, setup: tuple, chunk_function: Callable) -> dict:
    """One file in a process of its own; a failure line if that process dies too."""
    with ProcessPoolExecutor(1, mp_context=ctx, initializer=_init, initargs=setup) as pool:
        try:
            return pool.submit(chunk_function, [job]).result()[0]
        except BrokenProcessPool:
            return {"source": job[1], "status": "failed", "reason": WORKER_DIED}


class _Lines:
    """Progress as a line every few seconds, for a stderr that is not a terminal (a log
    file, CI, a pipe): files done of total, rate and time left, and nothing for a short run."""

    def __init__(self, total: int, every: float | None = None) -> None:
        self.total, self.done = total, 0
        self.every = PROGRESS_EVERY if every is None else every
        self.start = self.last = time.monotonic()

    def update(self, n: int) -> None:
        self.done += n
        now = time.monotonic()
        if now - self.last >= self.every:
            self.last = now
            self._line(now)

    def _line(self, now: float) -> None:
        rate = self.done / max(now - self.start, 1e-9)
        left = (self.total - self.done) / rate if rate else 0
        share = 100 * self.done // max(self.total, 1)
        line = f"imgshare: {self.done}/{self.total} files ({share}%), {rate:.0f} files/s"
        print(f"{line}, about {left:.0f} s left", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.last != self.start:
            self._line(time.monotonic())


def _progress(total: int, wanted: bool):
    if not wanted:
        return None
    if not sys.stderr.isatty():
        return _Lines(total)
    from tqdm import tqdm

    return tqdm(total=total, unit="file", file=sys.stderr)


def write_report(rep: Report, path: Path) -> None:
    """The JSON report and, beside it, the human-readable summary (.txt), each atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    for target, text in (
        (path, json.dumps(rep.to_json(), indent=1) + "\n"),
        (path.with_suffix(".txt"), rep.text()),
    ):
        temp = target.with_name("." + target.name + io.TMP_SUFFIX)
        temp.write_text(text)
        os.replace(temp, target)


def deidentify_tree(
    src: str | Path,
    dst: str | Path,
    options: tuple[str, ...] | list[str] = (),
    key_file: str | Path = "",
    subjects: str | Path | None = None,
    recipe: str | Path | None = None,
    workers: int = 1,
    report: str | Path | None = None,
    scheduler: str | None = None,
    show_paths: bool = False,
    release_unreviewed: bool = False,
) -> Report:
    """The command line's ``deidentify`` as a function, for notebooks and other programs."""
    cfg = config_mod.build(key_file, options, subjects, recipe, release_unreviewed)
    return run(src, dst, cfg, workers=workers, report=report, scheduler=scheduler,
               show_paths=show_paths)  # fmt: skip
