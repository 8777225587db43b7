"""Hooks for the options that act on pixels: Clean Pixel Data, Clean Recognizable Visual
Features, and the overlay part of Clean Graphics.

Why hooks: header de-identification must not depend on OCR or registration libraries, yet
the options that need them must be refused rather than silently ignored when they are not
available. The pixel package declares its functions (``imgshare.pixels.HOOKS``); this module
loads them on first need, or a caller registers its own; the engine calls them. This module
imports nothing of the toolkit at its top, so the pixel package can be loaded from here
without an import circle.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

#: option slug -> function(dataset, context) returning a list of notes for the report
PIXEL_HOOKS: dict[str, Callable[[Any, Any], list[str]]] = {}

#: Options that need a hook to be honoured.
NEEDS_HOOK = ("clean-pixel-data", "clean-recognizable-visual-features")


def register(option: str, function: Callable[[Any, Any], list[str]]) -> None:
    PIXEL_HOOKS[option] = function


def missing(options: tuple[str, ...]) -> list[str]:
    """Options asked for that no installed module can honour."""
    if any(o in NEEDS_HOOK or o == "clean-graphics" for o in options):
        _load_pixel_module()
    return [o for o in options if o in NEEDS_HOOK and o not in PIXEL_HOOKS]


def _load_pixel_module() -> None:
    """Import imgshare.pixels (which registers its hooks) the first time a pixel option is
    asked for: header-only runs never pay for it, and a missing OCR stack refuses, not fails."""
    with contextlib.suppress(ImportError):
        from imgshare.pixels import HOOKS

        for option, function in HOOKS.items():
            PIXEL_HOOKS.setdefault(option, function)
