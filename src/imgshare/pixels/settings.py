"""Settings of the pixel module, read from environment variables.

Why environment variables: the batch may run files in worker processes, which inherit the
environment but not a module's state; a recipe key for these settings is a later step. Call
:func:`configure` (which sets the variables) or set them before the run.

``IMGSHARE_BURNED_IN`` (what to do when text may be burned in, see :mod:`triage`):
    ``mask-text`` (default) masks every word the OCR engine reads, plus the known regions;
    ``mask-identifying`` masks only lines with the file's identifiers or identifying
    patterns, keeping technical annotations; ``known-regions`` masks only the configured
    regions (no OCR); ``refuse`` fails the file with the reason.
``IMGSHARE_OCR_ALL``: ``1`` to OCR every image, even where the risk rules say it is not
    needed (CT or MR with Burned In Annotation NO).
``IMGSHARE_US_REGIONS``: ``1`` to keep only the Sequence of Ultrasound Regions and blank
    the rest of an ultrasound image.
``IMGSHARE_OCR_VERIFY``: ``0`` to skip the second OCR pass that checks the output.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

POLICIES = ("mask-text", "mask-identifying", "known-regions", "refuse")


@dataclass(frozen=True)
class Settings:
    burned_in: str = "mask-text"
    ocr_all: bool = False
    us_regions: bool = False
    verify: bool = True


def current() -> Settings:
    """The settings in force, from the environment."""
    policy = os.environ.get("IMGSHARE_BURNED_IN", "mask-text").strip() or "mask-text"
    if policy not in POLICIES:
        raise ValueError(f"IMGSHARE_BURNED_IN={policy!r}: choose one of {', '.join(POLICIES)}")
    return Settings(
        burned_in=policy,
        ocr_all=os.environ.get("IMGSHARE_OCR_ALL", "0") == "1",
        us_regions=os.environ.get("IMGSHARE_US_REGIONS", "0") == "1",
        verify=os.environ.get("IMGSHARE_OCR_VERIFY", "1") != "0",
    )


def configure(
    burned_in: str | None = None,
    ocr_all: bool | None = None,
    us_regions: bool | None = None,
    verify: bool | None = None,
) -> Settings:
    """Change settings for this process and the worker processes it starts."""
    if burned_in is not None:
        if burned_in not in POLICIES:
            raise ValueError(f"burned_in={burned_in!r}: choose one of {', '.join(POLICIES)}")
        os.environ["IMGSHARE_BURNED_IN"] = burned_in
    for name, value in (("OCR_ALL", ocr_all), ("US_REGIONS", us_regions)):
        if value is not None:
            os.environ[f"IMGSHARE_{name}"] = "1" if value else "0"
    if verify is not None:
        os.environ["IMGSHARE_OCR_VERIFY"] = "1" if verify else "0"
    return current()
