"""The run journal: what a destination already holds, so a killed run can be resumed.

Why: a whole-trial run takes hours; if it is killed, running the same command again must
finish the remaining files only, and must never mix outputs of two different settings.
The journal holds a fingerprint of the settings (a keyed hash of ``Config.settings()``, the
version and the key's fingerprint: it reveals neither the key nor the settings) and, per
file, a keyed hash of the source path (paths can hold names), the source's size and
modification time, and the output's name. Nothing in it identifies anyone.

Where: never in or beside the destination, which is what gets uploaded or packaged (a
release folder is often inside a larger package folder), but in the user's state folder,
``$XDG_STATE_HOME/imgshare/journals`` (by default ``~/.local/state/imgshare/journals``),
named by a hash of the destination's full path. It is also the run's lock: a second run on
the same destination is refused while the first holds it.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

from imgshare import __version__
from imgshare.dicom import keys
from imgshare.dicom.config import Config

SUFFIX = ".imgshare-journal.jsonl"
#: Seconds between flushes of the journal to the file.
FLUSH_EVERY = 0.5
#: The journal's name when it lived inside DST; no file of that name is written there now.
NAME = SUFFIX


class JournalConflict(ValueError):
    """The destination holds a release made with other settings, or is in use."""


def state_dir() -> Path:
    """The folder for journals: $XDG_STATE_HOME/imgshare/journals, as the XDG spec says."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "imgshare" / "journals"


def path_for(dst: Path) -> Path:
    """The journal of a destination, outside it, named by a hash of its full path."""
    name = hashlib.sha256(str(Path(dst).resolve()).encode()).hexdigest()[:32]
    return state_dir() / f"{name}{SUFFIX}"


def fingerprint(cfg: Config) -> str:
    """A keyed hash of everything that decides the output bytes, and of which key."""
    settings = {"version": __version__, "key": keys.fingerprint(cfg.key), **cfg.settings()}
    return keys.digest(cfg.key, "run", json.dumps(settings, sort_keys=True)).hex()[:32]


def source_id(cfg: Config, rel: str) -> str:
    """The name a source file goes by in the journal, the report and on stderr: a keyed
    hash of its path relative to SRC (the path itself may hold a patient's name)."""
    return keys.digest(cfg.key, "journal", rel).hex()[:32]


class Journal:
    """Reads the entries of an earlier run with the same settings; appends new ones."""

    def __init__(self, dst: Path, cfg: Config, durable: bool = False) -> None:
        self.path = path_for(dst)
        self.durable = durable  # flush every line (with --durable), else every FLUSH_EVERY s
        self.cfg = cfg
        self.print = fingerprint(cfg)
        self.done: dict[str, dict[str, Any]] = {}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = open(self.path, "a+")  # noqa: SIM115 (closed in close())
        except OSError as exc:
            raise JournalConflict(
                f"cannot write the run journal {self.path}: {exc.strerror}"
            ) from None
        try:
            fcntl.flock(self._fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self._fh.close()
            raise JournalConflict(
                "another imgshare run is writing to this destination: wait for it to end"
            ) from None
        self._fh.seek(0)
        lines = self._fh.read().splitlines()
        if lines:
            head = _parse(lines[0])
            if head is None or head.get("fingerprint") != self.print:
                self.close()
                raise JournalConflict(
                    "the destination holds a release made with other settings (options, "
                    "recipe, subject map, pixel or NIfTI settings, or key): choose an empty "
                    "destination"
                )
            for line in lines[1:]:
                entry = _parse(line)  # a line cut by a kill is ignored
                if entry and "source" in entry:
                    if entry.get("retracted"):
                        self.done.pop(entry["source"], None)
                    else:
                        self.done[entry["source"]] = entry
        else:
            self._fh.write(json.dumps({"fingerprint": self.print}) + "\n")
            self._fh.flush()
        self._flushed = time.monotonic()

    def _id(self, rel: str) -> str:
        return source_id(self.cfg, rel)

    def finished(self, path: str, rel: str, dst: Path) -> str | None:
        """The output of a source done by an earlier run, if it is unchanged and present."""
        entry = self.done.get(self._id(rel))
        if entry is None:
            return None
        stat = os.stat(path)
        if entry["size"] != stat.st_size or entry["mtime_ns"] != stat.st_mtime_ns:
            return None
        return entry["output"] if (dst / entry["output"]).is_file() else None

    def record(self, path: str, rel: str, output: str) -> None:
        stat = os.stat(path)
        entry = {"source": self._id(rel), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns,
                 "output": output}  # fmt: skip
        self._fh.write(json.dumps(entry) + "\n")
        self._flush_now()

    def _flush_now(self) -> None:
        """Written out at least every FLUSH_EVERY seconds, not per line: a killed run loses
        at most the last moment's lines, whose files the resumed run simply does again."""
        now = time.monotonic()
        if self.durable or now - self._flushed >= FLUSH_EVERY:
            self._fh.flush()
            self._flushed = now

    def retract(self, rel: str) -> None:
        """An output taken back (its file removed): a resumed run must not count it done."""
        self._fh.write(json.dumps({"source": self._id(rel), "retracted": True}) + "\n")
        self._fh.flush()  # a retraction is never left in a buffer

    def close(self) -> None:
        if not self._fh.closed:
            self._fh.close()  # closing releases the lock


def _parse(line: str) -> dict[str, Any] | None:
    try:
        value = json.loads(line)
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None
