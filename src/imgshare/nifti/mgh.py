"""FreeSurfer MGH/MGZ volumes: keep header, voxels and scan parameters; drop the tags.

Why: the MGH header holds no text, only dimensions, type and geometry (voxel sizes, the
direction cosines and the centre), followed by the voxels. After the voxels FreeSurfer may
append five scan parameters (TR, flip angle, TE, TI, field of view) and then tags: command
lines of the programs that made the file (with their paths, which often hold the subject's
folder name), the name of a transform file, and so on. The release keeps the first two
parts byte for byte and the scan parameters, and drops every tag.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from imgshare.dicom.errors import DeidError

HEADER_BYTES = 284  # the data start at this offset in every MGH file
SCAN_PARAMETER_BYTES = 20  # five big-endian float32: TR, flip angle, TE, TI, FoV
BYTES_PER_TYPE = {0: 1, 1: 4, 3: 4, 4: 2}  # uchar, int32, float32, int16


@dataclass
class Volume:
    header: bytes
    data: bytes
    scan_parameters: bytes = b""
    tags: bytes = b""
    notes: list[str] = field(default_factory=list)


def parse(raw: bytes) -> Volume:
    """Split an (uncompressed) MGH file into header, voxels, scan parameters and tags."""
    if len(raw) < HEADER_BYTES:
        raise DeidError(f"truncated: MGH header has {len(raw)} of {HEADER_BYTES} bytes")
    version, width, height, depth, frames, kind = struct.unpack(">6i", raw[:24])
    if version != 1:
        raise DeidError(f"not an MGH version 1 file (version {version})")
    if kind not in BYTES_PER_TYPE:
        raise DeidError(f"unknown MGH data type {kind}")
    dims = (width, height, depth, frames)
    if any(d < 1 for d in dims):
        raise DeidError(f"invalid MGH dimensions {dims}")
    need = width * height * depth * frames * BYTES_PER_TYPE[kind]
    available = len(raw) - HEADER_BYTES
    if available < need:
        raise DeidError(f"voxel data truncated: {available} of {need} bytes")
    end = HEADER_BYTES + need
    tail = raw[end:]
    params = tail[:SCAN_PARAMETER_BYTES] if len(tail) >= SCAN_PARAMETER_BYTES else b""
    volume = Volume(raw[:HEADER_BYTES], raw[HEADER_BYTES:end], params, tail[len(params) :])
    if tail and not params:
        volume.notes.append(f"{len(tail)} bytes after the voxel data dropped")
    return volume


def clean(volume: Volume) -> dict[str, list[str]]:
    """Drop the tags; report what went (sizes only, never content)."""
    done: dict[str, list[str]] = {"cleared": [], "extensions_removed": [], "extensions_kept": []}
    if volume.tags:
        done["extensions_removed"].append(f"trailing tags ({len(volume.tags)} bytes)")
        volume.tags = b""
    return done


def to_bytes(volume: Volume) -> bytes:
    return volume.header + volume.data + volume.scan_parameters + volume.tags
