"""Defacing: remove the face from a head volume by carrying a template's face mask over.

Why registration: a face is recognisable from a surface rendering of a head MR or CT
(Schwarz et al. 2019), so it must go before sharing; its place differs in every scan. The
method is pydeface's: a full-head template with a face mask drawn in its space is registered
to the subject (here an affine registration with SimpleITK, mutual information, two
resolutions), the mask is carried into the subject's space, and the face's voxels are set to
zero. The brain is not touched, which is what keeps the scan useful.

The brain region used to check that (``brain_mask``) is defined here, in template space:
voxels brighter than a quarter of the head's robust maximum, inside an ellipsoid centred
20 mm above and 15 mm behind the centre of the head, with semi-axes of 55 mm (left-right),
70 mm (front-back) and 50 mm (up-down). It is a coarse stand-in for a brain segmentation,
chosen so that it does not reach the face mask (the test checks that).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from imgshare import samples

TEMPLATE = "nifti/mean_reg2mean.nii.gz"
FACE_MASK = "nifti/facemask.nii.gz"


def _sitk():
    import SimpleITK as sitk

    return sitk


def read(path: str | Path):
    """A volume (NIfTI, or anything SimpleITK reads) as a float32 SimpleITK image."""
    sitk = _sitk()
    return sitk.Cast(sitk.ReadImage(str(path)), sitk.sitkFloat32)


@cache
def template():
    """pydeface's full-head template and its face mask (1 keep, 0 face), as shipped."""
    sitk = _sitk()
    img = read(samples.path(TEMPLATE))
    mask = sitk.Cast(sitk.ReadImage(str(samples.path(FACE_MASK))), sitk.sitkUInt8)
    mask.CopyInformation(img)  # same grid; the stored spacing differs in the 8th digit
    return img, mask


def head_threshold(arr: np.ndarray) -> float:
    """The intensity above which a voxel is head, not air (a quarter of the 99th centile)."""
    return 0.25 * float(np.percentile(arr[arr > 0], 99)) if (arr > 0).any() else 0.5


def brain_mask(img=None):
    """The coarse brain region in template space (see the module's docstring)."""
    sitk = _sitk()
    img = template()[0] if img is None else img
    arr = sitk.GetArrayFromImage(img)
    head = arr > head_threshold(arr)
    idx = np.argwhere(head).mean(axis=0)  # z, y, x of the head's centre
    centre = np.array(img.TransformContinuousIndexToPhysicalPoint([float(i) for i in idx[::-1]]))
    centre += np.array([0.0, 15.0, 20.0])  # LPS: +y is posterior, +z superior
    # Physical position is linear in the index: build each axis by broadcasting, not per voxel.
    origin, spacing = np.array(img.GetOrigin()), np.array(img.GetSpacing())
    step = np.array(img.GetDirection()).reshape(3, 3) * spacing  # column j: one step in j
    nz, ny, nx = arr.shape
    axes = [
        np.arange(nx)[None, None, :],
        np.arange(ny)[None, :, None],
        np.arange(nz)[:, None, None],
    ]
    radii = (55.0, 70.0, 50.0)
    dist = np.zeros(arr.shape, dtype=np.float32)
    for k in range(3):
        pk = origin[k] - centre[k] + sum(step[k, j] * axes[j] for j in range(3))
        dist += (pk.astype(np.float32) / radii[k]) ** 2
    inside = dist <= 1
    out = sitk.GetImageFromArray((inside & head).astype(np.uint8))
    out.CopyInformation(img)
    return out


def register(subject, moving):
    """An affine transform mapping subject points to template points (template -> subject
    resampling), by mutual information at two resolutions."""
    sitk = _sitk()
    init = sitk.CenteredTransformInitializer(
        subject, moving, sitk.AffineTransform(3), sitk.CenteredTransformInitializerFilter.MOMENTS
    )
    reg = sitk.ImageRegistrationMethod()
    reg.SetMetricAsMattesMutualInformation(32)
    reg.SetMetricSamplingStrategy(reg.RANDOM)
    reg.SetMetricSamplingPercentage(0.05, seed=1)
    reg.SetInterpolator(sitk.sitkLinear)
    reg.SetOptimizerAsRegularStepGradientDescent(
        learningRate=1.0, minStep=1e-4, numberOfIterations=100, gradientMagnitudeTolerance=1e-8
    )
    reg.SetOptimizerScalesFromPhysicalShift()
    reg.SetShrinkFactorsPerLevel([2, 1])
    reg.SetSmoothingSigmasPerLevel([2.0, 0.0])
    reg.SmoothingSigmasAreSpecifiedInPhysicalUnitsOn()
    reg.SetInitialTransform(init, inPlace=False)
    # One thread: with several, ITK sums the metric in an order that varies from run to run,
    # and the same head was registered (and defaced) differently on each run; once, a face
    # detector still found a face. The registration's own thread setting is not enough.
    threads = sitk.ProcessObject.GetGlobalDefaultNumberOfThreads()
    sitk.ProcessObject.SetGlobalDefaultNumberOfThreads(1)
    try:
        return reg.Execute(subject, moving)
    finally:
        sitk.ProcessObject.SetGlobalDefaultNumberOfThreads(threads)


