"""What may be kept from NIfTI headers: the allowed extension codes (default: none).

Why a separate setting: the recipe and the command line belong to the DICOM engine and are
shared by every format. Header extensions are a NIfTI matter; the default keeps none. A run
that needs some (for example CIFTI's, code 32, which holds the brain model and no person)
sets them in the Python API, or, for every worker of a batch, in the environment variable
``IMGSHARE_NIFTI_KEEP_EXTENSIONS`` as comma-separated codes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

ENV = "IMGSHARE_NIFTI_KEEP_EXTENSIONS"


@dataclass(frozen=True)
class Settings:
    keep_extensions: frozenset[int] = frozenset()

    @classmethod
    def from_env(cls) -> Settings:
        text = os.environ.get(ENV, "").strip()
        if not text:
            return cls()
        try:
            return cls(frozenset(int(c) for c in text.split(",") if c.strip()))
        except ValueError:
            raise ValueError(f"{ENV} must list extension codes, for example 32,44") from None
