"""Clean Graphics: overlay planes, embedded overlays, curves, annotations and icons.

Why: an overlay plane (groups 60xx) is a one-bit picture drawn over the image by the viewer;
it can hold text (a name, a date) as easily as a region outline. Old files also hide overlays
in the unused high bits of each pixel. Graphic annotations in presentation states hold text
objects, and icon images are small copies of the image with its burned-in text. The Clean
Graphics option of PS3.15 asks that such graphics be kept only when they are free of
identifiers. Here an overlay is kept only when its content is shown to be free of text: OCR
at several scales and two page-segmentation modes reads nothing in it, and its bitmap has no
row of glyph-sized shapes (text that OCR cannot read, such as a name drawn 8 pixels high in a
64 x 64 overlay, still forms such a row). Otherwise the whole overlay is blanked (every bit
of every frame set to 0, its label and description emptied; the attributes that describe it
stay, as Table E.1-1's C action and the image's module expect), as it is when OCR is not
installed or the overlay has several frames. Blanking only the words OCR found would keep
the words it missed. Overlay labels and comments of kept overlays are
cleaned as text; bits above High Bit are cleared; curves (retired since 2004, and not
checkable here) and icon images are removed.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pydicom import Dataset

from imgshare.dicom.text import Cleaner
from imgshare.pixels import frames as fr
from imgshare.pixels import ocr
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


#: Scales and page-segmentation modes at which an overlay is read: small overlays are
#: enlarged so that glyphs reach the 20-30 pixels Tesseract reads best; sparse text (11)
#: and a single uniform block (6) find different things.
OCR_SCALES = (2, 4, 8)
OCR_MODES = ("--psm 11", "--psm 6")


def text_like_rows(bitmap: np.ndarray) -> int:
    """How many rows of three or more glyph-sized shapes the bitmap holds.

    A glyph: a connected shape 3 to 64 pixels high, no wider than three times its height.
    A row: shapes of similar height whose centres lie on one line, each within two heights of
    the next. Outlines, arrows and dashed lines do not form such rows; written words do.
    """
    from skimage.measure import label, regionprops

    glyphs = []
    for region in regionprops(label(bitmap, connectivity=2)):
        top, left, bottom, right = region.bbox
        h, w = bottom - top, right - left
        if 3 <= h <= 64 and w <= 3 * h and region.area >= 3:
            glyphs.append((top + h / 2, left, right, h))
    glyphs.sort(key=lambda g: (round(g[0] / 4), g[1]))
    rows, used = 0, set()
    for i, (cy, _, right, h) in enumerate(glyphs):
        if i in used:
            continue
        chain, end = [i], right
        for j in range(i + 1, len(glyphs)):
            cy2, left2, right2, h2 = glyphs[j]
            same_line = abs(cy2 - cy) <= 0.4 * max(h, h2) and 0.5 <= h2 / h <= 2
            if j not in used and same_line and left2 - end <= 2 * max(h, h2):
                chain.append(j)
                end = max(end, right2)
        if len(chain) >= 3:
            rows += 1
            used.update(chain)
    return rows


def overlay_words(bitmap: np.ndarray) -> int:
    """Words OCR reads in an overlay at any of the scales and modes (black text on white)."""
    image = np.where(bitmap, 0, 255).astype(np.uint8)
    image = np.pad(image, 8, constant_values=255)  # Tesseract misses text touching the edge
    found = 0
    for scale in OCR_SCALES:
        for mode in OCR_MODES:
            words = ocr.read_words(image, scale=scale, config=mode)
            # two or more letters or digits: a circle read as 'O' is not text
            found = max(found, sum(sum(c.isalnum() for c in w.text) >= 2 for w in words))
            if found:
                return found
    return found


def overlay_verdict(ds: Dataset, group: int) -> tuple[bool, str]:
    """Whether overlay ``group`` may be kept, and why (for the report, no text)."""
    frames = int(ds.get(group << 16 | 0x0015).value or 1) if group << 16 | 0x0015 in ds else 1
    if frames > 1:
        return False, f"{frames} overlay frames, not checked one by one"
    bitmap = overlay_bitmap(ds, group)
    if not bitmap.any():
        return True, "empty"
    rows = text_like_rows(bitmap)
    if rows:
        return False, f"{rows} row(s) of text-like shapes"
    if not ocr.available():
        return False, "OCR is not installed, so it cannot be shown to be free of text"
    words = overlay_words(bitmap)
    if words:
        return False, f"OCR read {words} word(s)"
    return True, "no text read at any scale and no text-like shapes"


def blank_overlay(ds: Dataset, group: int) -> None:
    """Every bit of the overlay's data (all frames) to 0, its text attributes emptied."""
    data = ds[group << 16 | 0x3000]
    data.value = bytes(len(data.value))
    for element in OVERLAY_TEXT:
        if group << 16 | element in ds:
            ds[group << 16 | element].value = ""


def clean_graphics(ds: Dataset, cleaner: Cleaner | None) -> list[str]:
    """Apply Clean Graphics to ``ds`` in place; returns report notes (counts only)."""
    notes: list[str] = []
    for group in overlay_groups(ds):
        keep, why = overlay_verdict(ds, group)
        if not keep:
            blank_overlay(ds, group)
            notes.append(f"overlay {group:04X} blanked: {why}")
            continue
        for element in OVERLAY_TEXT:
            tag = group << 16 | element
            if tag in ds and ds[tag].value:
                cleaned = cleaner.clean(str(ds[tag].value)) if cleaner else None
                ds[tag].value = cleaned or ""
        notes.append(f"overlay {group:04X} kept: {why}; labels cleaned")
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
