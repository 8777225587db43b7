"""Small readers behind the knowledge pages: what a file's UIDs, private blocks, transfer
syntax and pixels reveal.

Why a module: the knowledge pages make claims about files ("this UID carries the study date",
"these pixels match the original byte for byte"). Each claim is shown by a cell, and the cell
calls a function here rather than carrying its own parsing, so the same code is tested against
readers that are not ours (pydicom's dictionary, dcmdump) and the pages stay short. Nothing in
the toolkit imports this module.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pydicom

#: Attributes whose values we look for inside UIDs: a date or time there means the UID leaks it.
DATE_TIME_KEYWORDS = (
    "StudyDate",
    "SeriesDate",
    "AcquisitionDate",
    "ContentDate",
    "InstanceCreationDate",
    "StudyTime",
    "SeriesTime",
    "AcquisitionTime",
    "ContentTime",
    "InstanceCreationTime",
)

#: The UIDs of a file that identify its study, series, instance and frame of reference.
UID_KEYWORDS = ("StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID", "FrameOfReferenceUID")

_DIGITS = re.compile(r"\d{8,}")


@dataclass(frozen=True)
class UidLeak:
    """A header value found verbatim inside one of the file's UIDs."""

    uid_keyword: str
    uid: str
    value_keyword: str  # every header attribute holding that value, comma-separated
    value: str
    position: int  # where the value starts inside the UID string


def _time_digits(value: str) -> str:
    """HHMMSS of a DICOM TM value (fractions dropped); shorter times are ignored."""
    digits = value.split(".")[0].strip()
    return digits if len(digits) == 6 and digits.isdigit() else ""


def uid_leaks(ds: pydicom.Dataset) -> list[UidLeak]:
    """Every date (YYYYMMDD) or time (HHMMSS) of the header that appears inside a UID.

    Why: PS3.5 leaves the suffix of an organisationally derived UID to the organisation, and
    its own example ends with an encoded acquisition date and time. A de-identification that
    keeps such a UID keeps the date, whatever it does to Study Date.
    """
    values: dict[str, str] = {}
    for keyword in DATE_TIME_KEYWORDS:
        raw = str(ds.get(keyword, "") or "").strip()
        text = _time_digits(raw) if keyword.endswith("Time") else raw
        if len(text) in (6, 8) and text.isdigit():
            values[keyword] = text
    by_value: dict[str, list[str]] = {}
    for keyword, value in values.items():
        by_value.setdefault(value, []).append(keyword)
    leaks = []
    for uid_keyword in UID_KEYWORDS:
        uid = str(ds.get(uid_keyword, "") or "")
        for value, keywords in by_value.items():
            at = uid.find(value)
            if at >= 0:
                leaks.append(UidLeak(uid_keyword, uid, ", ".join(keywords), value, at))
    return leaks


def dates_in_uid(uid: str) -> list[str]:
    """Runs of digits in a UID that begin with a valid calendar date between 1980 and 2100.

    Why: a UID can carry a date the header no longer holds (for example after Study Date was
    removed), so the check cannot rely on matching header values alone.
    """
    found = []
    for run in _DIGITS.findall(uid):
        head = run[:8]
        try:
            day = date(int(head[:4]), int(head[4:6]), int(head[6:8]))
        except ValueError:
            continue
        if 1980 <= day.year <= 2100:
            found.append(head)
    return found


@dataclass(frozen=True)
class PrivateBlock:
    """One reserved block of private elements: group, creator, how many elements it holds."""

    group: int
    creator: str
    block: int  # the element byte xx of (gggg,00xx) that reserved it
    elements: int


def private_blocks(ds: pydicom.Dataset) -> list[PrivateBlock]:
    """The private blocks of a dataset (top level), in tag order, with their element counts.

    Why: PS3.5 section 7.8 reserves blocks of private elements by a Private Creator value, so
    a recipe that keeps a private attribute must name group, creator and element; the same
    element number means different things under different creators.
    """
    creators: dict[tuple[int, int], str] = {}
    counts: dict[tuple[int, int], int] = {}
    for element in ds:
        tag = element.tag
        if not tag.is_private:
            continue
        if 0x0010 <= tag.element <= 0x00FF:
            creators[(tag.group, tag.element)] = str(element.value).strip()
        elif tag.element >= 0x1000:
            key = (tag.group, tag.element >> 8)
            counts[key] = counts.get(key, 0) + 1
    return [
        PrivateBlock(group, creator, block, counts.get((group, block), 0))
        for (group, block), creator in sorted(creators.items())
    ]


def transfer_syntax_table(paths: list[Path], catalogue) -> list[dict[str, str]]:
    """For each file: its transfer syntax, the standard's word on loss, the file's own Lossy
    Image Compression value, and the pydicom decoder plugins present or missing here.

    ``catalogue`` is the table of transfer syntaxes (book/knowledge/data/transfer_syntaxes.csv)
    with a ``uid`` and a ``loss`` column. A transfer syntax the catalogue does not list is
    reported as such rather than guessed.
    """
    from pydicom.pixels import get_decoder

    loss = dict(zip(catalogue["uid"], catalogue["loss"], strict=True))
    rows = []
    for path in paths:
        ds = pydicom.dcmread(path, stop_before_pixels=True, force=True)
        uid = getattr(getattr(ds, "file_meta", None), "TransferSyntaxUID", None)
        if uid is None:  # a bare data set: the encoding is not recorded, so say so
            rows.append(
                {
                    "file": Path(path).name,
                    "transfer syntax": "not recorded (no file meta header)",
                    "loss (standard)": "unknown",
                    "Lossy Image Compression (file)": str(
                        ds.get("LossyImageCompression", "absent")
                    ),
                    "decoders here": "-",
                    "decoders not installed": "-",
                }
            )
            continue
        if not uid.is_compressed:
            available, missing = "none needed (native)", "-"
        else:
            try:
                decoder = get_decoder(uid)
                available = ", ".join(decoder.available_plugins) or "none installed"
                missing = ", ".join(sorted(decoder.missing_dependencies)) or "-"
            except NotImplementedError:
                available, missing = "no decoder in pydicom", "-"
        rows.append(
            {
                "file": Path(path).name,
                "transfer syntax": uid.name,
                "loss (standard)": loss.get(str(uid), "not in the catalogue"),
                "Lossy Image Compression (file)": str(ds.get("LossyImageCompression", "absent")),
                "decoders here": available,
                "decoders not installed": missing,
            }
        )
    return rows


