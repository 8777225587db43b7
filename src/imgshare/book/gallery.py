"""A grid of the DICOM samples, one panel per modality, for the modalities chapter.

Why: readers who know tabular data and not imaging should see what each modality looks
like before reading about its risks. Each panel is drawn from a sample file listed in
``MANIFEST.csv`` (image panels through ``describe.picture``); objects without pixels (an ECG,
a structure set, a structured report, a plan) are drawn from what they do hold, and the
synthetic samples say so in their titles.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from imgshare import samples
from imgshare.book import describe
from imgshare.book.display import PAGE_WIDTH_IN

#: One sample per modality, in the order the chapter discusses them.
GRID = [
    "dicom/RG3_J2KI.dcm",
    "synthetic/mg_synthetic.dcm",
    "dicom/CT_small.dcm",
    "dicom/MR_small.dcm",
    "synthetic/pt_synthetic.dcm",
    "dicom/JPEG2000_UNC.dcm",
    "dicom/us_greyscale_burned_in.dcm",
    "synthetic/xa_synthetic.dcm",
    "dicom/rtstruct.dcm",
    "dicom/rtdose.dcm",
    "dicom/liver_1frame.dcm",
    "synthetic/sm_synthetic.dcm",
    "dicom/waveform_ecg.dcm",
    "dicom/test-SR.dcm",
]


def grid_samples() -> list[samples.Sample]:
    """The manifest rows of the samples in the grid, in grid order."""
    by_file = {s.file: s for s in samples.manifest()}
    return [by_file[name] for name in GRID]


def _draw(ax: Any, sample: samples.Sample) -> None:
    import pydicom

    ds = pydicom.dcmread(sample.path, force=True)
    kind = sample.modality
    if kind == "ECG":
        wave = ds.waveform_array(0)
        rate = float(ds.WaveformSequence[0].SamplingFrequency)
        n = int(2.5 * rate)
        t = np.arange(n) / rate
        for lead in range(3):
            ax.plot(t, wave[:n, lead] - 1500 * lead, lw=0.6, color="k")
        ax.set_xlabel("s", fontsize=8)
        ax.set_yticks([])
        ax.tick_params(labelsize=7)
        return
    if kind == "RTSTRUCT":
        for roi in ds.ROIContourSequence:
            for contour in roi.get("ContourSequence", []):
                xyz = np.asarray(contour.ContourData, dtype=float).reshape(-1, 3)
                closed = np.vstack([xyz, xyz[:1]])
                ax.plot(closed[:, 0], closed[:, 1], "o-" if len(xyz) < 3 else "-", lw=0.8)
        ax.set_aspect("equal")
        ax.tick_params(labelsize=7)
        return
    if kind == "SR":
        text = _sr_outline(ds)
        ax.text(0.02, 0.98, text, va="top", ha="left", fontsize=7, family="monospace")
        ax.axis("off")
        return
    image = describe.picture(sample.path)
    if getattr(ds, "PhotometricInterpretation", "") == "PALETTE COLOR":
        from pydicom.pixels import apply_color_lut

        image = apply_color_lut(image, ds)
    if getattr(ds, "PhotometricInterpretation", "") == "MONOCHROME1":
        image = image.max() - image  # MONOCHROME1: low values are white
    if image.ndim == 3 and image.dtype != np.uint8:
        image = (255 * (image / max(float(image.max()), 1.0))).astype(np.uint8)
    ax.imshow(image, cmap="gray" if image.ndim == 2 else None)
    ax.axis("off")


def _sr_outline(ds: Any, limit: int = 9) -> str:
    """The first concept names of a structured report's content tree, indented."""
    lines: list[str] = []

    def walk(items: Any, depth: int) -> None:
        for item in items:
            if len(lines) >= limit:
                return
            name = item.get("ConceptNameCodeSequence")
            label = name[0].CodeMeaning if name else item.get("ValueType", "")
            lines.append("  " * depth + str(label)[:26])
            walk(item.get("ContentSequence", []), depth + 1)

    walk(ds.get("ContentSequence", []), 0)
    return "\n".join(lines) + "\n…"


def modality_grid(ncols: int = 4):
    """A matplotlib Figure with one panel per sample in ``GRID``, titled by modality."""
    import matplotlib.pyplot as plt

    chosen = grid_samples()
    nrows = -(-len(chosen) // ncols)
    side = PAGE_WIDTH_IN / ncols  # the grid fills the PDF's text width, fonts stay legible
    fig, axes = plt.subplots(nrows, ncols, figsize=(PAGE_WIDTH_IN, 1.05 * side * nrows))
    flat = axes.ravel()
    for ax, sample in zip(flat, chosen, strict=False):
        _draw(ax, sample)
        label = sample.modality + (" (synthetic)" if sample.synthetic == "yes" else "")
        ax.set_title(label, fontsize=9)
    for ax in flat[len(chosen) :]:
        ax.axis("off")
    fig.tight_layout()
    return fig
