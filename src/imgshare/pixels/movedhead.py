"""A head that is not the template: the generator that moves, rescales and resamples it.

Why: a defacer tested on its own template proves nothing. The generator turns pydeface's
full-head sample by known angles, shifts it, scales it (a smaller or larger head), and
resamples it onto a grid with other voxel sizes, recording the transform. Everything the
tests measure comes from that record, not from the defacer: the face region (the sample's
face mask carried through the same known transform), the face tissue in it (head voxels
inside the region), and the head beyond 15 mm of that region, which must stay unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from imgshare import samples

HEAD = "nifti/mean_reg2mean.nii.gz"
FACE_MASK = "nifti/facemask.nii.gz"  # 1 keep, 0 face, in the head's grid


@dataclass
class Moved:
    """The moved head and the generator's record of what it did."""

    image: object  # SimpleITK float32 image
    transform: object  # maps points of the moved grid to points of the source head
    face: np.ndarray  # bool (z, y, x): the face region, carried with the known transform
    head: np.ndarray  # bool: head voxels (not air)
    threshold: float


def _read():
    import SimpleITK as sitk

    head = sitk.Cast(sitk.ReadImage(str(samples.path(HEAD))), sitk.sitkFloat32)
    mask = sitk.Cast(sitk.ReadImage(str(samples.path(FACE_MASK))), sitk.sitkUInt8)
    mask.CopyInformation(head)
    return head, mask


def head_threshold(arr: np.ndarray) -> float:
    """Head, not air: above a fifth of the 99th centile of the non-zero voxels."""
    return 0.2 * float(np.percentile(arr[arr > 0], 99))


def make(
    angles=(12.0, -8.0, 15.0),
    shift=(9.0, -12.0, 6.0),
    scale: float = 0.92,
    spacing=(1.3, 1.1, 1.7),
) -> Moved:
    """The sample head rotated (degrees about x, y, z), shifted (mm), scaled and resampled
    onto a grid of ``spacing`` mm."""
    import SimpleITK as sitk

    head, keep = _read()
    centre = head.TransformContinuousIndexToPhysicalPoint([(s - 1) / 2 for s in head.GetSize()])
    t = sitk.Similarity3DTransform()
    t.SetCenter(centre)
    t.SetRotation(sitk.VersorTransform((1, 0, 0), 0).GetVersor())  # identity, then angles
    euler = sitk.Euler3DTransform(centre, *(np.deg2rad(a) for a in angles), shift)
    t.SetMatrix(euler.GetMatrix())
    t.SetTranslation(shift)
    t.SetScale(1.0 / scale)  # output point p samples the source at T(p): the head shrinks
    size = [int(round(n * s / ns * 1.05)) for n, s, ns in
            zip(head.GetSize(), head.GetSpacing(), spacing, strict=True)]  # fmt: skip
    ref = sitk.Image(size, sitk.sitkFloat32)
    ref.SetSpacing(spacing)
    ref.SetDirection(head.GetDirection())
    ref.SetOrigin(head.GetOrigin())
    moved = sitk.Resample(head, ref, t, sitk.sitkLinear, 0.0)
    face = sitk.Resample(keep, ref, t, sitk.sitkNearestNeighbor, 1)
    arr = sitk.GetArrayFromImage(moved)
    threshold = head_threshold(arr)
    return Moved(moved, t, sitk.GetArrayFromImage(face) == 0, arr > threshold, threshold)


def beyond(moved: Moved, mm: float = 15.0) -> np.ndarray:
    """Head voxels farther than ``mm`` from the face region (Euclidean, in millimetres)."""
    from scipy.ndimage import distance_transform_edt

    spacing = moved.image.GetSpacing()[::-1]  # z, y, x
    distance = distance_transform_edt(~moved.face, sampling=spacing)
    return moved.head & (distance > mm)


def measure(moved: Moved, defaced: np.ndarray) -> dict[str, float]:
    """Face tissue changed and head beyond 15 mm kept, as shares (0..1)."""
    before = __import__("SimpleITK").GetArrayFromImage(moved.image)
    tissue = moved.face & moved.head
    far = beyond(moved)
    return {
        "face tissue changed": float((defaced[tissue] != before[tissue]).mean()),
        "head beyond 15 mm kept": float((defaced[far] == before[far]).mean()),
        "face tissue voxels": int(tissue.sum()),
        "head beyond 15 mm voxels": int(far.sum()),
    }
