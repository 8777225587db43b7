"""Clean Pixel Data: find burned-in text, blank it, and write a valid image.

Why this order: the risk rules (:mod:`triage`) decide whether to look at all; the policy
(:mod:`settings`) decides what to do when text may be there; OCR reads every distinct
frame; the words, the configured device regions and, when asked, everything outside the
ultrasound regions are blanked with the value that shows as black; a second OCR pass checks
that no identifying text can still be read, and a file that fails the check is refused
rather than released. Burned In Annotation becomes NO only when all text was removed: every
word was masked (policy ``mask-text``) and the second reading finds no word at all; otherwise
the source's value stays (YES when identifying text had been read). Only counts go into the
report, never the text that was read.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from pydicom import Dataset

from imgshare.dicom.elements import identifying_values
from imgshare.dicom.errors import DeidError
from imgshare.dicom.text import Cleaner
from imgshare.pixels import frames as fr
from imgshare.pixels import ocr, regions
from imgshare.pixels.settings import Settings
from imgshare.pixels.triage import ENCAPSULATED, Triage, triage
from imgshare.reasons import from_exception

MAX_ROUNDS = 2


@dataclass
class PixelReport:
    """What Clean Pixel Data found and did, for one image (counts, no text)."""

    triage: Triage
    policy: str
    frames: int = 0
    frames_read: int = 0
    words: int = 0
    identifying: int = 0
    boxes: int = 0
    known_regions: int = 0
    us_blanked: bool = False
    cleaned: bool = False
    words_left: int | None = None  # words the last reading found (None: not read again)
    found: dict[int, list[ocr.Word]] = field(default_factory=dict)  # frame -> words
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        if not self.cleaned:
            return f"clean pixel data: not needed ({self.triage.reason})"
        return (
            f"clean pixel data ({self.policy}; {self.triage.reason}): {self.frames_read} of "
            f"{self.frames} frame(s) read, {self.words} word(s) found, {self.identifying} "
            f"identifying, {self.boxes} text box(es) and {self.known_regions} known "
            f"region(s) blanked"
            + (", outside ultrasound regions blanked" if self.us_blanked else "")
        )


#: How the output is read again after masking: at another scale, in another layout mode and
#: binarised by a local threshold, so that the check does not share the first reading's
#: blind spots (text of a size or contrast that one reading misses is often read by another).
CHECK_READINGS = ((3, "--psm 11"), (2, "--psm 4"), (2, "--psm 11" + ocr.BINARISED))


def read_frames(
    frames: np.ndarray,
    ds: Dataset,
    cleaner: Cleaner | None,
    only: set[int] | None = None,
    readings: tuple[tuple[int | None, str], ...] = ((None, ocr.CONFIG),),
) -> dict[int, list[ocr.Word]]:
    """OCR each distinct frame (identical frames of a cine are read once); with several
    ``readings`` (scale, Tesseract options), the words of all of them."""
    seen: dict[str, list[ocr.Word]] = {}
    out: dict[int, list[ocr.Word]] = {}
    for i, frame in enumerate(frames):
        if only is not None and i not in only:
            continue
        digest = hashlib.sha1(np.ascontiguousarray(frame).tobytes()).hexdigest()
        if digest not in seen:
            view = fr.for_ocr(frame, ds)
            words = [w for scale, config in readings for w in ocr.read_words(view, scale, config)]
            seen[digest] = ocr.classify(words, cleaner)
        out[i] = seen[digest]
    return out


def _pad(box: regions.Box) -> int:
    return max(3, box[3] // 3)


def _blank_words(frame: np.ndarray, words: list[ocr.Word], value: Any) -> int:
    for w in words:
        frame[regions.mask_of([w.box], frame.shape[:2], pad=_pad(w.box))] = value
    return len(words)


def clean_pixels(
    ds: Dataset, cleaner: Cleaner | None = None, settings: Settings | None = None
) -> PixelReport:
    """Clean the pixels of ``ds`` in place and say what was done.

    ``cleaner`` holds the file's own identifiers; by default they are taken from ``ds``
    (the engine passes the ones it gathered before it replaced them).
    """
    s = settings or Settings()
    t = triage(ds, s.ocr_all)
    report = PixelReport(t, s.burned_in)
    if str(ds.get("SOPClassUID", "")) in ENCAPSULATED and "EncapsulatedDocument" in ds:
        raise DeidError("encapsulated document: its pages cannot be checked for identifiers")
    if "PixelData" not in ds or (not t.may_have_text and not s.us_regions):
        return report
    if t.may_have_text and s.burned_in == "refuse":
        raise DeidError(f"burned-in text is possible ({t.reason}) and the policy is to refuse")
    known = regions.known_regions(ds)
    if t.may_have_text and s.burned_in == "known-regions" and not known:
        raise DeidError(f"burned-in text is possible ({t.reason}) and no known region fits")
    if cleaner is None:
        cleaner = Cleaner(identifying_values(ds))
    try:
        pixels = fr.decode(ds)
    except Exception as exc:  # a codec pydicom cannot run, or damaged data
        raise DeidError(f"pixel data cannot be decoded: {from_exception(exc, 150)}") from None
    frames = pixels.frames
    report.frames = len(frames)
    blank = fr.blank_value(ds, frames)
    shape = frames.shape[1:3]
    reading = t.may_have_text and s.burned_in in ("mask-text", "mask-identifying")
    found = read_frames(frames, ds, cleaner) if reading else {}
    if s.us_regions and (us := regions.ultrasound_regions(ds)):
        frames[:, regions.outside(us, shape)] = blank
        report.us_blanked = True
    if t.may_have_text:
        boxes = [box for _, box in known]
        if boxes:
            frames[:, regions.mask_of(boxes, shape)] = blank
            report.known_regions = len(boxes)
        if reading:
            _mask_and_verify(frames, ds, cleaner, s, report, blank, found)
    report.cleaned = True
    pixels.frames = frames
    report.notes.extend(fr.store(ds, pixels))
    if all_text_removed(report, s):
        ds.BurnedInAnnotation = "NO"
    else:
        if report.identifying:
            ds.BurnedInAnnotation = "YES"
        report.notes.append(
            "Burned In Annotation not set to NO: text may remain "
            f"({'policy ' + s.burned_in if s.burned_in != 'mask-text' else 'words still read'})"
        )
    report.notes.insert(0, report.summary())
    return report


def all_text_removed(report: PixelReport, s: Settings) -> bool:
    """Whether every word was masked and a second reading of every frame found none."""
    if not report.cleaned or s.burned_in != "mask-text" or not s.verify:
        return False
    return report.words == 0 or report.words_left == 0


def _mask_and_verify(
    frames: np.ndarray,
    ds: Dataset,
    cleaner: Cleaner,
    s: Settings,
    report: PixelReport,
    blank: Any,
    found: dict[int, list[ocr.Word]],
) -> None:
    report.found = found
    report.frames_read = len({id(v) for v in found.values()})
    report.words = sum(len(w) for w in found.values())
    report.identifying = sum(w.identifying for ws in found.values() for w in ws)
    todo = found
    for round_ in range(MAX_ROUNDS + 1):
        masked: set[int] = set()
        for i, words in todo.items():
            chosen = [w for w in words if w.identifying or s.burned_in == "mask-text"]
            if chosen:
                report.boxes += _blank_words(frames[i], chosen, blank)
                masked.add(i)
        if round_ == 0 and (report.known_regions or report.us_blanked):
            masked |= set(found)  # every frame changed: check them all
        if not s.verify or not masked:
            return
        todo = read_frames(frames, ds, cleaner, only=masked, readings=CHECK_READINGS)
        left = sum(w.identifying for ws in todo.values() for w in ws)
        report.words_left = sum(len(ws) for ws in todo.values())
        if left == 0 and (report.words_left == 0 or s.burned_in != "mask-text"):
            return
        if round_ == MAX_ROUNDS:
            if left == 0:
                return  # only non-identifying words are still read: the flag says so
            raise DeidError(f"identifying text still readable after {MAX_ROUNDS} masking rounds")


def remove_icons(ds: Dataset, depth: int = 0) -> int:
    """Remove Icon Image Sequences at every depth: thumbnails carry the same burned-in text
    in too few pixels to read reliably. Returns how many were removed."""
    count = 0
    if "IconImageSequence" in ds:
        del ds.IconImageSequence
        count += 1
    if depth < 32:
        for elem in ds:
            if elem.VR == "SQ":
                for item in elem.value:
                    count += remove_icons(item, depth + 1)
    return count


def hook(ds: Dataset, ctx: Any) -> list[str]:
    """The engine's Clean Pixel Data hook."""
    try:
        report = clean_pixels(ds, ctx.cleaner, ctx.config.pixels)
    except ocr.OcrUnavailable as exc:
        raise DeidError(str(exc)) from None
    icons = remove_icons(ds)
    if icons:
        report.notes.append(f"{icons} icon image sequence(s) removed")
    return report.notes