def _coarse(img, spacing: float = 2.5):
    """A smoothed copy on a coarser grid: registration needs the head's shape, not detail,
    and runs several times faster on it."""
    sitk = _sitk()
    size = [
        max(8, int(n * s / spacing)) for n, s in zip(img.GetSize(), img.GetSpacing(), strict=True)
    ]
    smooth = sitk.SmoothingRecursiveGaussian(img, spacing / 2)
    ref = sitk.Image(size, sitk.sitkFloat32)
    ref.SetOrigin(img.GetOrigin())
    ref.SetDirection(img.GetDirection())
    ref.SetSpacing((spacing,) * 3)
    return sitk.Resample(smooth, ref, sitk.Transform(), sitk.sitkLinear, 0.0)


@cache
def _coarse_template():
    return _coarse(template()[0])


@dataclass
class Defaced:
    """A defaced volume, the face mask in its space (1 = face, blanked) and the timing."""

    image: object
    face: object
    transform: object
    seconds: float


#: Safety margin (mm) added around the carried face mask: registration is accurate to a few
#: millimetres, and a face edge left behind is worth more than the same width of skin in
#: front of the face (our choice; pydeface adds none).
MARGIN_MM = 4.0


def face_mask(subject):
    """The template's face carried into ``subject``'s grid (1 = face), grown by
    :data:`MARGIN_MM`, and the transform."""
    sitk = _sitk()
    _, keep = template()
    transform = register(_coarse(subject), _coarse_template())
    keep_here = sitk.Resample(keep, subject, transform, sitk.sitkNearestNeighbor, 1)
    face = sitk.Cast(keep_here == 0, sitk.sitkUInt8)
    radius = [max(1, int(round(MARGIN_MM / s))) for s in subject.GetSpacing()]
    face = sitk.BinaryDilate(face, radius, sitk.sitkBall)
    return face, transform


def deface(subject) -> Defaced:
    """Blank the face of a head volume (a SimpleITK image in any orientation).

    The face's voxels take the volume's lowest value (air: 0 in MR, -1024 HU in CT)."""
    sitk = _sitk()
    start = time.perf_counter()
    face, transform = face_mask(subject)
    arr = sitk.GetArrayFromImage(subject)
    arr[sitk.GetArrayFromImage(face) > 0] = arr.min()
    out = sitk.GetImageFromArray(arr)
    out.CopyInformation(subject)
    return Defaced(out, face, transform, time.perf_counter() - start)


def deface_nifti(src: str | Path, dst: str | Path) -> Defaced:
    """Deface a NIfTI file; the output keeps the input's grid and data type."""
    sitk = _sitk()
    original = sitk.ReadImage(str(src))
    result = deface(sitk.Cast(original, sitk.sitkFloat32))
    sitk.WriteImage(sitk.Cast(result.image, original.GetPixelID()), str(dst))
    return result


def to_subject(mask_in_template, subject, t_template_from_subject):
    """Carry a template-space mask into a subject's grid with a known transform."""
    sitk = _sitk()
    return sitk.Resample(
        mask_in_template, subject, t_template_from_subject, sitk.sitkNearestNeighbor, 0
    )


def survival(original, defaced, face, brain) -> dict[str, float]:
    """How much of the face surface and of the brain are left after defacing.

    Face: the share of the head's frontal surface inside the face region that is still at
    the same depth (a frontal depth map, see :mod:`imgshare.pixels.render`). Brain: the share
    of brain voxels whose values are unchanged.
    """
    sitk = _sitk()
    from imgshare.pixels.render import depth_map

    b = sitk.GetArrayFromImage(brain) > 0
    before, after = sitk.GetArrayFromImage(original), sitk.GetArrayFromImage(defaced)
    brain_kept = float((before[b] == after[b]).mean()) if b.any() else 1.0
    thr = head_threshold(before)
    d0, hit0 = depth_map(original, thr, region=face)
    d1, _ = depth_map(defaced, thr)
    face_px = hit0
    same = np.abs(d0 - d1) <= 1.5
    face_kept = float(same[face_px].mean()) if face_px.any() else 0.0
    return {"face surface left": face_kept, "brain left": brain_kept}
