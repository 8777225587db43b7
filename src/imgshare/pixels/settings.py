"""Settings of the pixel module: the recipe's ``pixels`` mapping.

Why in the recipe: the settings decide what the released pixels hold, so they are versioned
with the other decisions, written into the run report and covered by the resume
fingerprint; and the :class:`~imgshare.dicom.config.Config` that carries them reaches every
worker process. (They were environment variables before; those are no longer read.)

``burned_in`` (what to do when text may be burned in, see :mod:`triage`):
    ``mask-text`` (default) masks every word the OCR engine reads, plus the known regions;
    ``mask-identifying`` masks only lines with the file's identifiers or identifying
    patterns, keeping technical annotations; ``known-regions`` masks only the configured
    regions (no OCR); ``refuse`` fails the file with the reason.
``ocr_all``: OCR every image, even where the risk rules say it is not needed.
``us_regions``: keep only the Sequence of Ultrasound Regions and blank the rest.
``verify``: read the output again and refuse a file in which identifying text is still read.
"""

from __future__ import annotations

from imgshare.dicom.config import BURNED_IN_POLICIES as POLICIES
from imgshare.dicom.config import PixelSettings as Settings

__all__ = ["POLICIES", "Settings"]
