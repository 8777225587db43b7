"""The ways a transfer fails, each as its own exception with a message a person can act on.

Why: a site coordinator who sees "Association aborted" learns nothing. Each failure here
says what was refused, by whom, and what to check (the AE title, the port, the transfer
syntax, the file), so that a failed send is fixed rather than retried blindly.
"""

from __future__ import annotations


class TransferError(RuntimeError):
    """Base class: something in a DICOM or DICOMweb transfer went wrong."""


class AssociationRefused(TransferError):
    """The peer would not open an association (wrong AE title, unknown peer, not listening)."""


class ContextNotAccepted(TransferError):
    """The peer accepted the association but not this SOP class in this transfer syntax."""


class StoreFailed(TransferError):
    """The peer answered a C-STORE (or STOW-RS) with a failure status for one or more files."""


class ConnectionLost(TransferError):
    """The association or connection ended in the middle of a transfer."""


class ManifestMismatch(TransferError):
    """A received package does not match its manifest: a file is missing, extra or altered."""


class DecryptionFailed(TransferError):
    """An encrypted package did not decrypt: the wrong key, or bytes altered in transit."""
