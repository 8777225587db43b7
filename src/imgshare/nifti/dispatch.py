"""One file of a batch: NIfTI, Analyze, MGH, or a BIDS sidecar or table, to a temporary file.

Why here and not in the batch: the batch walks the tree, moves finished files into place
and writes the report, and must not care about formats. It asks :func:`handles` first and,
if the answer is yes, calls :func:`process`, which returns the same kind of report entry as
the DICOM path (status, output, temp) plus what it cleared, by field or key name only. The
output is written to a temporary file beside its target; the batch renames it into place,
so nothing is ever half written. Anything this module does not claim goes to the DICOM
reader, unchanged.
"""

from __future__ import annotations

import gzip
import json
import zlib
from pathlib import Path
from typing import Any

from imgshare.dicom.config import Config
from imgshare.dicom.errors import DeidError
from imgshare.dicom.io import NotDicom, temp_file
from imgshare.nifti import detect, faces, header, mgh, names, sidecar, tables
from imgshare.nifti.settings import Settings
from imgshare.reasons import from_exception

NAMED = (".nii", ".nii.gz", ".hdr", ".img", ".mgh", ".mgz")
BIDS_TEXT = ("README", "README.md", "README.txt", "README.rst", "CHANGES", "LICENSE")


def _named(path: Path) -> bool:
    return path.name.lower().endswith(NAMED)


#: Files that travel with a volume: its sidecar and, for diffusion, gradient tables.
COMPANIONS = (".json", ".bval", ".bvec")


def companion_of(path: Path) -> Path | None:
    """The volume beside ``path`` with the same stem, for a sidecar or gradient table
    outside a BIDS dataset (what dcm2niix writes: scan.nii.gz, scan.json, scan.bval)."""
    if path.suffix.lower() not in COMPANIONS:
        return None
    for suffix in names.IMAGE_SUFFIXES:
        candidate = path.with_name(path.name[: -len(path.suffix)] + suffix)
        if candidate.is_file():
            return candidate
    return None


def handles(path: Path, rel: str) -> bool:
    """True for neuroimaging files (by content or name), for the files of a BIDS dataset,
    and for a sidecar or gradient table beside a volume."""
    if detect.sniff(path) is not None or _named(path):
        return True
    root = names.bids_root(path, rel)
    if root is not None:
        return path.suffix.lower() in (".json", ".tsv", ".bval", ".bvec") or path.name in BIDS_TEXT
    return companion_of(path) is not None


def read_bytes(path: Path) -> tuple[bytes, bool, list[str]]:
    """The whole file, gunzipped if need be; whether it was gzipped; notes."""
    raw = path.read_bytes()
    if not raw.startswith(detect.GZIP_MAGIC):
        return raw, False, []
    notes = []
    if len(raw) > 3 and raw[3] & 0x08:
        notes.append("gzip header named the original file: not carried over")
    try:
        return gzip.decompress(raw), True, notes
    except EOFError:
        raise DeidError("truncated gzip stream: the file ends inside the compressed data") from None
    except (OSError, zlib.error) as exc:
        raise DeidError(f"corrupt gzip stream: {from_exception(exc, 120)}") from None


def gzip_bytes(data: bytes) -> bytes:
    """Deterministic gzip: no file name, time zero, so equal input gives equal output."""
    return gzip.compress(data, compresslevel=6, mtime=0)


def _target(path: Path, rel: str, suffix: str, cfg: Config) -> tuple[str, names.Subject | None]:
    if names.bids_root(path, rel) is not None:
        return names.bids_rename(rel, cfg)
    return names.hashed(rel, suffix, cfg)


def _suffix(path: Path) -> str:
    name = path.name.lower()
    for s in (".nii.gz", ".nii", ".hdr", ".img", ".mgz", ".mgh", ".json", ".tsv", ".bval", ".bvec"):
        if name.endswith(s):
            return s
    return path.suffix.lower()


def image_bytes(
    path: Path, settings: Settings, cfg: Config | None = None
) -> tuple[bytes, str, dict[str, Any]]:
    """The released bytes (uncompressed), the format, and what was done.

    With ``cfg``, a volume that may hold a face passes the release gate or, under Clean
    Recognizable Visual Features, is defaced (:mod:`imgshare.nifti.faces`)."""
    is_img = detect.is_pair_image(path) or path.suffix.lower() == ".img"
    header_path = path.with_suffix(".hdr") if is_img else path
    if is_img and not header_path.is_file():
        raise DeidError("image file (.img) without its header (.hdr) beside it")
    raw, _, notes = read_bytes(header_path)
    kind = detect.kind_of_header(raw[:560])
    if kind is None:
        raise DeidError("wrong magic: not a NIfTI-1, NIfTI-2, Analyze or MGH header")
    if kind == "mgh":
        volume = mgh.parse(raw)
        done = mgh.clean(volume)
        if cfg is not None:
            notes = notes + faces.treat(path, b"", cfg)[1]
        return mgh.to_bytes(volume), kind, {**done, "notes": notes + volume.notes}
    if kind in detect.PAIR_KINDS:
        if header_path.suffix.lower() != ".hdr":
            raise DeidError(
                "wrong magic: no 'n+1' or 'n+2' in a 348/540-byte header of a file not named .hdr"
            )
        image_path = header_path.with_suffix(".img")
        if not image_path.is_file():
            raise DeidError("mismatched .hdr/.img: the image file (.img) is missing")
        image_raw, _, _ = read_bytes(image_path)
        image = header.parse_pair(raw, image_raw, kind)
        done = header.clean(image, settings.keep_extensions)
        if cfg is not None and is_img:
            image.data, more = faces.treat(header_path, image.data, cfg)
            notes = notes + more
        head = header.header_bytes(image, single=False)
        data = image.data if is_img else head
    else:
        image = header.parse_single(raw, kind)
        done = header.clean(image, settings.keep_extensions)
        if cfg is not None:
            image.data, more = faces.treat(path, image.data, cfg)
            notes = notes + more
        data = header.header_bytes(image, single=True) + image.data
    return data, kind, {**done, "notes": notes + image.notes}


