"""NIfTI-1, NIfTI-2, Analyze 7.5, MGH/MGZ and BIDS datasets, de-identified beside DICOM.

Modules: ``detect`` (what a file is, by its bytes), ``header`` (NIfTI and Analyze headers
and extensions), ``mgh`` (FreeSurfer volumes), ``names`` (released names and BIDS labels),
``sidecar`` (BIDS JSON keys, classified in ``sidecar_keys.yaml``), ``tables`` (participants
and scans tables), ``dispatch`` (one file of a batch), ``settings`` (allowed extensions),
``bidscheck`` (BIDS validation), ``synthetic`` (a small BIDS dataset with planted
identifiers), ``convert`` (dcm2niix) and ``compare`` (before and after, for the book).
"""

from imgshare.nifti.dispatch import handles, process
from imgshare.nifti.settings import Settings

__all__ = ["handles", "process", "Settings"]
