"""The secret key and what is derived from it, against the construction the module documents.

Why known answers: a release's pseudonyms, UIDs and date offsets must be the same in every
later run with the same key (a second delivery must join the first, and the clinical data
were released with them). So the expected values are computed here from the documented
construction with the standard library's own HMAC (HMAC-SHA256 of "purpose NUL value"), and
pinned as literals for one key, so that no change to the derivation can pass unnoticed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import stat
from pathlib import Path

import pytest
from pydicom.uid import UID

from imgshare.dicom import keys

KEY = bytes(range(32))


def _hmac(key: bytes, purpose: str, value: str) -> bytes:
    return hmac.new(key, purpose.encode() + b"\x00" + value.encode(), hashlib.sha256).digest()


def test_uid_is_2_25_and_the_first_128_bits_of_the_keyed_hash():
    original = "1.2.840.113619.2.55.3.604688119.969.1268071029.320"
    expected = "2.25." + str(int.from_bytes(_hmac(KEY, "uid", original)[:16], "big"))
    assert keys.uid(KEY, original) == expected
    assert keys.uid(KEY, f"  {original} ") == expected  # padding is not part of a UID
    assert UID(expected).is_valid and len(expected) <= 64


def test_pseudonym_is_the_prefix_and_twelve_base32_characters():
    code = base64.b32encode(_hmac(KEY, "subject", "PAT-001")[:10]).decode()[:12]
    assert keys.pseudonym(KEY, "PAT-001") == "SUBJ-" + code
    assert keys.pseudonym(KEY, " PAT-001 ", prefix="TRIAL-") == "TRIAL-" + code


def test_date_offset_is_the_keyed_hash_folded_into_one_to_ten_years_back():
    for patient in ("PAT-001", "PAT-002", "H0012345", "x"):
        n = int.from_bytes(_hmac(KEY, "date-offset", patient)[:8], "big")
        assert keys.date_offset(KEY, patient) == -3650 + n % 3286
        assert -3650 <= keys.date_offset(KEY, patient) <= -365
    assert keys.date_offset(KEY, " PAT-001") == keys.date_offset(KEY, "PAT-001")


def test_known_answers_for_one_key_are_pinned():
    """Literal values for KEY: a changed derivation would silently break earlier releases."""
    assert keys.uid(KEY, "1.2.3") == "2.25.323208961630152073077901537594917788276"
    assert keys.pseudonym(KEY, "PAT-001") == "SUBJ-XYVBGGY7XVQO"
    assert keys.date_offset(KEY, "PAT-001") == -3064


def test_purposes_are_separated_and_keys_matter():
    value = "PAT-001"
    assert keys.digest(KEY, "uid", value) != keys.digest(KEY, "subject", value)
    assert keys.uid(KEY, value) != keys.uid(bytes(32), value)
    assert keys.pseudonym(KEY, value) != keys.pseudonym(KEY, "PAT-002")


def test_create_key_is_owner_only_random_and_never_overwrites(tmp_path: Path):
    a = keys.create_key(tmp_path / "a.key")
    b = keys.create_key(tmp_path / "b.key")
    assert stat.S_IMODE(a.stat().st_mode) == 0o600
    text = a.read_text()
    assert text.endswith("\n") and len(text.strip()) == 2 * keys.KEY_BYTES == 64
    assert bytes.fromhex(text.strip()) == keys.load_key(a)
    assert a.read_text() != b.read_text()
    with pytest.raises(FileExistsError):
        keys.create_key(a)
    assert a.read_text() == text


def test_load_key_refuses_missing_malformed_and_short_keys(tmp_path: Path):
    with pytest.raises(keys.KeyError_, match=r"cannot read key file .*missing\.key"):
        keys.load_key(tmp_path / "missing.key")
    bad = tmp_path / "bad.key"
    bad.write_text("not hexadecimal\n")
    bad.chmod(0o600)
    with pytest.raises(keys.KeyError_, match="does not hold a hexadecimal key"):
        keys.load_key(bad)
    short = tmp_path / "short.key"
    short.write_text("00" * 15 + "\n")
    short.chmod(0o600)
    with pytest.raises(keys.KeyError_, match="holds 15 bytes; at least 16 are needed"):
        keys.load_key(short)
    short.write_text("  " + "ab" * 16 + "\n\n")
    assert keys.load_key(short) == bytes([0xAB]) * 16
    assert isinstance(keys.KeyError_("x"), ValueError)  # the command line maps it to exit 2
