"""Patient coordinates: DICOM LPS geometry, the NIfTI RAS+ affine, and the link between them.

Why: a release that loses or flips geometry is useless (left becomes right), and converters
differ in how they build the affine. These helpers compute the voxel-to-patient affine of a
DICOM series from Image Position (Patient), Image Orientation (Patient) and Pixel Spacing,
as PS3.3 C.7.6.2.1.1 defines them, and express it in the RAS+ convention NIfTI uses, so the
chapters can show both on the samples rather than assert them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

#: Multiplying an LPS affine by this on the left gives the RAS+ affine (x and y change sign).
LPS_TO_RAS = np.diag([-1.0, -1.0, 1.0, 1.0])


def _read(items: Iterable[Any]) -> list[Any]:
    import pydicom

    return [
        pydicom.dcmread(i, stop_before_pixels=True) if isinstance(i, str | Path) else i
        for i in items
    ]


def slice_normal(ds: Any) -> np.ndarray:
    """The unit vector normal to a slice: row direction × column direction (LPS)."""
    iop = np.asarray(ds.ImageOrientationPatient, dtype=float)
    return np.cross(iop[:3], iop[3:])


def sort_slices(datasets: Iterable[Any]) -> list[Any]:
    """Slices ordered by position along the slice normal (not by file name or Instance Number).

    Why: file names and Instance Numbers are not guaranteed to follow anatomy; the position
    projected on the normal is.
    """
    slices = _read(datasets)
    normal = slice_normal(slices[0])
    return sorted(slices, key=lambda d: float(np.dot(normal, d.ImagePositionPatient)))


def dicom_affine(datasets: Sequence[Any]) -> np.ndarray:
    """The 4×4 affine from voxel index (column i, row j, slice k) to LPS millimetres.

    Column 0 is the row direction times the column spacing, column 1 the column direction
    times the row spacing (Pixel Spacing lists row spacing first), column 2 the step between
    sorted slices, column 3 the position of the first voxel of the first slice.
    """
    slices = sort_slices(datasets)
    first = slices[0]
    iop = np.asarray(first.ImageOrientationPatient, dtype=float)
    row_spacing, col_spacing = (float(v) for v in first.PixelSpacing)
    affine = np.eye(4)
    affine[:3, 0] = iop[:3] * col_spacing
    affine[:3, 1] = iop[3:] * row_spacing
    if len(slices) > 1:
        step = np.asarray(slices[-1].ImagePositionPatient, dtype=float) - np.asarray(
            first.ImagePositionPatient, dtype=float
        )
        affine[:3, 2] = step / (len(slices) - 1)
    else:
        thickness = float(getattr(first, "SliceThickness", 1.0) or 1.0)
        affine[:3, 2] = slice_normal(first) * thickness
    affine[:3, 3] = np.asarray(first.ImagePositionPatient, dtype=float)
    return affine


def lps_to_ras(affine: np.ndarray) -> np.ndarray:
    """The same affine expressed in RAS+ (NIfTI's world convention)."""
    return LPS_TO_RAS @ np.asarray(affine, dtype=float)


def axis_codes(affine_ras: np.ndarray) -> tuple[str, ...]:
    """Where each voxel axis points, as nibabel's letters (for example ('L', 'P', 'S'))."""
    import nibabel as nib

    return tuple(nib.aff2axcodes(affine_ras))


def to_world(affine: np.ndarray, ijk: Sequence[float]) -> np.ndarray:
    """Map one voxel index (i, j, k) to world millimetres with a 4×4 affine."""
    return (np.asarray(affine, dtype=float) @ np.append(np.asarray(ijk, dtype=float), 1.0))[:3]


def plane(ds: Any) -> str:
    """Axial, coronal or sagittal: the patient axis the slice normal is closest to."""
    normal = np.abs(slice_normal(ds))
    return ("sagittal", "coronal", "axial")[int(np.argmax(normal))]


def geometry_table(datasets: Iterable[Any]):
    """One row per slice (sorted): file position, Instance Number, IPP, distance along normal."""
    import pandas as pd

    slices = sort_slices(datasets)
    normal = slice_normal(slices[0])
    rows = []
    for ds in slices:
        ipp = [float(v) for v in ds.ImagePositionPatient]
        rows.append(
            {
                "InstanceNumber": int(getattr(ds, "InstanceNumber", 0) or 0),
                "ImagePositionPatient": tuple(round(v, 2) for v in ipp),
                "SliceLocation": getattr(ds, "SliceLocation", None),
                "along normal (mm)": round(float(np.dot(normal, ipp)), 2),
            }
        )
    return pd.DataFrame(rows)
