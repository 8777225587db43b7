"""Helpers for the pixel tests: the Tesseract requirement and a second, different OCR reader.

Why a second reader: the cleaner reads with Tesseract in sparse mode (page segmentation 11)
at twice the size and judges words with the file's own identifiers. A test that judged the
output with the same reading would share its blind spots. The second reader here differs in
every step it can: the image is binarised with Otsu's threshold (scikit-image), enlarged
three times with nearest-neighbour sampling, and read as one uniform block of text (page
segmentation 6) and as a single line (7), with no confidence cut-off; and what it reads is
compared with the text the generator drew, at the place the generator drew it, by character
similarity, not with the cleaner's identifier lists.
"""

from __future__ import annotations

import difflib
import re

import numpy as np
import pytest

from imgshare.pixels import ocr


def needs_tesseract(test):
    """Mark a test that runs Tesseract (marker ``needs_tesseract``) and give it the
    ``tesseract`` fixture, which skips with a reason that the suite's skip policy turns into
    a failure under `make test` (the set-up installs Tesseract)."""
    return pytest.mark.needs_tesseract(pytest.mark.usefixtures("tesseract")(test))


@pytest.fixture
def tesseract() -> None:
    if not ocr.available():
        pytest.skip("needs_tesseract: Tesseract OCR is not installed (Debian: tesseract-ocr)")


def second_reading(image: np.ndarray) -> str:
    """Everything the second reader reads in an 8-bit greyscale image, as one string."""
    import pytesseract
    from PIL import Image
    from skimage.filters import threshold_otsu

    if image.ndim == 3:
        image = image.max(axis=2)
    image = image.astype(np.uint8)
    if image.max() == image.min():
        return ""
    ink = image > threshold_otsu(image)  # text is bright on a dark field
    page = np.where(ink, 0, 255).astype(np.uint8)
    page = np.pad(page, 10, constant_values=255).repeat(3, axis=0).repeat(3, axis=1)
    texts = [pytesseract.image_to_string(Image.fromarray(page), config=f"--psm {mode}")
             for mode in (6, 7)]  # fmt: skip
    return " ".join(texts)


def _norm(text: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", text.upper())


def similarity(read: str, planted: str) -> float:
    """The longest stretch of the planted text found in what was read, as a share of it."""
    a, b = _norm(read), _norm(planted)
    if not a or not b:
        return 0.0
    match = difflib.SequenceMatcher(None, a, b).find_longest_match(0, len(a), 0, len(b))
    return match.size / len(b)


def crop(image: np.ndarray, box: tuple[int, int, int, int], pad: int = 6) -> np.ndarray:
    x, y, w, h = box
    return image[max(y - pad, 0) : y + h + pad, max(x - pad, 0) : x + w + pad]
