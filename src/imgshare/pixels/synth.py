"""Synthetic images with identifying text drawn at known places, to measure detection.

Why synthetic: a detection rate needs ground truth (which text, where), and real images with
burned-in identifiers cannot be shared. Text is drawn with the fonts Debian installs
(``fonts-dejavu-core``) and Pillow's built-in font, at several sizes, contrasts and colours,
over a noisy 'anatomy' background, into a Secondary Capture whose header holds the same
identifiers (from :func:`imgshare.testing.ct`).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from pydicom import Dataset
from pydicom.uid import ExplicitVRLittleEndian, SecondaryCaptureImageStorage

from imgshare.testing import ct

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONTS = ["DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSerif.ttf", "DejaVuSansMono.ttf"]
#: Identifying strings, all present in the synthetic header (name, ID, birth date, accession).
TEXTS = ["DOE JANE", "PAT-001", "DOB 29/08/1951", "ACC20200315", "Doe, Jane Q", "MRN-778899"]
SIZES = [11, 14, 18, 24]
CONTRASTS = [1.0, 0.6, 0.35]  # text brightness as a share of full scale, on a dark field
COLOURS = [(255, 255, 255), (255, 255, 0), (0, 255, 255), (0, 255, 0), (255, 80, 80)]


@dataclass(frozen=True)
class Planted:
    """One piece of text drawn into the image: where, and how."""

    text: str
    box: tuple[int, int, int, int]  # x, y, width, height of its ink
    font: str
    size: int
    contrast: float
    colour: tuple[int, int, int]


def font(name: str, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """A font by file name, or 'pil-default' for Pillow's own font."""
    if name == "pil-default":
        return ImageFont.load_default(size)
    return ImageFont.truetype(str(FONT_DIR / name), size)


def fonts_available() -> list[str]:
    return [f for f in FONTS if (FONT_DIR / f).is_file()] + ["pil-default"]


def background(rows: int, cols: int, seed: int) -> np.ndarray:
    """A dark field with a bright noisy disc, like a scan in the middle of a screen."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[:rows, :cols]
    disc = ((y - rows / 2) ** 2 + (x - cols / 2) ** 2) < (min(rows, cols) * 0.3) ** 2
    img = rng.normal(20, 6, (rows, cols)) + disc * rng.normal(90, 25, (rows, cols))
    return np.clip(img, 0, 255)


def draw(
    rows: int = 512,
    cols: int = 512,
    rgb: bool = False,
    seed: int = 0,
    n: int = 8,
    fonts: list[str] | None = None,
) -> tuple[np.ndarray, list[Planted]]:
    """An image with ``n`` identifying texts along the top and bottom margins."""
    rng = np.random.default_rng(seed)
    base = background(rows, cols, seed)
    img = Image.fromarray(np.stack([base] * 3, axis=-1).astype(np.uint8))
    pen = ImageDraw.Draw(img)
    combos = list(itertools.product(fonts or fonts_available(), SIZES, CONTRASTS))
    planted: list[Planted] = []
    x, y = 6, 6
    bottom = False
    for i in range(n):
        name, size, contrast = combos[int(rng.integers(len(combos)))]
        text = TEXTS[i % len(TEXTS)]
        colour = COLOURS[i % len(COLOURS)] if rgb else (255, 255, 255)
        fill = tuple(int(c * contrast + 20 * (1 - contrast)) for c in colour)
        f = font(name, size)
        left, top, right, low = pen.textbbox((x, y), text, font=f)
        if right > cols - 6:  # next line
            x, y = 6, low + 10
            left, top, right, low = pen.textbbox((x, y), text, font=f)
        if not bottom and low > rows * 0.18:
            x, y, bottom = 6, int(rows * 0.82), True
            left, top, right, low = pen.textbbox((x, y), text, font=f)
        if low > rows - 2:
            break
        pen.text((x, y), text, font=f, fill=fill)
        planted.append(
            Planted(text, (left, top, right - left, low - top), name, size, contrast, colour)
        )
        x = right + 3 * size
    arr = np.asarray(img)
    return (arr if rgb else arr[..., 0].copy()), planted


def dataset(frames: list[np.ndarray]) -> Dataset:
    """A Secondary Capture with the synthetic identifiers in its header and these frames."""
    ds = ct()
    ds.SOPClassUID = SecondaryCaptureImageStorage
    ds.Modality = "OT"
    ds.BurnedInAnnotation = "YES"
    ds.ConversionType = "WSD"
    arr = np.stack(frames) if len(frames) > 1 else frames[0]
    photometric = "RGB" if frames[0].ndim == 3 else "MONOCHROME2"
    ds.file_meta = ds.file_meta if hasattr(ds, "file_meta") else None
    from pydicom.dataset import FileMetaDataset

    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    for kw in ("RescaleIntercept", "RescaleSlope", "WindowCenter", "WindowWidth"):
        if kw in ds:
            delattr(ds, kw)
    ds.set_pixel_data(arr.astype(np.uint8), photometric, 8, generate_instance_uid=False)
    return ds


def covered(planted: Planted, before: np.ndarray, after: np.ndarray) -> float:
    """The share of a planted text's ink pixels that were blanked."""
    x, y, w, h = planted.box
    b = before[y : y + h, x : x + w]
    a = after[y : y + h, x : x + w]
    if b.ndim == 3:
        b, a = b.max(axis=2), a.max(axis=2)
    ink = b.astype(float) > (b.min() + 0.5 * (float(b.max()) - b.min()))
    if not ink.any():
        return 1.0
    return float((a[ink] <= a.min() + 1).mean())
