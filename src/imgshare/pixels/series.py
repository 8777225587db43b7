"""A DICOM series as a volume, for defacing: build one, read one, write one back.

Why: the face is only visible in the volume the slices form, so a DICOM series is read into
one SimpleITK image (slices ordered along the normal of their orientation), defaced, and its
slices written back with their headers, the new pixels, and Recognizable Visual Features
(0028,0302) set to NO so that the engine's per-file check lets them through.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
from pydicom import Dataset
from pydicom.dataset import FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, MRImageStorage, generate_uid

from imgshare.pixels import deface as df
from imgshare.pixels.render import canonical
from imgshare.testing import ct


def write_series(img, folder: Path, spacing: float = 2.0) -> list[Path]:
    """Write a volume as a synthetic axial MR series with made-up identifiers (for demos)."""
    import SimpleITK as sitk

    folder.mkdir(parents=True, exist_ok=True)
    grid = canonical(img, spacing)
    arr = np.clip(sitk.GetArrayFromImage(grid), 0, 32767).astype(np.int16)
    series, study, frame = generate_uid(), generate_uid(), generate_uid()
    paths = []
    for k, plane in enumerate(arr):
        ds = ct(study_uid=study)
        ds.SOPClassUID = MRImageStorage
        ds.Modality, ds.BodyPartExamined = "MR", "HEAD"
        ds.SeriesInstanceUID, ds.FrameOfReferenceUID, ds.InstanceNumber = series, frame, k + 1
        ds.ImagePositionPatient = list(grid.TransformIndexToPhysicalPoint([0, 0, k]))
        ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
        ds.PixelSpacing, ds.SliceThickness = [spacing, spacing], spacing
        for kw in ("RescaleIntercept", "RescaleSlope", "KVP"):
            if kw in ds:
                delattr(ds, kw)
        ds.file_meta = FileMetaDataset()
        ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds.set_pixel_data(plane, "MONOCHROME2", 16, generate_instance_uid=False)
        ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        path = folder / f"slice{k:03d}.dcm"
        ds.save_as(path, enforce_file_format=True)
        paths.append(path)
    return paths


def read_series(folder: Path) -> tuple[object, list[tuple[Path, Dataset]]]:
    """The volume of a single-frame series, and its slices in order (path, dataset)."""
    paths = sorted(folder.glob("*.dcm"))
    if not paths:
        raise ValueError(f"{folder}: no DICOM files")
    return read_slices(paths)


def read_slices(paths: list[Path]) -> tuple[object, list[tuple[Path, Dataset]]]:
    """The volume that single-frame slices form, and the slices in order (path, dataset).

    Refuses (ValueError) what is not one regular volume: slices of other orientations or
    sizes, two slices at one position, or uneven gaps between them."""
    import SimpleITK as sitk

    slices = [(Path(p), pydicom.dcmread(p)) for p in paths]
    if len(slices) < 2:
        raise ValueError("a single slice is not a volume")
    orientations = {tuple(round(float(v), 4) for v in s.ImageOrientationPatient) for _, s in slices}
    sizes = {(int(s.Rows), int(s.Columns)) for _, s in slices}
    if len(orientations) != 1 or len(sizes) != 1:
        raise ValueError("the slices differ in orientation or size")
    row, col = np.array(slices[0][1].ImageOrientationPatient, float).reshape(2, 3)
    normal = np.cross(row, col)
    slices.sort(key=lambda s: float(np.dot(normal, np.array(s[1].ImagePositionPatient, float))))
    where = [float(np.dot(normal, np.array(s.ImagePositionPatient, float))) for _, s in slices]
    gaps = np.diff(where)
    if gaps.min() <= 1e-3 or gaps.max() - gaps.min() > 0.05 * gaps.mean():
        raise ValueError("the slices are not evenly spaced (or two share a position)")
    arr = np.stack([s[1].pixel_array.astype(np.float32) for s in slices])
    first, second = (np.array(s[1].ImagePositionPatient, float) for s in slices[:2])
    img = sitk.GetImageFromArray(arr)
    dy, dx = (float(v) for v in slices[0][1].PixelSpacing)
    img.SetSpacing((dx, dy, float(np.linalg.norm(second - first))))
    img.SetOrigin(tuple(first))
    img.SetDirection(tuple(np.stack([row, col, normal], axis=1).ravel()))
    return img, slices


def deface_series(src: Path, dst: Path) -> df.Defaced:
    """Deface a DICOM series folder into ``dst`` (one file per slice, same names)."""
    import SimpleITK as sitk

    img, slices = read_series(src)
    result = df.deface(img)
    arr = sitk.GetArrayFromImage(result.image)
    dst.mkdir(parents=True, exist_ok=True)
    for (path, ds), plane in zip(slices, arr, strict=True):
        original = ds.pixel_array
        ds.PixelData = plane.astype(original.dtype).tobytes()
        ds.RecognizableVisualFeatures = "NO"
        ds.save_as(dst / path.name, enforce_file_format=True)
    return result
