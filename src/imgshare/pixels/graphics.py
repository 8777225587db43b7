"""Clean Graphics: overlay planes, embedded overlays, curves, annotations and icons.

Why: an overlay plane (groups 60xx) is a one-bit picture drawn over the image by the viewer;
it can hold text (a name, a date) as easily as a region outline. Old files also hide overlays
in the unused high bits of each pixel. Graphic annotations in presentation states hold text
objects, and icon images are small copies of the image with its burned-in text. The Clean
Graphics option of PS3.15 asks that such graphics be kept only when they are free of
identifiers. Here: overlay bitmaps are read with OCR and the words blanked (outlines stay);
overlay labels and comments are cleaned as text; bits above High Bit are cleared; curves
(retired since 2004, and not checkable here) and icon images are removed.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pydicom import Dataset

from imgshare.dicom.engine import DeidError
from imgshare.dicom.text import Cleaner
from imgshare.pixels import frames as fr
from imgshare.pixels import ocr, regions
from imgshare.pixels.clean import remove_icons

OVERLAY_TEXT = (0x0022, 0x1500, 0x4000)  # Overlay Description, Overlay Label, Comments


def overlay_groups(ds: Dataset) -> list[int]:
    """The 60xx groups that hold Overlay Data."""
    tags = list(ds.keys())
    return sorted({t >> 16 for t in tags if (t >> 16) & 0xFF00 == 0x6000 and t & 0xFFFF == 0x3000})


def overlay_bitmap(ds: Dataset, group: int) -> np.ndarray:
    """Overlay ``group``'s first frame as a boolean array (bits packed little-endian)."""
    rows, cols = int(ds[group << 16 | 0x0010].value), int(ds[group << 16 | 0x0011].value)
    data = np.frombuffer(ds[group << 16 | 0x3000].value, dtype=np.uint8)
    bits = np.unpackbits(data, bitorder="little")[: rows * cols]
    return bits.reshape(rows, cols).astype(bool)


def _store_bitmap(ds: Dataset, group: int, bitmap: np.ndarray) -> None:
    packed = np.packbits(bitmap.ravel().astype(np.uint8), bitorder="little").tobytes()
    old = ds[group << 16 | 0x3000].value
    packed = packed + old[len(packed) :]  # further frames of a multi-frame overlay kept
    if len(packed) % 2:
        packed += b"\x00"
    ds[group << 16 | 0x3000].value = packed


def clean_overlay(ds: Dataset, group: int, cleaner: Cleaner | None) -> int:
    """Blank the words OCR reads in an overlay plane; returns how many."""
    bitmap = overlay_bitmap(ds, group)
    if not bitmap.any():
        return 0
    if not ocr.available():
        raise DeidError("overlay planes cannot be checked: Tesseract OCR is not installed")
    words = ocr.read_words(np.where(bitmap, 0, 255).astype(np.uint8))
    if not words:
        return 0
    bitmap[regions.mask_of([w.box for w in words], bitmap.shape, pad=2)] = False
    _store_bitmap(ds, group, bitmap)
    return len(words)


def clean_graphics(ds: Dataset, cleaner: Cleaner | None) -> list[str]:
    """Apply Clean Graphics to ``ds`` in place; returns report notes (counts only)."""
    notes: list[str] = []
    for group in overlay_groups(ds):
        n = clean_overlay(ds, group, cleaner)
        for element in OVERLAY_TEXT:
            tag = group << 16 | element
            if tag in ds and ds[tag].value:
                cleaned = cleaner.clean(str(ds[tag].value)) if cleaner else None
                ds[tag].value = cleaned or ""
        notes.append(f"overlay {group:04X}: {n} word(s) blanked, labels cleaned")
    tags = list(ds.keys())
    curves = [t for t in tags if (t >> 16) & 0xFF00 == 0x5000]
    for tag in curves:
        del ds[tag]
    if curves:
        notes.append(f"{len(curves)} curve attribute(s) removed (retired, not checkable)")
    if fr.clear_unused_bits(ds):
        notes.append("bits above High Bit cleared (embedded overlay)")
    icons = remove_icons(ds)
    if icons:
        notes.append(f"{icons} icon image sequence(s) removed")
    texts = sum(
        len(item.get("TextObjectSequence", []) or [])
        for item in ds.get("GraphicAnnotationSequence", []) or []
    )
    if texts:
        notes.append(f"{texts} text object(s) in graphic annotations cleaned as text")
    return notes


def hook(ds: Dataset, ctx: Any) -> list[str]:
    """The engine's Clean Graphics hook."""
    return clean_graphics(ds, ctx.cleaner)
