"""De-identify a whole tree: walk it, process each file (in worker processes if asked),
write each result atomically, and report on every file found.

Why this shape: each file is processed independently from the same configuration and key,
so the output does not depend on the number of workers or their order. Workers write to
temporary files; the parent process moves each into place in the order of the input, so a
duplicate SOP Instance UID never silently overwrites another file's output, and the report
accounts for every file: processed, skipped (not DICOM) or failed, with a reason.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import sys
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from imgshare import __version__, gate, journal, nifti
from imgshare.dicom import config as config_mod
from imgshare.dicom import engine, io, keys
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
            "files": self.files,
        }

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
        problems = [f for f in self.files if f["status"] != "processed"]
        if problems:
            lines.append("")
            lines.append("files not processed:")
            lines += [f"  {f['status']}: {f['source']}: {f['reason']}" for f in problems]
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
    return (
        Path(safe_subject)
        / name("StudyInstanceUID")
        / name("SeriesInstanceUID")
        / (name("SOPInstanceUID") + ".dcm")
    )


_CONFIG: Config | None = None
_DST: Path | None = None
_DURABLE = False


def _init(cfg: Config, dst: Path, durable: bool = False) -> None:
    global _CONFIG, _DST, _DURABLE
    _CONFIG, _DST, _DURABLE = cfg, dst, durable
    warnings.simplefilter("ignore")


def process_file(job: tuple[str, str]) -> dict[str, Any]:
    """De-identify one file into a temporary file beside its target. Never raises."""
    path, rel = job
    cfg, dst = _CONFIG, _DST
    assert cfg is not None and dst is not None
    result: dict[str, Any] = {"source": rel}
    try:
        if nifti.handles(Path(path), rel):  # NIfTI, Analyze, MGH, BIDS: by content first
            result.update(nifti.process(Path(path), rel, cfg, dst, _DURABLE))
            return result
        ds, notes = io.read(Path(path))
        # --- imgshare.pixels hook: a prepared series' defaced pixels, then the release gate
        notes = notes + series_batch.apply(ds, path, cfg, dst) + gate.check_dicom(ds, cfg)
        # --- end of hook
        ctx = engine.apply(ds, cfg)
        target = output_path(ds, cfg, ctx.subject_id)
        temp = io.write_temp(ds, dst / target.parent, durable=_DURABLE)
        result.update(status="processed", output=target.as_posix(), temp=str(temp))
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


def clear_stale(dst: Path) -> int:
    """Remove temporary files left by an interrupted run."""
    count = 0
    if dst.exists():
        for temp in dst.rglob("*" + io.TMP_SUFFIX):
            temp.unlink(missing_ok=True)
            count += 1
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
) -> Report:
    """De-identify every file under SRC into DST. Returns the report (also written if asked).

    ``durable`` flushes every output to the disk before its rename (power-cut safe, slower);
    by default outputs are left to the operating system to flush, as `cp` does; the rename
    already guarantees that a killed run leaves no half-written file. ``scheduler`` runs the
    files on a Dask cluster ('HOST:PORT') or a new local one ('local:N'). A run
    into a destination that an earlier, killed run with the same settings left behind
    finishes the remaining files only (see journal.py).
    """
    src_r, dst_r = check_paths(Path(src), Path(dst))
    if workers < 1:
        raise UsageError("--workers must be at least 1")
    dst_r.mkdir(parents=True, exist_ok=True)
    clear_stale(dst_r)
    try:
        log = journal.Journal(dst_r, cfg)
    except journal.JournalConflict as exc:
        raise UsageError(str(exc)) from None
    jobs = [(str(p), rel) for p, rel in find_files(src_r)]
    rep = Report(cfg.options, cfg.recipe_sha256, cfg.subjects is not None, workers)
    rep.settings = cfg.pixel_settings()
    start = time.perf_counter()
    rep.settings["faces"] = series_batch.prepare(jobs, cfg, dst_r)  # imgshare.pixels hook
    claimed: dict[str, str] = {}
    earlier = {}
    for path, rel in jobs:
        output = log.finished(path, rel, dst_r)
        if output is not None:
            earlier[rel] = output
    todo = [job for job in jobs if job[1] not in earlier]
    bar = _progress(len(jobs), progress)
    fresh = iter(_results(todo, cfg, dst_r, workers, durable, scheduler))
    for path, rel in jobs:
        if rel in earlier:
            result = {"source": rel, "status": "processed", "output": earlier[rel],
                      "done_before": True}  # fmt: skip
        else:
            result = next(fresh)
        temp = result.pop("temp", None)
        if result["status"] == "processed":
            out = result["output"]
            if out in claimed:
                if temp:
                    Path(temp).unlink(missing_ok=True)
                result = {
                    "source": result["source"],
                    "status": "skipped",
                    "reason": f"duplicate SOP Instance UID: same output as {claimed[out]}",
                }
            elif temp is not None:
                io.commit(Path(temp), dst_r / out)
                claimed[out] = result["source"]
                log.record(path, rel, out)
            else:
                claimed[out] = result["source"]
        if result["status"] == "failed":
            print(f"imgshare: failed: {result['source']}: {result['reason']}", file=sys.stderr)
        rep.files.append(result)
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    log.close()
    series_batch.cleanup(dst_r)  # imgshare.pixels hook: the defaced series' work folder
    clear_stale(dst_r)  # temporary files of workers that died
    rep.seconds = time.perf_counter() - start
    if report:
        write_report(rep, Path(report))
    return rep


def _results(
    jobs: list[tuple[str, str]],
    cfg: Config,
    dst: Path,
    workers: int,
    durable: bool,
    scheduler: str | None = None,
):
    if scheduler:
        from imgshare import scale

        yield from scale.results(jobs, cfg, dst, durable, scheduler)
        return
    if workers == 1 or len(jobs) < 2:
        _init(cfg, dst, durable)
        for job in jobs:
            yield process_file(job)
        return
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["imgshare.batch"])
    with ctx.Pool(workers, initializer=_init, initargs=(cfg, dst, durable)) as pool:
        chunk = max(1, min(16, len(jobs) // (workers * 8)))
        yield from pool.imap(process_file, jobs, chunksize=chunk)


def _progress(total: int, wanted: bool):
    if not wanted or not sys.stderr.isatty():
        return None
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
    release_unreviewed: bool = False,
) -> Report:
    """The command line's ``deidentify`` as a function, for notebooks and other programs."""
    cfg = config_mod.build(key_file, options, subjects, recipe, release_unreviewed)
    return run(src, dst, cfg, workers=workers, report=report, scheduler=scheduler)
