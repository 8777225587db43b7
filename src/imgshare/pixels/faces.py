"""Clean Recognizable Visual Features for single files: check that the face is gone.

Why a check and not a defacer here: a face is a surface across many slices, and removing
it needs the whole volume (see :mod:`imgshare.pixels.deface`, which defaces a NIfTI volume
or a DICOM series and marks each slice Recognizable Visual Features NO). The engine sees
one file at a time, so its hook refuses an image of the head that is not marked as
defaced, rather than pass a face it cannot see.
"""

from __future__ import annotations

from typing import Any

from pydicom import Dataset

from imgshare.dicom.engine import DeidError

#: Modalities that form volumes from which a face can be rendered.
VOLUME_MODALITIES = {"CT", "MR", "PT", "NM"}
HEAD_PARTS = {"HEAD", "BRAIN", "SKULL", "FACE", "NECK", "HEADNECK", "ORBIT", "SINUS", "EAR"}


def face_possible(ds: Dataset) -> tuple[bool, str]:
    """Whether ``ds`` may show a recognisable face, and why (for the report)."""
    marked = str(ds.get("RecognizableVisualFeatures", "") or "").strip().upper()
    if marked == "NO":
        return False, "Recognizable Visual Features is NO (defaced or no face)"
    if marked == "YES":
        return True, "Recognizable Visual Features is YES"
    modality = str(ds.get("Modality", "") or "").strip().upper()
    part = str(ds.get("BodyPartExamined", "") or "").strip().upper().replace(" ", "")
    if modality in VOLUME_MODALITIES and (part in HEAD_PARTS or not part):
        where = part.lower() or "unknown body part"
        return True, f"{modality} of the {where}: a face can be rendered from the volume"
    return False, f"{modality or 'image'} of {part.lower() or 'a part'} without a face"


def hook(ds: Dataset, ctx: Any) -> list[str]:
    """The engine's Clean Recognizable Visual Features hook."""
    possible, why = face_possible(ds)
    if possible:
        raise DeidError(
            f"face may be recognisable ({why}): deface the series first "
            "(imgshare.pixels.deface), which marks it Recognizable Visual Features NO"
        )
    return [f"recognizable visual features: {why}"]
