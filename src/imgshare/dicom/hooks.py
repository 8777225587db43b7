"""Hooks for the options that act on pixels: Clean Pixel Data, Clean Recognizable Visual
Features, and the overlay part of Clean Graphics.

Why hooks: header de-identification must not depend on OCR or registration libraries, yet
the options that need them must be refused rather than silently ignored when they are not
available. A pixel module registers a function here; the engine calls it.
"""

from __future__ import annotations

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
    return [o for o in options if o in NEEDS_HOOK and o not in PIXEL_HOOKS]
