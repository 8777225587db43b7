"""An independent check that a face is gone: a face detector on surface renders.

Why a detector the defacer does not use: the defacing (:mod:`imgshare.pixels.deface`) is
judged by something that shares none of its steps. Here the head's skin surface is rendered
from several angles (:mod:`imgshare.pixels.render`, a depth map lit from the front) and
OpenCV's Haar cascade face detectors (Viola and Jones's method, with the frontal and profile
cascades that ship inside ``opencv-python-headless``) look for a face in each render. A face
found in any render means a face may still be recognisable. The detector misses faces too
(the renders are grey surfaces, not photographs), so it is a check, not a proof: the tests
also measure the face tissue that changed against a region known from the generator.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: (yaw, pitch) in degrees: straight on, turned left and right, from slightly above/below.
ANGLES = ((0.0, 0.0), (-20.0, 0.0), (20.0, 0.0), (0.0, -15.0), (0.0, 15.0))
CASCADES = ("haarcascade_frontalface_default.xml", "haarcascade_frontalface_alt2.xml",
            "haarcascade_profileface.xml")  # fmt: skip
#: Overlapping detections a face needs (OpenCV's minNeighbors). Measured on the moved head
#: of :mod:`imgshare.pixels.movedhead`: at 6, every cascade finds the intact face in every
#: one of the five renders; at 3 to 5 the alt2 cascade also fires on the flat cut surface
#: that defacing leaves, which is not a face.
NEIGHBOURS = 6


@dataclass(frozen=True)
class View:
    """One render and what the detector found in it."""

    yaw: float
    pitch: float
    image: np.ndarray  # 8-bit lit surface
    faces: tuple[tuple[int, int, int, int], ...]  # x, y, width, height


def _cascades():
    import cv2

    return [cv2.CascadeClassifier(cv2.data.haarcascades + name) for name in CASCADES]


def render(img, threshold: float, yaw: float, pitch: float) -> np.ndarray:
    """The lit surface of ``img`` turned by ``yaw`` (about the vertical axis) and ``pitch``
    (about the left-right axis), about the centre of the head."""
    import SimpleITK as sitk

    from imgshare.pixels.render import face_view

    arr = sitk.GetArrayFromImage(img)
    centre_index = np.argwhere(arr > threshold).mean(axis=0)[::-1]
    centre = img.TransformContinuousIndexToPhysicalPoint([float(c) for c in centre_index])
    turn = sitk.Euler3DTransform(centre, np.deg2rad(pitch), 0.0, np.deg2rad(yaw))
    turned = sitk.Resample(img, img, turn, sitk.sitkLinear, 0.0)
    return (face_view(turned, threshold) * 255).astype(np.uint8)


def detect(image: np.ndarray) -> tuple[tuple[int, int, int, int], ...]:
    """Faces found by any cascade (and the profile cascade on the mirror image)."""
    found = []
    side = min(image.shape) // 5
    for i, cascade in enumerate(_cascades()):
        for mirrored in (False, True) if i == 2 else (False,):
            view = image[:, ::-1] if mirrored else image
            for x, y, w, h in cascade.detectMultiScale(
                view, 1.05, NEIGHBOURS, minSize=(side, side)
            ):
                x = image.shape[1] - x - w if mirrored else x
                found.append((int(x), int(y), int(w), int(h)))
    return tuple(found)


def check(img, threshold: float, angles=ANGLES) -> list[View]:
    """Render ``img`` from each angle and look for faces."""
    views = []
    for yaw, pitch in angles:
        image = render(img, threshold, yaw, pitch)
        views.append(View(yaw, pitch, image, detect(image)))
    return views


def faces_found(views: list[View]) -> int:
    """In how many renders a face was found."""
    return sum(bool(v.faces) for v in views)
