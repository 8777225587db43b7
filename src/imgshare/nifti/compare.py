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

from imgshare.nifti import detect, dispatch, header

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

    def extensions(path: Path) -> str:
        raw, _, _ = dispatch.read_bytes(path)
        image = header.parse_single(raw, detect.kind_of_header(raw[:560]) or "nifti1")
        return "; ".join(f"{code}: {block[8:38]!r}" for code, block in image.extensions)

    rows.append({"field": "extensions", "before": extensions(before),
                 "after": extensions(after) or "(none)"})  # fmt: skip
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
    raw_a, _, _ = dispatch.read_bytes(before)
    raw_b, _, _ = dispatch.read_bytes(after)
    kind = detect.kind_of_header(raw_a[:560])
    img_a, img_b = header.parse_single(raw_a, kind), header.parse_single(raw_b, kind)
    return {
        "voxel bytes": img_a.data == img_b.data,
        "geometry fields": header.geometry(img_a.header) == header.geometry(img_b.header),
        "affine": bool(np.array_equal(nib.load(before).affine, nib.load(after).affine)),
    }


def dicom_and_nifti(dicom_files: list[Path], nifti_path: Path) -> dict[str, Any]:
    """The same volume from a DICOM series and its NIfTI, in the DICOM's voxel order.

    The DICOM affine (LPS, from Image Position and Orientation) is turned into RAS+ with
    :mod:`imgshare.book.coords`; the NIfTI array is reoriented from its own affine's axes to the
    DICOM's, so both arrays index the same voxel with the same (column, row, slice).
    """
    import pydicom
    from nibabel import orientations as orn

    from imgshare.book import coords

    slices = coords.sort_slices([pydicom.dcmread(f) for f in dicom_files])
    dicom_ras = coords.lps_to_ras(coords.dicom_affine(slices))
    rescaled = [
        d.pixel_array * float(getattr(d, "RescaleSlope", 1) or 1)
        + float(getattr(d, "RescaleIntercept", 0) or 0)
        for d in slices
    ]
    dicom_volume = np.stack(rescaled, axis=-1).transpose(1, 0, 2)  # (column, row, slice)
    img = nib.load(nifti_path)
    change = orn.ornt_transform(orn.io_orientation(img.affine), orn.io_orientation(dicom_ras))
    nifti_volume = orn.apply_orientation(np.asarray(img.dataobj), change)
    return {
        "dicom_affine_ras": dicom_ras,
        "nifti_affine": img.affine,
        "dicom_axes": coords.axis_codes(dicom_ras),
        "nifti_axes": coords.axis_codes(img.affine),
        "dicom_volume": dicom_volume,
        "nifti_volume": nifti_volume,
        "max_difference": float(np.max(np.abs(dicom_volume - nifti_volume))),
    }
