"""Faces in NIfTI, Analyze and MGH volumes: the gate and the defacing of a whole volume.

Why here: a full-head volume carries the face, and a NIfTI file has no Body Part Examined to
say it is a head. A volume is taken to be able to show a face when it spans at least
:data:`imgshare.pixels.faces.MIN_EXTENT_MM` in each of its three spatial directions (a head
is 150-250 mm across; a slab of functional slices or a cropped volume is not). Without
``--option clean-recognizable-visual-features`` such a volume is held back by the release
gate. With it, the volume is defaced with :mod:`imgshare.pixels.deface` (registration of a
template's face mask) and only the face's voxels change: they take the raw value of the
volume's background (its lowest stored value); every other voxel byte, the header and the
geometry stay as they were. A 4D series is masked in every volume with the mask found on
the first.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from imgshare.dicom.config import Config
from imgshare.dicom.errors import DeidError
from imgshare.gate import FACE_OPTION, check


def _load(path: Path):
    import nibabel as nib

    try:
        return nib.load(str(path))
    except Exception as exc:  # the header path already parsed it; this is a second reader
        raise DeidError(f"volume cannot be read for the face check: {type(exc).__name__}") from None


def face_possible(img) -> tuple[bool, str]:
    """Whether a nibabel image spans enough in every direction to hold a face, and why."""
    from imgshare.pixels.faces import MIN_EXTENT_MM

    shape, zooms = img.shape, img.header.get_zooms()
    if len(shape) < 3 or min(shape[:3]) < 2:
        return False, "not a volume"
    extent = [float(n) * float(z) for n, z in zip(shape[:3], zooms[:3], strict=True)]
    if min(extent) < MIN_EXTENT_MM:
        return False, f"spans {min(extent):.0f} mm in one direction: no face can be rendered"
    return True, ("volume of " + " x ".join(f"{e:.0f}" for e in extent)
                  + " mm: a face can be rendered from it")  # fmt: skip


def to_sitk(volume: np.ndarray, affine: np.ndarray):
    """A 3D array (x, y, z as nibabel gives it) as a SimpleITK image in LPS coordinates."""
    import SimpleITK as sitk

    lps = np.diag([-1.0, -1.0, 1.0, 1.0]) @ affine
    spacing = np.linalg.norm(lps[:3, :3], axis=0)
    image = sitk.GetImageFromArray(np.ascontiguousarray(volume.T, dtype=np.float32))
    image.SetSpacing(tuple(float(s) for s in spacing))
    image.SetDirection(tuple((lps[:3, :3] / spacing).ravel()))
    image.SetOrigin(tuple(float(v) for v in lps[:3, 3]))
    return image


def treat(path: Path, voxels: bytes, cfg: Config) -> tuple[bytes, list[str]]:
    """The gate and, under the option, the defacing, for the voxel bytes of ``path``.

    ``path`` is the file nibabel reads (the ``.hdr`` of a pair); ``voxels`` the raw voxel
    bytes in the file's own layout and byte order. Returns the bytes to release and notes."""
    img = _load(path)
    possible, why = face_possible(img)
    if not possible:
        return voxels, []
    if not cfg.has(FACE_OPTION):
        return voxels, check([(FACE_OPTION, f"face ({why})")], cfg)
    from imgshare.pixels import deface

    if img.__class__.__name__.startswith("MGH"):
        raise DeidError("MGH volume of a head: defacing MGH files is not supported; held back")
    import SimpleITK as sitk

    dtype, shape = img.get_data_dtype(), img.shape
    n = int(np.prod(shape)) * dtype.itemsize
    if len(voxels) < n:
        raise DeidError("voxel data shorter than the header says: cannot deface")
    raw = np.frombuffer(voxels[:n], dtype=dtype).reshape(shape, order="F").copy()
    first = np.asarray(img.dataobj[(...,) + (0,) * (len(shape) - 3)], dtype=np.float32)
    subject = to_sitk(first, img.affine)
    start = time.perf_counter()
    face, _ = deface.face_mask(subject)
    mask = sitk.GetArrayFromImage(face).T > 0  # back to x, y, z
    seconds = time.perf_counter() - start
    extra = (1,) * (raw.ndim - 3)
    raw[np.broadcast_to(mask.reshape(mask.shape + extra), raw.shape)] = raw.min()
    out = raw.astype(dtype).tobytes(order="F") + voxels[n:]
    share = mask.mean()
    return out, [f"face removed: {int(mask.sum())} voxels ({share:.1%} of the volume) set to "
                 f"the background in {seconds:.1f} s ({why})"]  # fmt: skip