def write_temp(data: bytes, folder: Path, durable: bool = False) -> Path:
    """Write bytes to a temporary file in ``folder``; the batch renames it into place."""
    return temp_file(folder, lambda fh: fh.write(data), durable)


def process(
    path: Path, rel: str, cfg: Config, dst: Path, durable: bool = False,
    settings: Settings | None = None,
) -> dict[str, Any]:  # fmt: skip
    """De-identify one file into a temporary file; the report entry (raises DeidError)."""
    settings = settings or cfg.nifti
    suffix = _suffix(path)
    target, who = _target(path, rel, suffix, cfg)
    entry: dict[str, Any] = {}
    if suffix in (".bval", ".bvec"):
        data, entry = _gradients(path)
    elif suffix in (".json", ".tsv") or path.name in BIDS_TEXT:
        data, entry = _bids_file(path, rel, suffix, cfg, who)
    else:
        data, kind, done = image_bytes(path, settings, cfg)
        if suffix in (".nii.gz", ".mgz"):
            data = gzip_bytes(data)
        entry = {"format": kind, **{k: v for k, v in done.items() if v}}
    temp = write_temp(data, dst / Path(target).parent, durable)
    return {"status": "processed", "output": target, "temp": str(temp), **entry}


def _gradients(path: Path) -> tuple[bytes, dict[str, Any]]:
    """A .bval or .bvec file passes through unchanged: numbers only, checked as such (a
    diffusion volume is unusable without its gradient table)."""
    raw = path.read_bytes()
    try:
        values = [float(v) for v in raw.decode("ascii").split()]
    except (UnicodeDecodeError, ValueError):
        raise DeidError("gradient table (.bval/.bvec) holds more than numbers: held back") from None
    if not values:
        raise DeidError("empty gradient table (.bval/.bvec)")
    return raw, {"format": "gradient-table", "notes": [f"{len(values)} numbers passed through"]}


def _column_dictionary(path: Path) -> bool:
    """A JSON that describes the columns of the TSV beside it (participants.json, a
    phenotype file's JSON), rather than an image's sidecar."""
    return (
        path.name == "participants.json"
        or path.name.endswith(("_scans.json", "_sessions.json"))
        or path.with_suffix(".tsv").is_file()
    )


def _bids_file(
    path: Path, rel: str, suffix: str, cfg: Config, who: names.Subject | None
) -> tuple[bytes, dict[str, Any]]:
    def rename(value: str) -> str:
        return names.bids_rename(value, cfg)[0] if names.SUBJECT.search(value) else value

    text = path.read_text(encoding="utf-8", errors="strict")
    if suffix == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DeidError(f"invalid JSON sidecar: {exc.msg} at line {exc.lineno}") from None
        if not isinstance(data, dict):
            raise DeidError("invalid JSON sidecar: not an object of keys and values")
        if _column_dictionary(path):
            kept = {k: v for k, v in data.items() if tables.column_action(k, cfg) != "remove"}
            removed = sorted(set(data) - set(kept))
            out = json.dumps(kept, indent=2) + "\n"
            return out.encode(), {"format": "bids-json", "keys_removed": removed} if removed else {
                "format": "bids-json"
            }  # noqa: E501
        known = who is not None and who.original != ""
        offset = who.offset if known else None  # no known subject: dates are removed
        extra = [who.original] if known else []
        cleaned, done = sidecar.clean(data, cfg, offset, rename, extra)
        return (json.dumps(cleaned, indent=2) + "\n").encode(), {"format": "bids-json", **done}
    if suffix == ".tsv":  # every table gets the column rules (or is refused with a reason)
        out, done = tables.clean_table(text, cfg, who, rename)
        return out.encode(), {"format": "bids-tsv", **done}
    # Free text (README, CHANGES, LICENSE) cannot be checked: it is not released unseen.
    raise NotDicom("free text of the dataset (README, CHANGES, LICENSE): not copied; "
                   "review it and add it by hand")  # fmt: skip
