"""The run journal: what a destination already holds, so a killed run can be resumed.

Why: a whole-trial run takes hours; if it is killed, running the same command again must
finish the remaining files only, and must never mix outputs of two different settings. The
journal is a hidden file in the destination with one line per finished output. It holds a
fingerprint of the settings (a keyed hash: it reveals neither the key nor the options'
secrets) and, per file, a keyed hash of the source path (paths can hold names), the source's
size and modification time, and the output's name. Nothing in it identifies anyone.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from imgshare import __version__
from imgshare.dicom import keys
from imgshare.dicom.config import Config

NAME = ".imgshare-journal.jsonl"


class JournalConflict(ValueError):
    """The destination holds a release made with other settings."""


def fingerprint(cfg: Config) -> str:
    """A keyed hash of everything that decides the output bytes."""
    settings = {
        "version": __version__,
        "options": list(cfg.options),
        "overrides": sorted(cfg.overrides.items()),
        "safe_private": sorted(cfg.safe_private),
        "allow_list": sorted(cfg.allow_list) if cfg.allow_list is not None else None,
        "subjects": sorted((k, v.subject_id, v.date_offset_days) for k, v in
                           (cfg.subjects or {}).items()),
        "pixel_settings": cfg.pixel_settings(),  # pixels, NIfTI, release flag (developer B)
    }  # fmt: skip
    return keys.digest(cfg.key, "run", json.dumps(settings, sort_keys=True)).hex()[:32]


class Journal:
    """Reads the entries of an earlier run with the same settings; appends new ones."""

    def __init__(self, dst: Path, cfg: Config) -> None:
        self.path = dst / NAME
        self.cfg = cfg
        self.print = fingerprint(cfg)
        self.done: dict[str, dict[str, Any]] = {}
        if self.path.exists():
            lines = self.path.read_text().splitlines()
            head = _parse(lines[0]) if lines else None
            if head is None or head.get("fingerprint") != self.print:
                raise JournalConflict(
                    "the destination holds a release made with other settings (options, "
                    "recipe, subject map or key): choose an empty destination"
                )
            for line in lines[1:]:
                entry = _parse(line)  # a line cut by a kill is ignored
                if entry and "source" in entry:
                    self.done[entry["source"]] = entry
        else:
            dst.mkdir(parents=True, exist_ok=True)
            self.path.write_text(json.dumps({"fingerprint": self.print}) + "\n")
        self._fh = open(self.path, "a", buffering=1)  # noqa: SIM115 (closed in close())

    def _id(self, rel: str) -> str:
        return keys.digest(self.cfg.key, "journal", rel).hex()[:32]

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

    def close(self) -> None:
        self._fh.close()


def _parse(line: str) -> dict[str, Any] | None:
    try:
        value = json.loads(line)
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None
