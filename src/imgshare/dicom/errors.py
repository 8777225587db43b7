"""The one exception the de-identification raises for a file it cannot treat safely.

Why a module of its own: the engine, the pixel cleaners, the NIfTI handlers and the presets
all raise it; kept here, none of them has to import the engine to do so, and the engine can
call the pixel modules without an import circle.
"""

from __future__ import annotations


class DeidError(Exception):
    """A file that cannot be de-identified safely; the message is the report's reason."""
