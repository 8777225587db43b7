"""Package a release: a DICOMDIR file-set, a SHA-256 manifest, an archive, encryption at rest.

Why: images leave a sponsor as files on a disk, in a cloud bucket or on a data-sharing
platform, not only over DICOM associations. The receiver must be able to (1) browse the
set without a database (the DICOMDIR), (2) prove that every byte arrived and nothing was
added (the manifest, BagIt-style, SHA-256), and (3) trust that whoever intercepted the
archive on the way learnt nothing (authenticated encryption with a key sent separately).
Verification fails loudly: a missing, extra or altered file is an error, never a warning.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import struct
import tarfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from imgshare.transfer.errors import DecryptionFailed, ManifestMismatch

MANIFEST = "manifest-sha256.txt"
_MAGIC = b"IMGSHARE-AESGCM1"
_CHUNK = 1 << 20  # encrypt in 1 MiB chunks, so a 50 GB trial never sits in memory


# --- DICOMDIR file-set --------------------------------------------------------------------


def make_fileset(files: Iterable[Path | str], folder: Path | str, label: str = "IMGSHARE") -> Path:
    """Write the files as a DICOM File-set (PS3.10) with its DICOMDIR; return the DICOMDIR.

    pydicom names the files by the standard's rules (upper case, eight characters, at most
    eight levels) and builds the PATIENT / STUDY / SERIES / IMAGE records from each file's
    own attributes. That is why a DICOMDIR must be rebuilt after de-identification rather
    than copied: its records repeat identifying keys.
    """
    from pydicom import dcmread
    from pydicom.fileset import FileSet

    folder = Path(folder)
    fileset = FileSet()
    fileset.ID = label[:16]
    for file in files:
        fileset.add(dcmread(file))
    fileset.write(folder)
    return folder / "DICOMDIR"


def fileset_records(dicomdir: Path | str) -> list[dict[str, str]]:
    """The DICOMDIR's records, one row per referenced file (what a viewer would list)."""
    from pydicom.fileset import FileSet

    rows = []
    for instance in FileSet(dicomdir):
        rows.append(
            {
                "file": "/".join(instance.ReferencedFileID),
                "patient": str(instance.PatientID),
                "study": str(instance.StudyInstanceUID)[-12:],
                "series": str(instance.SeriesInstanceUID)[-12:],
                "modality": str(instance.Modality) if "Modality" in instance else "",
                "record": str(instance.DirectoryRecordType),
            }
        )
    return rows


# --- manifest -----------------------------------------------------------------------------


def sha256(file: Path) -> str:
    digest = hashlib.sha256()
    with open(file, "rb") as fh:
        for block in iter(lambda: fh.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def _payload(folder: Path) -> list[Path]:
    return sorted(
        p for p in folder.rglob("*") if p.is_file() and p.relative_to(folder).as_posix() != MANIFEST
    )


def write_manifest(folder: Path | str) -> Path:
    """Write ``manifest-sha256.txt``: one ``<sha256>  <path>`` line per file (BagIt layout)."""
    folder = Path(folder)
    lines = [f"{sha256(p)}  {p.relative_to(folder).as_posix()}" for p in _payload(folder)]
    target = folder / MANIFEST
    target.write_text("\n".join(lines) + "\n")
    return target


def read_manifest(folder: Path | str) -> dict[str, str]:
    text = (Path(folder) / MANIFEST).read_text()
    entries = {}
    for line in text.splitlines():
        if line.strip():
            digest, name = line.split("  ", 1)
            entries[name] = digest
    return entries


@dataclass
class Verification:
    """What a manifest check found; ``ok`` only if nothing is missing, extra or altered."""

    checked: int = 0
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    altered: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.missing or self.extra or self.altered)


def check_manifest(folder: Path | str) -> Verification:
    """Compare a folder with its manifest, without raising."""
    folder = Path(folder)
    if not (folder / MANIFEST).is_file():
        raise ManifestMismatch(f"no {MANIFEST} in {folder}: cannot verify this package")
    expected = read_manifest(folder)
    present = {p.relative_to(folder).as_posix(): p for p in _payload(folder)}
    result = Verification()
    for name, digest in expected.items():
        if name not in present:
            result.missing.append(name)
        else:
            result.checked += 1
            if sha256(present[name]) != digest:
                result.altered.append(name)
    result.extra = sorted(set(present) - set(expected))
    return result


def verify_manifest(folder: Path | str) -> Verification:
    """Check a received folder against its manifest; raise ``ManifestMismatch`` on any gap."""
    result = check_manifest(folder)
    if not result.ok:
        parts = []
        for kind in ("missing", "extra", "altered"):
            names = getattr(result, kind)
            if names:
                parts.append(f"{len(names)} {kind} ({', '.join(names[:5])})")
        raise ManifestMismatch(
            f"package {Path(folder).name} does not match its manifest: {'; '.join(parts)}. "
            "Do not use it; ask the sender to send it again."
        )
    return result


# --- archives -----------------------------------------------------------------------------

FORMATS = {"zip": ".zip", "tar": ".tar", "gztar": ".tar.gz"}


