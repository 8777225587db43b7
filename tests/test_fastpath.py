"""The header-only path (imgshare.dicom.fastpath) against the general path, file by file.

For every DICOM sample and every DICOM file shipped in the pinned packages (the real-world
suite's collector), under the Basic Profile and under the book's recommended options, the
header-only path must give the general path's output byte for byte, the same report entry
(output name, actions and tags per action, notes) and the same decisions, or leave the file
to the general path with a reason. Which files fall back, and why, is checked against what
an independent reader (pydicom) says about the file, so that the path cannot quietly stop
handling the files it is for.
"""

from __future__ import annotations

import functools
import warnings
from pathlib import Path

import pydicom
import pytest
import realworld

from imgshare import batch, samples
from imgshare.dicom import engine, fastpath, io
from imgshare.dicom.config import Config
from imgshare.pixels import series_batch

KEY = b"fast path differential key 32 b!"
CONFIGS = {"basic": (), "recommended": realworld.RECOMMENDED}
#: Settings that reach the other branches of the engine: every retain option (safe private
#: attributes kept and cleaned, UIDs kept, full dates), and a recipe's overrides (Patient's
#: Sex and Frame of Reference UID kept, Study Description cleaned, Study ID replaced) with
#: gated pixels released, so that the gate's notes are compared too.
OTHER_SETTINGS = {
    "retain-all": {
        "options": ("retain-safe-private", "retain-uids", "retain-long-full-dates",
                    "retain-device-identity", "retain-institution-identity",
                    "retain-patient-characteristics", "clean-descriptors",
                    "clean-structured-content"),
    },
    "recipe": {
        "overrides": {0x00100040: "K", 0x00081030: "C", 0x00200010: "D", 0x00200052: "K"},
        "release_unreviewed": True,
    },
}  # fmt: skip


@functools.cache
def _files() -> tuple[tuple[str, Path], ...]:
    ours = [(f"samples/{s.file}", samples.path(s.file)) for s in samples.manifest()
            if s.format == "DICOM"]  # fmt: skip
    return tuple(ours) + realworld.collect()


def _ids() -> list[str]:
    return [name for name, _ in _files()]


@functools.cache
def _config(name: str) -> Config:
    if name in OTHER_SETTINGS:
        return Config(key=KEY, **OTHER_SETTINGS[name])
    return Config(key=KEY, options=CONFIGS[name])


def _general(path: Path, cfg: Config, dst: Path) -> dict:
    """What batch.process_file does without the header-only path."""
    result: dict = {}
    try:
        ds, notes = io.read(path)
        notes = notes + series_batch.apply(ds, str(path), cfg, dst) + gate_check(ds, cfg)
        ctx = engine.apply(ds, cfg)
        target = batch.output_path(ds, cfg, ctx.subject_id)
        temp = io.write_temp(ds, dst / "general")
    except (io.NotDicom, engine.DeidError) as exc:
        return {"status": "not processed", "reason": str(exc)}
    result.update(status="processed", output=target.as_posix(), notes=notes + ctx.notes,
                  **engine.summary(ctx))  # fmt: skip
    result["bytes"] = temp.read_bytes()
    result["decisions"] = ctx.decisions
    temp.unlink()
    return result


def gate_check(ds, cfg):
    from imgshare import gate

    return gate.check_dicom(ds, cfg)


def _fast(path: Path, cfg: Config, dst: Path) -> dict | str:
    done = fastpath.deidentify(str(path), cfg, dst, dst / "fast")
    if isinstance(done, str):
        return done
    target = batch.output_path(done.ds, cfg, done.ctx.subject_id)
    result = dict(output=target.as_posix(), notes=done.notes + done.ctx.notes,
                  **engine.summary(done.ctx))  # fmt: skip
    result["bytes"] = done.temp.read_bytes()
    result["decisions"] = done.ctx.decisions
    done.temp.unlink()
    return result


def _independent_view(path: Path) -> str | None:
    """Why, by pydicom's reading of the file, the header-only path is not for it (None
    if it is: explicit VR little endian in a DICOM File, native pixel data if any)."""
    data = realworld.file_bytes(path)
    if path.read_bytes()[:2] == b"\x1f\x8b":
        return "gzip"
    if data[128:132] != b"DICM":
        return "no DICM prefix"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            ds = pydicom.dcmread(path, force=True)
        except Exception:  # noqa: BLE001
            return "unreadable"
    syntax = str(ds.file_meta.get("TransferSyntaxUID", ""))
    if syntax != "1.2.840.10008.1.2.1":
        return f"transfer syntax {syntax or 'missing'}"
    if "PixelData" in ds and ds["PixelData"].is_undefined_length:
        return "encapsulated pixel data"
    return None


#: Files in the fast path's scope (explicit VR little endian, native) that it still leaves
#: to the general path, with the reason it must give: checked, so that the list is honest.
KNOWN = {"pydicom/data/palettes/winter.dcm": "an element repeated"}


@pytest.mark.parametrize("config", [*CONFIGS, *OTHER_SETTINGS])
@pytest.mark.parametrize("name", _ids())
def test_same_output_or_a_reason(name: str, config: str, tmp_path: Path) -> None:
    path = dict(_files())[name]
    cfg = _config(config)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fast = _fast(path, cfg, tmp_path)
        general = _general(path, cfg, tmp_path)
    if isinstance(fast, str):
        outside = _independent_view(path)
        if outside is None and general["status"] != "not processed":
            assert name in KNOWN, f"in scope, processed by the general path, yet: {fast}"
            assert KNOWN[name] in fast
        return
    assert general.get("status") != "not processed", f"general path: {general.get('reason')}"
    assert _independent_view(path) is None
    for field in ("output", "actions", "tags", "notes", "decisions"):
        assert fast[field] == general[field], field
    assert fast["bytes"] == general["bytes"]


def test_the_fast_path_takes_most_files_in_its_scope(tmp_path: Path) -> None:
    """A guard on coverage: the in-scope files the general path processes go the fast
    way (all but KNOWN), and there are enough of them for the comparison to mean much."""
    taken = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _name, path in _files():
            if _independent_view(path) is not None:
                continue
            done = fastpath.deidentify(str(path), _config("basic"), tmp_path, tmp_path / "t")
            if isinstance(done, fastpath.Done):
                done.temp.unlink()
                taken += 1
    assert taken >= 80  # 100 on the pinned packages and samples of this release
