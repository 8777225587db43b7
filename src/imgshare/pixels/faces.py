"""Clean Recognizable Visual Features for single files: which images may show a face.

Why a check here and the defacing elsewhere: a face is a surface across many slices, and
removing it needs the whole volume. The batch groups a DICOM series and defaces it once
(:mod:`imgshare.pixels.series_batch`); a NIfTI volume is defaced whole
(:mod:`imgshare.nifti.faces`). The engine sees one file at a time, so its hook refuses an
image of the head that is not marked Recognizable Visual Features NO rather than pass a
face it cannot see, and the release gate (:mod:`imgshare.gate`) holds such images back from
a run that does not ask for the option.

What counts as a head: a CT, MR, PET or NM image whose Body Part Examined names a part of
the head, or, when that is absent, whose study, series or protocol description does. A
volume shows a face only if it spans at least :data:`MIN_EXTENT_MM` in every direction
(our threshold: a face from brow to chin is about 120 mm). An image of a head that says
nothing of its body part passes with a note saying it was not screened.
"""

from __future__ import annotations

import re
from typing import Any

from pydicom import Dataset

from imgshare.dicom.errors import DeidError

OPTION = "clean-recognizable-visual-features"
#: Modalities that form volumes from which a face can be rendered.
VOLUME_MODALITIES = {"CT", "MR", "PT", "NM"}
HEAD_PARTS = {"HEAD", "BRAIN", "SKULL", "FACE", "NECK", "HEADNECK", "ORBIT", "SINUS", "EAR",
              "JAW", "TMJ", "NOSE", "MOUTH", "EYE", "CSPINE", "IAC", "PITUITARY"}  # fmt: skip
HEAD_WORDS = re.compile(
    r"\b(HEAD|BRAIN|SKULL|FACE|FACIAL|ORBITS?|SINUS(ES)?|NEURO|CRANI\w*|CEREBR\w*|"
    r"MPRAGE|PITUITARY|IAC|TMJ|MAXILLO\w*|DENTAL)\b"
)
MIN_EXTENT_MM = 80.0


def head_indicated(ds: Dataset) -> str | None:
    """Where the header says this is a head ('body part HEAD', 'series description'), or
    None when it does not."""
    part = str(ds.get("BodyPartExamined", "") or "").strip().upper().replace(" ", "")
    if part:
        return f"body part {part.lower()}" if part in HEAD_PARTS else None
    for keyword in ("StudyDescription", "SeriesDescription", "ProtocolName"):
        text = str(ds.get(keyword, "") or "").upper().replace("^", " ").replace("_", " ")
        if HEAD_WORDS.search(text):
            return f"{keyword} names the head"
    return None


def face_possible(ds: Dataset) -> tuple[bool, str]:
    """Whether ``ds`` may show a recognisable face, and why (for the report)."""
    marked = str(ds.get("RecognizableVisualFeatures", "") or "").strip().upper()
    if marked == "NO":
        return False, "Recognizable Visual Features is NO (defaced or no face)"
    if marked == "YES":
        return True, "Recognizable Visual Features is YES"
    modality = str(ds.get("Modality", "") or "").strip().upper()
    if modality not in VOLUME_MODALITIES:
        return False, f"{modality or 'image'}: no face can be rendered from it"
    where = head_indicated(ds)
    if where:
        return True, f"{modality} of the head ({where}): a face can be rendered from the volume"
    return False, f"{modality}: the header does not name the head (not screened for a face)"


def hook(ds: Dataset, ctx: Any) -> list[str]:
    """The engine's Clean Recognizable Visual Features hook."""
    possible, why = face_possible(ds)
    if possible:
        raise DeidError(
            f"face may be recognisable ({why}): run the whole series through `imgshare "
            f"deidentify --option {OPTION}`, which defaces it once and marks every slice "
            "Recognizable Visual Features NO"
        )
    return [f"recognizable visual features: {why}"]
