"""Faces from the command line: the batch groups each head series and defaces it once.

Why a step before the files: the engine sees one file at a time, and a face is a surface
across many slices. Under ``--option clean-recognizable-visual-features`` the batch calls
:func:`prepare` with every file of the run: the headers are read, the single-frame images of
a head (see :func:`imgshare.pixels.faces.face_possible`) are grouped by Series Instance UID,
each series is read as one volume, registered and masked once, and each slice's defaced
pixels are kept in a hidden work folder of the destination (pixels only, no header, named by
a keyed hash of the source path). When a file of the series is processed, :func:`apply`
puts its defaced pixels in and marks it Recognizable Visual Features NO, so the engine's
per-file check lets it through. A series that cannot be defaced (one slice, uneven slices, a
multi-frame head volume) is held back with the reason; a series too small in some direction
to show a face (:data:`imgshare.pixels.faces.MIN_EXTENT_MM`) is released with a note.
The work folder is removed at the end of the run (:func:`cleanup`) and at the start of the
next one.
"""

from __future__ import annotations

import json
import shutil
import warnings
from functools import cache
from pathlib import Path

import numpy as np
import pydicom
from pydicom import Dataset

from imgshare.dicom import keys
from imgshare.dicom.config import Config
from imgshare.dicom.errors import DeidError
from imgshare.pixels import faces
from imgshare.pixels import frames as fr
from imgshare.reasons import from_exception

WORK = ".imgshare-defaced"
INDEX = "index.json"


def _name(cfg: Config, path: str) -> str:
    return keys.digest(cfg.key, "deface-slice", str(path)).hex()[:32]


def _heads(jobs: list[tuple[str, str]]) -> tuple[dict[str, list[str]], dict[str, str]]:
    """Head images grouped by series, and multi-frame head images (path -> reason)."""
    series: dict[str, list[str]] = {}
    refused: dict[str, str] = {}
    for path, _ in jobs:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ds = pydicom.dcmread(path, stop_before_pixels=True)
        except Exception:  # not DICOM, or unreadable: the per-file step reports it
            continue
        if "Rows" not in ds or not faces.face_possible(ds)[0]:
            continue
        if int(ds.get("NumberOfFrames", 1) or 1) > 1:
            refused[path] = (
                "multi-frame head volume: defacing it is not supported here; held back for "
                "review (convert it to single-frame slices or deface it before the release)"
            )
            continue
        uid = str(ds.get("SeriesInstanceUID", "") or "") or f"no-series:{path}"
        series.setdefault(uid, []).append(path)
    return series, refused


def prepare(jobs: list[tuple[str, str]], cfg: Config, dst: Path) -> dict[str, int]:
    """Deface every head series among ``jobs`` once; returns counts for the report."""
    work = dst / WORK
    shutil.rmtree(work, ignore_errors=True)
    if not cfg.has(faces.OPTION):
        return {}
    from imgshare.pixels import deface, series

    groups, refused = _heads(jobs)
    index: dict[str, dict] = {_name(cfg, p): {"status": "failed", "reason": r}
                              for p, r in refused.items()}  # fmt: skip
    counts = {"series defaced": 0, "series too small for a face": 0, "series held back": 0}
    work.mkdir(parents=True, exist_ok=True)
    for paths in groups.values():
        if len(paths) == 1:  # one slice shows a cross-section, never a face's surface
            note = "a single slice of the head: no face can be rendered from it"
            index[_name(cfg, paths[0])] = {"status": "no-face", "reason": note}
            counts["series too small for a face"] += 1
            continue
        try:
            img, slices = series.read_slices(paths)
            extent = [n * s for n, s in zip(img.GetSize(), img.GetSpacing(), strict=True)]
            if min(extent) < faces.MIN_EXTENT_MM:
                note = (f"series spans {min(extent):.0f} mm in one direction, less than "
                        f"{faces.MIN_EXTENT_MM:.0f} mm: no face can be rendered")  # fmt: skip
                for path, _ in slices:
                    index[_name(cfg, str(path))] = {"status": "no-face", "reason": note}
                counts["series too small for a face"] += 1
                continue
            result = deface.deface(img)
            import SimpleITK as sitk

            arr = sitk.GetArrayFromImage(result.image)
            face = sitk.GetArrayFromImage(result.face) > 0
            seconds = round(result.seconds, 1)
            for k, (path, _) in enumerate(slices):
                name = _name(cfg, str(path))
                np.save(work / f"{name}.npy", arr[k])
                index[name] = {"status": "defaced", "changed": int(face[k].sum()),
                               "seconds": seconds, "slices": len(slices)}  # fmt: skip
            counts["series defaced"] += 1
        except Exception as exc:  # registration failed, uneven slices, one slice, ...
            reason = f"head series could not be defaced ({from_exception(exc, 120)}): held back"
            for path in paths:
                index[_name(cfg, path)] = {"status": "failed", "reason": reason}
            counts["series held back"] += 1
    (work / INDEX).write_text(json.dumps(index))
    _index.cache_clear()
    return counts


@cache
def _index(work: str) -> dict[str, dict]:
    path = Path(work) / INDEX
    return json.loads(path.read_text()) if path.is_file() else {}


def apply(ds: Dataset, path: str, cfg: Config, dst: Path) -> list[str]:
    """Put the defaced pixels of a prepared series into ``ds``; notes for the report."""
    if not cfg.has(faces.OPTION):
        return []
    work = dst / WORK
    name = _name(cfg, str(path))
    entry = _index(str(work)).get(name)
    if entry is None:
        return []
    if entry["status"] == "failed":
        raise DeidError(entry["reason"])
    ds.RecognizableVisualFeatures = "NO"
    if entry["status"] == "no-face":
        return [f"recognizable visual features: {entry['reason']}"]
    plane = np.load(work / f"{name}.npy")
    pixels = fr.decode(ds)
    pixels.frames = plane.astype(pixels.frames.dtype)[np.newaxis]
    notes = fr.store(ds, pixels)
    note = (f"face removed: series of {entry['slices']} slices defaced once in "
            f"{entry['seconds']} s; {entry['changed']} voxel(s) of this slice blanked")  # fmt: skip
    return [note, *notes]


def cleanup(dst: Path) -> None:
    """Remove the work folder (the batch calls this when the run ends)."""
    shutil.rmtree(dst / WORK, ignore_errors=True)
    _index.cache_clear()
