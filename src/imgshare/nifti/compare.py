"""Before and after, side by side: headers, sidecars and geometry, for the book and tests.

Why: a reader should see, field by field, what left and what stayed, and that the voxels
and the geometry are the same bytes. These helpers read both files with nibabel (for
display) and compare the raw voxel bytes (for proof).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import nibabel as nib
import numpy as np

from imgshare.nifti import dispatch, header

SHOWN = ("descrip", "aux_file", "db_name", "intent_name", "qform_code", "sform_code",
         "xyzt_units", "slice_code", "slice_duration", "vox_offset")  # fmt: skip


def _text(value: Any) -> str:
    if isinstance(value, bytes | np.bytes_):
        return value.decode("latin-1").rstrip("\x00")
    return str(value.tolist() if hasattr(value, "tolist") else value)


def header_table(before: Path, after: Path) -> list[dict[str, str]]:
    """One row per header field (text fields and a few geometry ones) and per extension."""
    a, b = nib.load(before).header, nib.load(after).header
    rows = [{"field": f, "before": _text(a[f]), "after": _text(b[f])} for f in SHOWN if f in a]
    ext_a = getattr(a, "extensions", [])
    ext_b = getattr(b, "extensions", [])
    rows.append({
        "field": "extensions",
        "before": "; ".join(f"{e.get_code()}: {bytes(e.get_content())[:30]!r}" for e in ext_a),
        "after": "; ".join(f"{e.get_code()}: {bytes(e.get_content())[:30]!r}" for e in ext_b)
        or "(none)",
    })  # fmt: skip
    return rows


def sidecar_table(before: Path, after: Path) -> list[dict[str, str]]:
    """Every key of the source sidecar, its value before and after (or 'removed')."""
    a, b = json.loads(before.read_text()), json.loads(after.read_text())
    return [
        {
            "key": k,
            "before": json.dumps(v)[:40],
            "after": json.dumps(b[k])[:40] if k in b else "removed",
        }  # noqa: E501
        for k, v in a.items()
    ]


def same_voxels_and_geometry(before: Path, after: Path) -> dict[str, bool]:
    """Voxel bytes identical, geometry fields identical, affine identical."""
    from imgshare.nifti import detect

    raw_a, _, _ = dispatch.read_bytes(before)
    raw_b, _, _ = dispatch.read_bytes(after)
    kind = detect.kind_of_header(raw_a[:560])
    img_a, img_b = header.parse_single(raw_a, kind), header.parse_single(raw_b, kind)
    return {
        "voxel bytes": img_a.data == img_b.data,
        "geometry fields": header.geometry(img_a.header) == header.geometry(img_b.header),
        "affine": bool(np.array_equal(nib.load(before).affine, nib.load(after).affine)),
    }
