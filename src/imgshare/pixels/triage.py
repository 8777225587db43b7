"""Which images need a search for burned-in text, and why.

Why rules before OCR: reading text costs seconds per frame, and most CT and MR slices carry
none. The standard's Burned In Annotation (0028,0301) says whether an image has text in its
pixels; when it says YES, or when it is absent on a class of image that usually carries text
(ultrasound, secondary capture, screen captures, scanned documents, photographs, endoscopy),
the image is searched. An image that says NO is trusted unless the user asks for OCR
everywhere. This is the triage that Macdonald et al. (2024) report: OCR only where text is
likely.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydicom import Dataset

#: SOP classes whose images usually carry burned-in text (UID prefix -> short name).
HIGH_RISK_CLASSES = {
    "1.2.840.10008.5.1.4.1.1.6.1": "ultrasound",
    "1.2.840.10008.5.1.4.1.1.3.1": "ultrasound multi-frame",
    "1.2.840.10008.5.1.4.1.1.7": "secondary capture",
    "1.2.840.10008.5.1.4.1.1.7.1": "multi-frame single-bit secondary capture",
    "1.2.840.10008.5.1.4.1.1.7.2": "multi-frame greyscale byte secondary capture",
    "1.2.840.10008.5.1.4.1.1.7.3": "multi-frame greyscale word secondary capture",
    "1.2.840.10008.5.1.4.1.1.7.4": "multi-frame true colour secondary capture",
    "1.2.840.10008.5.1.4.1.1.77.1.1": "VL endoscopic image",
    "1.2.840.10008.5.1.4.1.1.77.1.4": "VL photographic image",
    "1.2.840.10008.5.1.4.1.1.77.1.1.1": "video endoscopic image",
    "1.2.840.10008.5.1.4.1.1.77.1.4.1": "video photographic image",
}
#: Modalities whose images usually carry text, whatever their class.
HIGH_RISK_MODALITIES = {"US": "ultrasound", "OT": "other", "DOC": "document", "XC": "photo"}
#: Conversion Type values that mean a screen or document capture.
SCREEN_CAPTURES = {"WSD": "workstation screen", "DV": "digitised video", "DF": "digitised film"}
ENCAPSULATED = {
    "1.2.840.10008.5.1.4.1.1.104.1": "encapsulated PDF",
    "1.2.840.10008.5.1.4.1.1.104.2": "encapsulated CDA",
}


@dataclass(frozen=True)
class Triage:
    """Whether an image may hold burned-in text, and the reason (for the report)."""

    may_have_text: bool
    high_risk: bool
    reason: str


def triage(ds: Dataset, ocr_all: bool = False) -> Triage:
    """Decide whether the pixels of ``ds`` must be searched for text."""
    burned = str(ds.get("BurnedInAnnotation", "") or "").strip().upper()
    sop = str(ds.get("SOPClassUID", "") or "")
    modality = str(ds.get("Modality", "") or "").strip().upper()
    conversion = str(ds.get("ConversionType", "") or "").strip().upper()
    kind = (
        HIGH_RISK_CLASSES.get(sop)
        or HIGH_RISK_MODALITIES.get(modality)
        or SCREEN_CAPTURES.get(conversion)
    )
    if burned == "YES":
        return Triage(True, kind is not None, "Burned In Annotation is YES")
    if kind and burned != "NO":
        return Triage(True, True, f"{kind}: Burned In Annotation absent, text is likely")
    if ocr_all:
        return Triage(True, kind is not None, "OCR of every image was asked for")
    if burned == "NO":
        return Triage(False, kind is not None, "Burned In Annotation is NO")
    return Triage(False, False, f"{modality or 'this class'}: text is unlikely and not flagged")
