"""A lit frontal view of a head's skin surface, to show what a face reveals.

Why a depth map: the face is the first surface a ray from the front meets. Resampling the
volume onto an axis-aligned grid and recording, for each point of the frontal plane, how
deep the first voxel brighter than the head threshold lies gives a depth map; shading it by
its slope under a light from the front gives a picture that reads as a face, in a second,
without 3D graphics.
"""

from __future__ import annotations

import numpy as np


def canonical(img, spacing: float = 1.0, like=None):
    """``img`` on an axis-aligned LPS grid (index x to the left, y to the back, z up)."""
    import SimpleITK as sitk

    if like is not None:
        return sitk.Resample(img, like, sitk.Transform(), sitk.sitkLinear, 0.0)
    corners = [
        img.TransformIndexToPhysicalPoint(
            [i * (s - 1) for i, s in zip(c, img.GetSize(), strict=True)]
        )
        for c in np.ndindex(2, 2, 2)
    ]
    lo, hi = np.min(corners, axis=0), np.max(corners, axis=0)
    size = [int(np.ceil((h - lo_) / spacing)) + 1 for lo_, h in zip(lo, hi, strict=True)]
    ref = sitk.Image(size, sitk.sitkFloat32)
    ref.SetOrigin(tuple(lo))
    ref.SetSpacing((spacing,) * 3)
    interp = sitk.sitkNearestNeighbor if img.GetPixelID() == sitk.sitkUInt8 else sitk.sitkLinear
    return sitk.Resample(sitk.Cast(img, sitk.sitkFloat32), ref, sitk.Transform(), interp, 0.0)


def depth_map(img, threshold: float, region=None, spacing: float = 1.0):
    """Depth (voxels from the front) of the first voxel above ``threshold`` per (z, x), with
    the hits; ``region`` (a mask) keeps only hits inside it. Rows run from the top of the
    head down; columns from the patient's right to left (a viewer facing the patient)."""
    import SimpleITK as sitk

    grid = canonical(img, spacing)
    arr = sitk.GetArrayFromImage(grid)[::-1]  # z from top down, y front to back, x R to L
    inside = arr > threshold
    hit = inside.any(axis=1)
    depth = np.where(hit, inside.argmax(axis=1), arr.shape[1]).astype(float)
    if region is not None:
        reg = sitk.GetArrayFromImage(canonical(region, spacing, like=grid))[::-1] > 0.5
        zi, xi = np.nonzero(hit)
        in_region = np.zeros_like(hit)
        in_region[zi, xi] = reg[zi, depth[zi, xi].astype(int), xi]
        hit = in_region
    return depth, hit


def shade(depth: np.ndarray, light=(-0.4, -0.5, 0.77)) -> np.ndarray:
    """Lambertian shading of a depth map (0 dark .. 1 lit); background black."""
    from skimage.filters import gaussian

    background = depth >= depth.max()
    depth = gaussian(depth, sigma=1.2, preserve_range=True)  # voxel steps would show as bands
    dz, dx = np.gradient(-depth)
    normal = np.stack([-dx, -dz, np.ones_like(depth)], axis=-1)
    normal /= np.linalg.norm(normal, axis=-1, keepdims=True)
    lit = np.clip(normal @ np.asarray(light) / np.linalg.norm(light), 0, 1)
    lit[background] = 0
    return lit


def face_view(img, threshold: float, spacing: float = 1.0) -> np.ndarray:
    """The lit frontal view of a volume's skin surface."""
    depth, _ = depth_map(img, threshold, spacing=spacing)
    return shade(depth)
