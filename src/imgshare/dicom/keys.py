"""The secret key and what is derived from it: UIDs, subject pseudonyms, date offsets.

Why a keyed hash: a plain hash of a UID or a patient ID can be recomputed by anyone who has
(or can guess) the original, which re-identifies it. HMAC-SHA256 with a secret key gives the
same output for the same input in every file and every later run with that key, and nothing
without it. The key lives in a file the user names; it is never written to any output.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from pathlib import Path

KEY_BYTES = 32


class KeyError_(ValueError):
    """A key file is missing, unreadable or malformed."""


def create_key(path: str | Path) -> Path:
    """Create a new random key file readable by its owner only (mode 0600). Never overwrites."""
    path = Path(path)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(secrets.token_hex(KEY_BYTES) + "\n")
    return path


def load_key(path: str | Path) -> bytes:
    """Read a key file written by :func:`create_key` (64 hexadecimal characters)."""
    path = Path(path)
    try:
        text = path.read_text().strip()
    except OSError as exc:
        raise KeyError_(f"cannot read key file {path}: {exc.strerror}") from None
    try:
        key = bytes.fromhex(text)
    except ValueError:
        raise KeyError_(f"key file {path} does not hold a hexadecimal key") from None
    if len(key) < 16:
        raise KeyError_(f"key file {path} holds {len(key)} bytes; at least 16 are needed")
    return key


def digest(key: bytes, purpose: str, value: str) -> bytes:
    """HMAC-SHA256 of a value, separated by purpose so that one output never equals another."""
    return hmac.new(key, f"{purpose}\x00{value}".encode(), hashlib.sha256).digest()


def uid(key: bytes, original: str) -> str:
    """A replacement UID: '2.25.' and a 128-bit integer from the keyed hash (PS3.5 B.2)."""
    return "2.25." + str(int.from_bytes(digest(key, "uid", original.strip())[:16], "big"))


def pseudonym(key: bytes, patient_id: str, prefix: str = "SUBJ-") -> str:
    """A subject pseudonym for a patient ID that has no entry in a subject map."""
    code = base64.b32encode(digest(key, "subject", patient_id.strip())[:10]).decode()
    return prefix + code[:12]


#: Derived date offsets lie in this range of days (always into the past).
OFFSET_RANGE = (-3650, -365)


def date_offset(key: bytes, patient_id: str) -> int:
    """A per-subject date offset in days, for subjects without one in a subject map."""
    low, high = OFFSET_RANGE
    n = int.from_bytes(digest(key, "date-offset", patient_id.strip())[:8], "big")
    return low + n % (high - low + 1)
