"""What may be kept from NIfTI headers: the allowed extension codes (default: none).

Why a setting: header extensions are a NIfTI matter and the default keeps none. A run that
needs some (for example CIFTI's, code 32, which holds the brain model and no person) lists
them in the recipe (``nifti: {keep_extensions: [32]}``), so that the choice is versioned,
reported and part of the resume fingerprint. (The environment variable that did this
before is no longer read.)
"""

from __future__ import annotations

from imgshare.dicom.config import NiftiSettings as Settings

__all__ = ["Settings"]
