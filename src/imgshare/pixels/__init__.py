"""Identifiers in the pixels: burned-in text, overlays, icons and faces.

Importing this package registers the engine's hooks for the PS3.15 options that act on
pixels (Clean Pixel Data, Clean Graphics, Clean Recognizable Visual Features). The engine
imports it the first time one of those options is asked for. Heavy libraries (Tesseract
through pytesseract, SimpleITK, scikit-image) are imported only where they are used.
"""

from __future__ import annotations

from imgshare.dicom import hooks
from imgshare.pixels import clean, faces, graphics

hooks.register("clean-pixel-data", clean.hook)
hooks.register("clean-graphics", graphics.hook)
hooks.register("clean-recognizable-visual-features", faces.hook)

__all__ = ["clean", "faces", "graphics"]
