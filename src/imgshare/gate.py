"""The release gate: pixels that are known or likely to identify are not released untreated.

Why: a plain run (the Basic Profile) cleans the header only. An ultrasound image with the
patient's name burned in, a secondary capture of a screen, or a head volume with its face
would leave as "processed" unless something stops them. The gate looks at each image before
the engine runs and, where the pixels are known or likely to identify and the option that
treats them was not asked for, holds the file back: it is reported ``failed`` with a reason
that names the option, and the run exits 1.

* Burned-in text: Burned In Annotation YES, or a class of image that carries text whatever
  its flag says (ultrasound, secondary capture, screen and film captures, photographs,
  endoscopy, documents, slide labels; see :mod:`imgshare.pixels.triage`). Treated by
  ``--option clean-pixel-data``.
* Faces: a CT, MR, PET or NM image of the head not marked Recognizable Visual Features NO
  (see :mod:`imgshare.pixels.faces`), and a NIfTI, Analyze or MGH volume large enough to
  hold a face (:mod:`imgshare.nifti.faces`). Treated by
  ``--option clean-recognizable-visual-features``.

One explicit flag, ``--release-unreviewed-pixels`` (``Config.release_unreviewed``), releases
such files without treatment; each such file carries a note saying so, and the run report
states the flag in its settings. The gate never looks at values, only at what kind of image
a file is, so its reasons name no one.
"""

from __future__ import annotations

from pydicom import Dataset

from imgshare.dicom.config import Config
from imgshare.dicom.errors import DeidError

TEXT_OPTION = "clean-pixel-data"
FACE_OPTION = "clean-recognizable-visual-features"
FLAG = "--release-unreviewed-pixels"

Risk = tuple[str, str]  # (the option that treats it, why the pixels may identify)


def dicom_risks(ds: Dataset) -> list[Risk]:
    """What in this image's pixels may identify, with the option that treats each."""
    if "PixelData" not in ds and "FloatPixelData" not in ds and "DoubleFloatPixelData" not in ds:
        return []
    from imgshare.pixels import faces, triage

    risks = []
    t = triage.triage(ds)
    if t.held_back_without_cleaning:
        risks.append((TEXT_OPTION, f"burned-in text ({t.reason})"))
    possible, why = faces.face_possible(ds)
    if possible:
        risks.append((FACE_OPTION, f"face ({why})"))
    return risks


def check(risks: list[Risk], cfg: Config) -> list[str]:
    """Hold the file back (DeidError) for each risk whose option was not asked for; with
    the release flag, let it go with a note per risk instead. Returns the notes."""
    untreated = [(option, why) for option, why in risks if not cfg.has(option)]
    if not untreated:
        return []
    if cfg.release_unreviewed:
        return [f"RELEASED UNREVIEWED ({FLAG}): {why}; --option {o} would treat it"
                for o, why in untreated]  # fmt: skip
    parts = [f"{why}: add --option {option}" for option, why in untreated]
    raise DeidError(
        "held back, pixels may identify: "
        + "; ".join(parts)
        + f" (or {FLAG} to release it unreviewed)"
    )


def check_dicom(ds: Dataset, cfg: Config) -> list[str]:
    """The gate for one DICOM image, before the engine changes it."""
    return check(dicom_risks(ds), cfg)