def pixel_sha256(path: Path) -> str:
    """SHA-256 of the decoded pixel values (dtype and shape included).

    Why decoded rather than the Pixel Data bytes: two files can encode the same pixels in
    different transfer syntaxes; the person holding the originals compares what the pixels
    are, not how they were written.
    """
    array = pydicom.dcmread(path).pixel_array
    digest = hashlib.sha256()
    digest.update(f"{array.dtype.str}{array.shape}".encode())
    digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


def pixel_signature(path: Path, size: int = 8) -> np.ndarray:
    """A coarse signature of the first frame: block means on a size x size grid, scaled 0-1.

    Why: an exact hash breaks as soon as one pixel changes; a signature of block means
    survives small changes (noise, a masked corner, a re-encoding), which is how near-duplicate
    matching works. It is an illustration, not a forensic tool.
    """
    array = pydicom.dcmread(path).pixel_array.astype(float)
    frames = int(pydicom.dcmread(path, stop_before_pixels=True).get("NumberOfFrames", 1) or 1)
    if frames > 1:
        array = array[0]
    if array.ndim == 3:  # colour: average the samples
        array = array.mean(axis=-1)
    rows = np.array_split(np.arange(array.shape[0]), size)
    cols = np.array_split(np.arange(array.shape[1]), size)
    grid = np.array([[array[np.ix_(r, c)].mean() for c in cols] for r in rows])
    span = grid.max() - grid.min()
    return (grid - grid.min()) / span if span else np.zeros_like(grid)


def relink(released: list[Path], originals: list[Path]) -> list[dict[str, object]]:
    """Match each released file to an original by pixels alone: first by exact hash, else by
    the nearest signature. Returns one row per released file with the match and its method.

    This is what a site or core lab holding the originals could do; nothing in the headers is
    used.
    """
    exact = {pixel_sha256(p): p for p in originals}
    signatures = {p: pixel_signature(p) for p in originals}
    rows = []
    for path in released:
        digest = pixel_sha256(path)
        if digest in exact:
            rows.append({"released": path.name, "matched": exact[digest].name, "how": "exact"})
            continue
        signature = pixel_signature(path)
        distances = {
            p: float(np.abs(s - signature).mean())
            for p, s in signatures.items()
            if s.shape == signature.shape
        }
        best = min(distances, key=distances.get)
        rows.append(
            {
                "released": path.name,
                "matched": best.name,
                "how": f"nearest signature (distance {distances[best]:.3f})",
            }
        )
    return rows


def perturbed_copy(path: Path, out: Path, seed: int = 0) -> Path:
    """Write a copy whose pixels differ by at most one grey level, as lossy re-encoding or a
    rescale would leave them. For the book's demonstration that exact hashes break while a
    coarse signature still matches; never used on data that leaves the sponsor.
    """
    ds = pydicom.dcmread(path)
    array = ds.pixel_array
    rng = np.random.default_rng(seed)
    noise = rng.integers(-1, 2, size=array.shape)
    info = np.iinfo(array.dtype)
    changed = np.clip(array.astype(np.int64) + noise, info.min, info.max).astype(array.dtype)
    ds.PixelData = changed.tobytes()
    out.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(out)
    return out


def unix_time(value: int) -> str:
    """A number of seconds since 1970-01-01 as an ISO date and time (UTC).

    Why: vendors store dates in private elements as integers, which no text search for dates
    finds; reading such a value as a Unix time is how a reviewer sees what it holds.
    """
    from datetime import UTC, datetime

    return datetime.fromtimestamp(int(value), tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def private_fate(
    path: Path, options: tuple[str, ...] = (), safe: frozenset[tuple[int, str, int]] = frozenset()
) -> list[dict[str, str]]:
    """What the engine would do to each top-level private element of a file, given options and
    a safe list of (group, private creator, element byte) entries, as a recipe would name them.
    """
    import secrets

    from imgshare.dicom import config, engine, io

    ds, _ = io.read(Path(path))
    cfg = config.Config(key=secrets.token_bytes(32), options=options, safe_private=safe)
    ctx = engine.plan(ds, cfg)
    rows = []
    for decision in ctx.decisions:
        tag = decision.path.split(">")[0].strip()
        if not re.fullmatch(r"\([0-9A-F]{4},[0-9A-F]{4}\)", tag):
            continue
        if int(tag[1:5], 16) % 2 == 1:
            rows.append({"tag": tag, "action": decision.action, "why": decision.reason})
    return rows


def uid_leak_census(paths: list[Path]) -> list[dict[str, object]]:
    """For each file: its manufacturer and which of its UIDs carry a header date or time."""
    rows = []
    for path in paths:
        ds = pydicom.dcmread(path, stop_before_pixels=True, force=True)
        carrying = sorted({leak.uid_keyword for leak in uid_leaks(ds)})
        rows.append(
            {
                "file": Path(path).name,
                "manufacturer": str(ds.get("Manufacturer", "") or ""),
                "UIDs carrying a header date or time": ", ".join(carrying) or "none",
            }
        )
    return rows
