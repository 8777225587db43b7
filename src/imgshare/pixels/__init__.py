"""Identifiers in the pixels: burned-in text, overlays, icons and faces.

This package declares, in :data:`HOOKS`, its functions for the PS3.15 options that act on
pixels (Clean Pixel Data, Clean Graphics, Clean Recognizable Visual Features).
:mod:`imgshare.dicom.hooks` reads them the first time one of those options is asked for; the
package imports neither the hooks nor the engine, so the engine can call it without an import
circle. Heavy libraries (Tesseract through pytesseract, SimpleITK, scikit-image) are imported
only where they are used.
"""

from __future__ import annotations

from imgshare.pixels import clean, faces, graphics

#: option slug -> function(dataset, context) returning notes for the report
HOOKS = {
    "clean-pixel-data": clean.hook,
    "clean-graphics": graphics.hook,
    "clean-recognizable-visual-features": faces.hook,
}

__all__ = ["HOOKS", "clean", "faces", "graphics"]