def make_archive(folder: Path | str, target: Path | str, fmt: str = "zip") -> Path:
    """Put a folder into one archive file (zip, tar or tar.gz); return its path."""
    if fmt not in FORMATS:
        raise ValueError(f"archive format {fmt!r}: choose one of {', '.join(FORMATS)}")
    folder = Path(folder)
    base = str(Path(target))
    for suffix in FORMATS.values():
        base = base.removesuffix(suffix)
    return Path(shutil.make_archive(base, fmt, root_dir=folder.parent, base_dir=folder.name))


def extract_archive(archive: Path | str, dest: Path | str) -> Path:
    """Unpack safely (no absolute paths, no ``..``, no links out); return the top folder."""
    archive, dest = Path(archive), Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as zf:
            names = zf.namelist()
            for name in names:
                if name.startswith("/") or ".." in Path(name).parts:
                    raise ManifestMismatch(f"unsafe path in archive: {name}")
            zf.extractall(dest)
    else:
        with tarfile.open(archive) as tf:
            names = tf.getnames()
            tf.extractall(dest, filter="data")
    top = {Path(n).parts[0] for n in names if Path(n).parts}
    return dest / top.pop() if len(top) == 1 else dest


# --- encryption at rest -------------------------------------------------------------------


def new_key() -> bytes:
    """A fresh 256-bit AES key. Send it by another channel than the data, never with it."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    return AESGCM.generate_key(bit_length=256)


def key_fingerprint(key: bytes) -> str:
    """A short SHA-256 fingerprint both sides can read aloud to confirm they hold one key."""
    return hashlib.sha256(b"imgshare-key" + key).hexdigest()[:16]


def encrypt_file(source: Path | str, target: Path | str, key: bytes) -> Path:
    """AES-256-GCM in 1 MiB chunks; each chunk authenticated with its number and a final flag.

    A changed, removed, reordered or truncated chunk makes decryption fail, so the receiver
    cannot be handed a silently altered or shortened archive.
    """
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    aes = AESGCM(key)
    prefix = os.urandom(8)
    source, target = Path(source), Path(target)
    size = source.stat().st_size
    with open(source, "rb") as src, open(target, "wb") as out:
        out.write(_MAGIC + prefix)
        index = 0
        done = 0
        while True:
            chunk = src.read(_CHUNK)
            done += len(chunk)
            last = done >= size
            nonce = prefix + struct.pack(">I", index)
            aad = _MAGIC + struct.pack(">I?", index, last)
            sealed = aes.encrypt(nonce, chunk, aad)
            out.write(struct.pack(">I", len(sealed)) + sealed)
            index += 1
            if last:
                break
    return target


def decrypt_file(source: Path | str, target: Path | str, key: bytes) -> Path:
    """Reverse ``encrypt_file``; raise ``DecryptionFailed`` on a wrong key or altered bytes."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    aes = AESGCM(key)
    source, target = Path(source), Path(target)
    partial = target.with_name(target.name + ".part")
    try:
        with open(source, "rb") as src, open(partial, "wb") as out:
            head = src.read(len(_MAGIC) + 8)
            if head[: len(_MAGIC)] != _MAGIC:
                raise DecryptionFailed(f"{source.name} is not an imgshare encrypted file")
            prefix = head[len(_MAGIC) :]
            index = 0
            while True:
                length_bytes = src.read(4)
                if len(length_bytes) < 4:
                    raise DecryptionFailed(f"{source.name} is truncated: its end is missing")
                sealed = src.read(struct.unpack(">I", length_bytes)[0])
                nonce = prefix + struct.pack(">I", index)
                plain, last = None, False
                for last in (False, True):
                    try:
                        aad = _MAGIC + struct.pack(">I?", index, last)
                        plain = aes.decrypt(nonce, sealed, aad)
                        break
                    except InvalidTag:
                        continue
                if plain is None:
                    raise DecryptionFailed(
                        f"{source.name}: chunk {index} failed authentication: wrong key, or "
                        "the file was altered in transit. Nothing was written."
                    )
                out.write(plain)
                index += 1
                if last:
                    if src.read(1):
                        raise DecryptionFailed(f"{source.name}: data after the final chunk")
                    break
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    partial.replace(target)
    return target


# --- the whole release --------------------------------------------------------------------


def seal(folder: Path | str, target_dir: Path | str, key: bytes, fmt: str = "zip") -> Path:
    """Manifest, archive and encrypt a release folder; return the ``.enc`` file to send."""
    folder, target_dir = Path(folder), Path(target_dir)
    target_dir.mkdir(parents=True, exist_ok=True)
    write_manifest(folder)
    archive = make_archive(folder, target_dir / folder.name, fmt)
    encrypted = encrypt_file(archive, archive.with_name(archive.name + ".enc"), key)
    archive.unlink()
    return encrypted


def unseal(encrypted: Path | str, dest: Path | str, key: bytes) -> Path:
    """Decrypt, unpack and verify a received package; return the verified folder."""
    encrypted, dest = Path(encrypted), Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    archive = decrypt_file(encrypted, dest / encrypted.name.removesuffix(".enc"), key)
    folder = extract_archive(archive, dest / "unpacked")
    archive.unlink()
    verify_manifest(folder)
    return folder
