"""Which images need a search for burned-in text, and why: by SOP class and modality first.

Why not by the flag alone: Burned In Annotation (0028,0301) is often absent, and where it is
present it is often wrong; the MIDI report advises screening by SOP class and modality
rather than trusting it (Clunie et al. 2023). Reading text costs seconds per frame, so the
rules decide where to look, in three levels:

* **text likely** (ultrasound, secondary capture, screen and film captures, photographs,
  endoscopy, documents): read whatever the flag says. These are also the classes the release
  gate (:mod:`imgshare.gate`) holds back when Clean Pixel Data is not asked for.
* **text possible** (projection radiography CR/DX/IO/PX, mammography, XA/RF fluoroscopy):
  markers, names and dates are often burned in by the modality or a workstation; read under
  Clean Pixel Data whatever the flag says, but a plain run is not held back for them unless
  the flag is YES.
* **text unlikely** (CT, MR, PET, NM, microscopy, …): read only when the flag is YES or OCR
  of every image is asked for (the recipe's ``pixels: {ocr_all: true}``).

This follows the triage that Macdonald et al. (2024) report (OCR only where text is likely),
widened to the classes MIDI names.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydicom import Dataset

#: SOP classes whose images usually carry burned-in text (UID -> short name).
HIGH_RISK_CLASSES = {
    "1.2.840.10008.5.1.4.1.1.6.1": "ultrasound",
    "1.2.840.10008.5.1.4.1.1.6.2": "enhanced ultrasound volume",
    "1.2.840.10008.5.1.4.1.1.3.1": "ultrasound multi-frame",
    "1.2.840.10008.5.1.4.1.1.7": "secondary capture",
    "1.2.840.10008.5.1.4.1.1.7.1": "multi-frame single-bit secondary capture",
    "1.2.840.10008.5.1.4.1.1.7.2": "multi-frame greyscale byte secondary capture",
    "1.2.840.10008.5.1.4.1.1.7.3": "multi-frame greyscale word secondary capture",
    "1.2.840.10008.5.1.4.1.1.7.4": "multi-frame true colour secondary capture",
    "1.2.840.10008.5.1.4.1.1.77.1.1": "VL endoscopic image",
    "1.2.840.10008.5.1.4.1.1.77.1.1.1": "video endoscopic image",
    "1.2.840.10008.5.1.4.1.1.77.1.2": "VL microscopic image",
    "1.2.840.10008.5.1.4.1.1.77.1.4": "VL photographic image",
    "1.2.840.10008.5.1.4.1.1.77.1.4.1": "video photographic image",
    "1.2.840.10008.5.1.4.1.1.77.1.5.1": "ophthalmic photography 8 bit",
    "1.2.840.10008.5.1.4.1.1.77.1.5.2": "ophthalmic photography 16 bit",
}
#: Modalities whose images usually carry text, whatever their class.
HIGH_RISK_MODALITIES = {
    "US": "ultrasound", "OT": "other", "DOC": "document", "XC": "photograph",
    "ES": "endoscopy", "GM": "general microscopy photograph", "OP": "ophthalmic photograph",
}  # fmt: skip
#: Conversion Type values that mean a screen or document capture.
SCREEN_CAPTURES = {
    "WSD": "workstation screen", "DV": "digitised video", "DF": "digitised film",
    "DI": "digitised image", "SD": "scanned document",
}  # fmt: skip
#: Projection radiography, mammography and fluoroscopy: text possible, flag not trusted.
POSSIBLE_CLASSES = {
    "1.2.840.10008.5.1.4.1.1.1": "computed radiography",
    "1.2.840.10008.5.1.4.1.1.1.1": "digital X-ray (presentation)",
    "1.2.840.10008.5.1.4.1.1.1.1.1": "digital X-ray (processing)",
    "1.2.840.10008.5.1.4.1.1.1.2": "digital mammography (presentation)",
    "1.2.840.10008.5.1.4.1.1.1.2.1": "digital mammography (processing)",
    "1.2.840.10008.5.1.4.1.1.1.3": "intra-oral X-ray (presentation)",
    "1.2.840.10008.5.1.4.1.1.1.3.1": "intra-oral X-ray (processing)",
    "1.2.840.10008.5.1.4.1.1.12.1": "X-ray angiography",
    "1.2.840.10008.5.1.4.1.1.12.1.1": "enhanced X-ray angiography",
    "1.2.840.10008.5.1.4.1.1.12.2": "X-ray fluoroscopy",
    "1.2.840.10008.5.1.4.1.1.12.2.1": "enhanced X-ray fluoroscopy",
    "1.2.840.10008.5.1.4.1.1.13.1.3": "breast tomosynthesis",
}
POSSIBLE_MODALITIES = {
    "CR": "computed radiography", "DX": "digital X-ray", "IO": "intra-oral X-ray",
    "PX": "panoramic X-ray", "MG": "mammography", "XA": "X-ray angiography",
    "RF": "fluoroscopy", "RG": "radiographic imaging",
}  # fmt: skip
ENCAPSULATED = {
    "1.2.840.10008.5.1.4.1.1.104.1": "encapsulated PDF",
    "1.2.840.10008.5.1.4.1.1.104.2": "encapsulated CDA",
}


@dataclass(frozen=True)
class Triage:
    """Whether an image's pixels are read for text, and why (for the report).

    ``high_risk``: text is likely whatever the flag says (the gate holds such files back
    when Clean Pixel Data is not asked for); ``flagged``: Burned In Annotation is YES.
    """

    may_have_text: bool
    high_risk: bool
    reason: str
    flagged: bool = False

    @property
    def held_back_without_cleaning(self) -> bool:
        """Whether a release without Clean Pixel Data must not carry this image."""
        return self.flagged or self.high_risk


def _kind(ds: Dataset, classes: dict, modalities: dict) -> str | None:
    sop = str(ds.get("SOPClassUID", "") or "")
    modality = str(ds.get("Modality", "") or "").strip().upper()
    return classes.get(sop) or modalities.get(modality)


def triage(ds: Dataset, ocr_all: bool = False) -> Triage:
    """Decide whether the pixels of ``ds`` must be searched for text."""
    burned = str(ds.get("BurnedInAnnotation", "") or "").strip().upper()
    flag = {"YES": "YES", "NO": "NO"}.get(burned, "absent")
    conversion = str(ds.get("ConversionType", "") or "").strip().upper()
    likely = _kind(ds, HIGH_RISK_CLASSES, HIGH_RISK_MODALITIES) or SCREEN_CAPTURES.get(conversion)
    image_type = ds.get("ImageType") or []
    image_type = [image_type] if isinstance(image_type, str) else list(image_type)
    if not likely and {"LABEL", "OVERVIEW"} & {str(v).strip().upper() for v in image_type}:
        likely = "slide label or overview image"  # the label of a slide is handwritten or printed
    possible = _kind(ds, POSSIBLE_CLASSES, POSSIBLE_MODALITIES)
    flagged = burned == "YES"
    if likely:
        return Triage(True, True, f"{likely}: text likely (Burned In Annotation {flag})", flagged)
    if flagged:
        return Triage(True, False, "Burned In Annotation is YES", True)
    if possible:
        return Triage(True, False, f"{possible}: text possible (Burned In Annotation {flag})")
    if ocr_all:
        return Triage(True, False, "OCR of every image was asked for")
    modality = str(ds.get("Modality", "") or "").strip() or "this class"
    return Triage(False, False, f"{modality}: text unlikely (Burned In Annotation {flag})")
