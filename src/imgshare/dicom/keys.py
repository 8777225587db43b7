"""The secret key and what is derived from it: UIDs, subject pseudonyms, date offsets.

Why a keyed hash: a plain hash of a UID or a patient ID can be recomputed by anyone who has
(or can guess) the original, which re-identifies it. HMAC-SHA256 with a secret key gives the
same output for the same input in every file and every later run with that key, and nothing
without it. The key lives in a file the user names; it is never written to any output.
"""

from __future__ import annotations

import base64
import functools
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
    """Read a key file written by :func:`create_key` (64 hexadecimal characters).

    Refused, each with one line that says what to do: a file that cannot be read, one that
    group or others may read (the key makes every pseudonym reversible by guessing), and
    one that does not hold a hexadecimal key (a wrong file named by mistake).
    """
    path = Path(path)
    try:
        mode = path.stat().st_mode
        raw = path.read_bytes()
    except OSError as exc:
        raise KeyError_(f"cannot read key file {path}: {exc.strerror}") from None
    if mode & 0o044:
        raise KeyError_(
            f"key file {path} can be read by group or others (mode {mode & 0o777:o}): "
            f"run chmod 600 {path}"
        )
    if len(raw) > 4096:
        raise KeyError_(f"{path} is not a key file ({len(raw)} bytes; a key file holds 65)")
    try:
        key = bytes.fromhex(raw.decode("ascii").strip())
    except (UnicodeDecodeError, ValueError):
        raise KeyError_(
            f"{path} is not a key file: it does not hold a hexadecimal key "
            "(make one with: imgshare keygen KEY)"
        ) from None
    if len(key) < 16:
        raise KeyError_(f"key file {path} holds {len(key)} bytes; at least 16 are needed")
    return key


def fingerprint(key: bytes) -> str:
    """A short public name for a key (a hash that cannot give the key back), so that a run
    journal or a report can say which key made a release without holding it."""
    return hashlib.sha256(b"imgshare key fingerprint\x00" + key).hexdigest()[:16]


def digest(key: bytes, purpose: str, value: str) -> bytes:
    """HMAC-SHA256 of a value, separated by purpose so that one output never equals another."""
    return hmac.new(key, f"{purpose}\x00{value}".encode(), hashlib.sha256).digest()


@functools.lru_cache(maxsize=8192)  # the same study, series, patient in every file
def uid(key: bytes, original: str) -> str:
    """A replacement UID: '2.25.' and a 128-bit integer from the keyed hash (PS3.5 B.2)."""
    return "2.25." + str(int.from_bytes(digest(key, "uid", original.strip())[:16], "big"))


@functools.lru_cache(maxsize=8192)  # the same patient in every file of a series
def pseudonym(key: bytes, patient_id: str, prefix: str = "SUBJ-") -> str:
    """A subject pseudonym for a patient ID that has no entry in a subject map."""
    code = base64.b32encode(digest(key, "subject", patient_id.strip())[:10]).decode()
    return prefix + code[:12]


#: Derived date offsets lie in this range of days (always into the past).
OFFSET_RANGE = (-3650, -365)


@functools.lru_cache(maxsize=8192)  # the same patient in every file of a series
def date_offset(key: bytes, patient_id: str) -> int:
    """A per-subject date offset in days, for subjects without one in a subject map."""
    low, high = OFFSET_RANGE
    n = int.from_bytes(digest(key, "date-offset", patient_id.strip())[:8], "big")
    return low + n % (high - low + 1)
