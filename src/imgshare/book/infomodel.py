"""The DICOM information model (patient, study, series, instance): a figure and a census.

Why: de-identification has to keep the hierarchy intact (every instance of a series must
still share its new Series Instance UID, every series its study) while replacing each
level's identifiers. The figure shows the levels and the identifiers that tie them; the
census groups real files by those identifiers, so the chapter can show the model on the
samples instead of describing it.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from imgshare.book.display import PAGE_WIDTH_IN

#: The four levels, the identifier that keys each, and a few attributes that live there.
LEVELS = [
    ("Patient", "PatientID", ["Patient's Name", "Birth Date", "Sex"]),
    ("Study", "StudyInstanceUID", ["Study Date", "Accession Number", "Referring Physician"]),
    ("Series", "SeriesInstanceUID", ["Modality", "Body Part Examined", "Frame of Reference"]),
    ("Instance", "SOPInstanceUID", ["SOP Class UID", "Image Position", "Pixel Data"]),
]


def figure():
    """A matplotlib Figure: four boxes joined by one-to-many arrows, with example attributes."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyBboxPatch

    fig, ax = plt.subplots(figsize=(PAGE_WIDTH_IN, 4.0))
    ax.set_xlim(0, 10)
    ax.set_ylim(-1.3, 10)
    ax.axis("off")
    colours = ["#dbe9f6", "#dff0d8", "#fcf8e3", "#f2dede"]
    for i, (name, key, examples) in enumerate(LEVELS):
        y = 8.4 - i * 2.5
        ax.add_patch(
            FancyBboxPatch(
                (0.3, y - 0.75), 3.2, 1.5, boxstyle="round,pad=0.05", fc=colours[i], ec="k"
            )
        )
        ax.text(1.9, y + 0.3, name, ha="center", va="center", fontsize=12, weight="bold")
        ax.text(1.9, y - 0.35, f"key: {key}", ha="center", va="center", fontsize=8)
        ax.text(3.9, y, "\n".join(examples), ha="left", va="center", fontsize=9)
        if i < len(LEVELS) - 1:
            ax.annotate(
                "",
                xy=(1.9, y - 1.75),
                xytext=(1.9, y - 0.8),
                arrowprops={"arrowstyle": "-|>", "lw": 1.2},
            )
            ax.text(2.05, y - 1.3, "1 … n", fontsize=8, va="center")
    ax.text(
        0.3,
        -0.9,
        "An instance is one file (one SOP Instance); a multi-frame instance holds many frames.",
        fontsize=8,
        style="italic",
    )
    fig.tight_layout()
    return fig


def census(files: Iterable[str | Path]):
    """One row per file with the four keys, to show how files group into the hierarchy."""
    import pandas as pd
    import pydicom

    rows: list[dict[str, Any]] = []
    for file in files:
        ds = pydicom.dcmread(file, stop_before_pixels=True, force=True)
        rows.append(
            {
                "file": Path(file).name,
                "Modality": ds.get("Modality", ""),
                **{key: str(ds.get(key, "")) for _, key, _ in LEVELS},
            }
        )
    return pd.DataFrame(rows)


def summary(files: Iterable[str | Path]) -> dict[str, int]:
    """How many distinct patients, studies, series and instances the files hold."""
    table = census(files)
    return {name: int(table[key].nunique()) for name, key, _ in LEVELS}
