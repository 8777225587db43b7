"""DICOM de-identification: PS3.15 Annex E applied to one dataset (engine), read and written
safely (io), configured by options, a recipe, a key and a subject map (config)."""

from imgshare.dicom.config import Config, build
from imgshare.dicom.engine import Decision, DeidError, apply, plan

__all__ = ["Config", "build", "DeidError", "Decision", "apply", "plan"]
