"""Tables and figures for the pixels chapter and its notebook (logic here, not in cells).

Why: the chapter shows each claim on the samples; the code that reads, masks and draws lives
here so that it is tested and the chapter's cells stay one line each.
"""

from __future__ import annotations

import copy
import warnings
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import pydicom
from matplotlib.patches import Rectangle
from pydicom import Dataset

from imgshare import samples
from imgshare.dicom.elements import identifying_values
from imgshare.dicom.text import Cleaner
from imgshare.pixels import clean, frames, ocr, settings, synth
from imgshare.pixels.triage import triage


def read(name: str) -> Dataset:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = pydicom.dcmread(samples.path(name))
        for _ in ds.iterall():  # values are checked when first read: do it while warnings are off
            pass
        return ds


def triage_table() -> list[dict]:
    """For each DICOM sample with pixels: would its pixels be read for text, and why."""
    rows = []
    for s in samples.manifest():
        if s.format != "DICOM":
            continue
        ds = pydicom.dcmread(s.path, stop_before_pixels=True, force=True)
        if "Rows" not in ds:
            continue
        t = triage(ds)
        rows.append(
            {
                "file": s.file,
                "modality": str(ds.get("Modality", "")),
                "Burned In Annotation": str(ds.get("BurnedInAnnotation", "(absent)")),
                "read for text": "yes" if t.may_have_text else "no",
                "reason": t.reason,
            }
        )
    return rows


def display(ds: Dataset, frame: int = 0) -> np.ndarray:
    """A frame as the OCR engine sees it (8-bit greyscale)."""
    return frames.for_ocr(frames.decode(ds).frames[frame], ds)


def draw_words(ax, image: np.ndarray, words: list[ocr.Word], title: str) -> None:
    """The image with a box round each word read: red if identifying, yellow if not."""
    ax.imshow(image, cmap="gray")
    for w in words:
        x, y, width, height = w.box
        colour = "red" if w.identifying else "gold"
        ax.add_patch(Rectangle((x, y), width, height, fill=False, edgecolor=colour, lw=1.2))
    ax.set_title(title, fontsize=9)
    ax.axis("off")


@dataclass
class Cleaned:
    """A sample before and after Clean Pixel Data, with what OCR reads in each."""

    before: Dataset
    after: Dataset
    report: clean.PixelReport
    words_before: list[ocr.Word]
    words_after: list[ocr.Word]


def clean_sample(
    name: str, policy: settings.Settings | None = None, read_before: bool = True
) -> Cleaned:
    """Clean a sample's pixels and read the output again (and the input, if not read)."""
    before = read(name)
    cleaner = Cleaner(identifying_values(before))
    after = copy.deepcopy(before)
    report = clean.clean_pixels(after, cleaner, policy or settings.Settings())
    words_before = report.found.get(0, [])
    if read_before and not words_before:
        words_before = clean.read_frames(frames.decode(before).frames[:1], before, cleaner)[0]
    words_after = ocr.classify(ocr.read_words(display(after)), cleaner)
    return Cleaned(before, after, report, words_before, words_after)


def before_after(result: Cleaned, title: str):
    """Side-by-side figure of a cleaned sample."""
    fig, axes = plt.subplots(1, 2, figsize=(6.3, 2.7))  # the PDF's text width: fonts stay legible
    n_id = sum(w.identifying for w in result.words_before)
    draw_words(
        axes[0], display(result.before), result.words_before, f"{title}: {n_id} identifying words"
    )
    left = sum(w.identifying for w in result.words_after)
    draw_words(axes[1], display(result.after), result.words_after, f"after: {left} identifying")
    fig.tight_layout()
    return fig


def detection_table(seeds: range = range(2), n: int = 10) -> list[dict]:
    """Synthetic images: each planted text, how it was drawn, and whether it was blanked."""
    rows = []
    for seed in seeds:
        img, planted = synth.draw(rgb=seed % 2 == 1, seed=seed, n=n)
        ds = synth.dataset([img])
        clean.clean_pixels(ds, Cleaner(identifying_values(ds)), settings.Settings())
        after = ds.pixel_array
        for p in planted:
            rows.append(
                {
                    "image": seed,
                    "text": p.text,
                    "font": p.font.removesuffix(".ttf"),
                    "size (px)": p.size,
                    "contrast": p.contrast,
                    "colour": "RGB" if seed % 2 else "grey",
                    "blanked": synth.covered(p, img, after) >= 0.95,
                }
            )
    return rows


def report_table(rep) -> list[dict]:
    """One row per file of a run report: status and reason or notes (no values)."""
    rows = []
    for f in rep.files:
        why = f.get("reason") or "; ".join(f.get("notes", [])) or "-"
        rows.append({"file": f["source"], "status": f["status"], "reason or notes": why})
    return rows


def detector_figure(rows: list[tuple[str, list]]):
    """Renders from each angle with the face detector's boxes, one row per volume.

    Drawn at the PDF's text width (6.3 in) with short titles, so labels stay legible in print.
    """
    ncols = len(rows[0][1])
    fig, axes = plt.subplots(len(rows), ncols, figsize=(6.3, 1.75 * len(rows) + 0.2))
    axes = np.atleast_2d(axes)
    for r, (label, views) in enumerate(rows):
        for c, view in enumerate(views):
            ax = axes[r, c]
            ax.imshow(view.image, cmap="gray")
            for x, y, w, h in view.faces:
                ax.add_patch(Rectangle((x, y), w, h, fill=False, edgecolor="red", lw=1.5))
            verdict = "face found" if view.faces else "no face"
            ax.set_title(f"yaw {view.yaw:+.0f}°, pitch {view.pitch:+.0f}°\n{verdict}",
                         fontsize=7.5)  # fmt: skip
            ax.set_xticks([])
            ax.set_yticks([])
            for spine in ax.spines.values():
                spine.set_visible(False)
        axes[r, 0].set_ylabel(label, fontsize=9)
    fig.tight_layout()
    return fig
