"""Reading burned-in text with Tesseract, and deciding which of it identifies.

Why Tesseract: it is a mature open-source OCR engine packaged by Debian (``tesseract-ocr``)
and reachable from Python through ``pytesseract``; nothing is fetched at run time. It reads
printed text in the fonts scanners use well, and misses some (tiny, low-contrast, rotated or
stylised text): the chapter measures how often.

Text is read in sparse mode (page segmentation mode 11: find as much text as possible in no
particular order), which suits scattered annotations better than the page layout mode. Small
images are enlarged first, since Tesseract reads characters best at 20-30 pixels high.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass

import numpy as np

from imgshare.dicom.text import PATTERNS, SUSPICIOUS, Cleaner

# Tesseract's own threads slow it down on small machines; one per process is faster.
os.environ.setdefault("OMP_THREAD_LIMIT", "1")

MIN_CONFIDENCE = 30.0  # Tesseract's word confidence (0-100) below which a word is noise
CONFIG = "--psm 11"


class OcrUnavailable(RuntimeError):
    """Tesseract or pytesseract is not installed."""


@dataclass(frozen=True)
class Word:
    """A word read in an image, with its box in image pixels (x, y, width, height)."""

    text: str
    confidence: float
    box: tuple[int, int, int, int]
    identifying: bool = False


def available() -> bool:
    """Whether the OCR engine can run here."""
    try:
        import pytesseract  # noqa: F401
    except ImportError:
        return False
    return shutil.which("tesseract") is not None


#: Tesseract options that mark a binarised reading (see :func:`read_words`).
BINARISED = " imgshare-binarise"


def binarise(image: np.ndarray) -> np.ndarray:
    """Dark text on white from bright text, by a local threshold (a 35-pixel neighbourhood):
    text dimmer than the anatomy beside it stands out against its own surroundings."""
    from skimage.filters import threshold_local

    ink = image > threshold_local(image, 35, offset=-10)
    return np.where(ink, 0, 255).astype(np.uint8)


def read_words(image: np.ndarray, scale: int | None = None, config: str = CONFIG) -> list[Word]:
    """The words Tesseract reads in an 8-bit greyscale image (``config``: its options; with
    :data:`BINARISED` appended, the image is binarised first and only words of two or more
    letters or digits count, since a binarised texture yields single-letter noise)."""
    if not available():
        raise OcrUnavailable("Tesseract OCR is not installed (Debian: tesseract-ocr)")
    import pytesseract
    from PIL import Image

    if scale is None:
        scale = 2 if max(image.shape[:2]) < 800 else 1
    binarised = config.endswith(BINARISED)
    if binarised:
        image, config = binarise(image), config.removesuffix(BINARISED)
    pil = Image.fromarray(image)
    if scale != 1:
        pil = pil.resize((pil.width * scale, pil.height * scale), Image.Resampling.BICUBIC)
    data = pytesseract.image_to_data(pil, config=config, output_type=pytesseract.Output.DICT)
    words = []
    for text, conf, x, y, w, h in zip(
        data["text"],
        data["conf"],
        data["left"],
        data["top"],
        data["width"],
        data["height"],
        strict=True,
    ):
        text = str(text).strip()
        if not text or float(conf) < MIN_CONFIDENCE or not any(c.isalnum() for c in text):
            continue
        if binarised and sum(c.isalnum() for c in text) < 2:
            continue
        box = (x // scale, y // scale, -(-w // scale), -(-h // scale))
        words.append(Word(text, float(conf), box))
    return words


def is_identifying(text: str, cleaner: Cleaner | None) -> bool:
    """Whether a piece of read text holds one of the file's identifiers or an identifying
    pattern (a date, a long number, a phone number, a title followed by a name)."""
    if cleaner is not None:
        cleaned = cleaner.clean(text)
        if cleaned is None or cleaned != text:
            return True
    return any(p.search(text) for p in PATTERNS) or SUSPICIOUS.search(text) is not None


def rows_of(words: list[Word]) -> list[list[Word]]:
    """Group words into visual lines: overlapping vertically and close horizontally."""
    bands: list[list[Word]] = []
    for word in sorted(words, key=lambda w: w.box[1] + w.box[3] / 2):
        y, h = word.box[1], word.box[3]
        for band in bands:
            top = min(b.box[1] for b in band)
            bottom = max(b.box[1] + b.box[3] for b in band)
            if min(y + h, bottom) - max(y, top) > 0.5 * min(h, bottom - top):
                band.append(word)
                break
        else:
            bands.append([word])
    rows: list[list[Word]] = []
    for band in bands:
        band.sort(key=lambda w: w.box[0])
        row = [band[0]]
        for word in band[1:]:
            last = row[-1]
            if word.box[0] - (last.box[0] + last.box[2]) > 3 * max(word.box[3], last.box[3]):
                rows.append(row)
                row = []
            row.append(word)
        rows.append(row)
    return rows


def classify(words: list[Word], cleaner: Cleaner | None) -> list[Word]:
    """Mark each word identifying if it, or the line it stands in, holds an identifier.

    Whole lines count because OCR splits and garbles names ('PATIENTFI\\..'): a garbled
    neighbour of a matched identifier is taken to be part of it.
    """
    out: list[Word] = []
    for row in rows_of(words):
        line = " ".join(w.text for w in row)
        hit = is_identifying(line, cleaner) or any(is_identifying(w.text, cleaner) for w in row)
        out.extend(Word(w.text, w.confidence, w.box, hit) for w in row)
    return out
