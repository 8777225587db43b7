"""Output names without identifiers: BIDS names with relabelled subjects, or keyed hashes.

Why: file and folder names leak as easily as headers. BIDS puts the subject label (often a
hospital or screening number) and the session label (sometimes a date) into every path,
and converters name files after the patient, the protocol and the acquisition time. In a
BIDS dataset the release keeps the BIDS names, which tools need, with ``sub-<label>``
replaced through the subject map (or, without one, by the keyed pseudonym) and a session
label that holds a run of six or more digits (a date, a number) replaced by a keyed code.
A BIDS label is letters and digits only, so released IDs are reduced to those characters
(``TRIAL-0042`` becomes ``sub-TRIAL0042``). Outside BIDS the subject is the first folder
under the source, and the file is named by a keyed hash of its path, as DICOM outputs are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from imgshare.dicom import keys
from imgshare.dicom.config import Config
from imgshare.dicom.errors import DeidError

SUBJECT = re.compile(r"(?<![A-Za-z0-9])sub-([A-Za-z0-9]+)")
SESSION = re.compile(r"(?<![A-Za-z0-9])ses-([A-Za-z0-9]+)")
DIGIT_RUN = re.compile(r"\d{6,}")
IMAGE_SUFFIXES = (".nii.gz", ".nii", ".hdr", ".img", ".mgz", ".mgh")


def alnum(text: str) -> str:
    """Letters and digits only: what a BIDS label may hold."""
    return re.sub(r"[^A-Za-z0-9]", "", text)


@dataclass(frozen=True)
class Subject:
    original: str  # the label or folder as found (never written anywhere)
    released: str  # the released ID (BIDS-safe in BIDS mode)
    offset: int  # days added to this subject's dates


def bids_root(path: Path, rel: str) -> Path | None:
    """The root of the dataset a file was found in, if that root is a BIDS dataset."""
    root = path
    for _ in PurePosixPath(rel).parts:
        root = root.parent
    return root if (root / "dataset_description.json").is_file() else None


def subject(original: str, cfg: Config, bids: bool) -> Subject:
    """The released ID and date offset for a subject label, from the map or the key."""
    if cfg.subjects is not None:
        for candidate in (original, f"sub-{original}"):
            if candidate in cfg.subjects:
                entry = cfg.subjects[candidate]
                break
        else:
            matches = [s for k, s in cfg.subjects.items() if bids and alnum(k) == original]
            if len(matches) != 1:
                raise DeidError("subject is not in the subject map (its label is not printed)")
            entry = matches[0]
        released, offset = entry.subject_id, entry.date_offset_days
    else:
        released = keys.pseudonym(cfg.key, original)
        offset = keys.date_offset(cfg.key, original)
    if bids:
        released = alnum(released)
        if not released:
            raise DeidError("released subject ID has no letters or digits: not a BIDS label")
    return Subject(original, released, offset)


def session_label(label: str, subject_label: str, cfg: Config) -> str:
    """A session label kept if harmless ('baseline', '01'); keyed if it holds a digit run."""
    if not DIGIT_RUN.search(label):
        return label
    return "s" + keys.digest(cfg.key, "bids-session", f"{subject_label}\x00{label}").hex()[:8]


def bids_rename(rel: str, cfg: Config) -> tuple[str, Subject | None]:
    """A BIDS relative path with subject and session labels replaced in every part."""
    match = SUBJECT.search(rel)
    if match is None:
        return rel, None
    who = subject(match.group(1), cfg, bids=True)
    sessions = {m.group(1) for m in SESSION.finditer(rel)}
    out = SUBJECT.sub(lambda m: f"sub-{who.released}" if m.group(1) == who.original else m[0], rel)
    for label in sessions:
        new = session_label(label, who.original, cfg)
        out = re.sub(rf"(?<![A-Za-z0-9])ses-{label}(?![A-Za-z0-9])", f"ses-{new}", out)
    return out, who


def stem(rel: str) -> str:
    """The path without its image or companion suffix: a volume, its sidecar and its
    gradient tables share a stem, so their hashed names match."""
    lower = rel.lower()
    for suffix in (*IMAGE_SUFFIXES, ".json", ".bval", ".bvec"):
        if lower.endswith(suffix):
            return rel[: -len(suffix)]
    return rel


def hashed(rel: str, suffix: str, cfg: Config) -> tuple[str, Subject]:
    """Outside BIDS: <subject pseudonym>/<keyed hash of the path><suffix>."""
    parts = PurePosixPath(rel).parts
    who = subject(parts[0] if len(parts) > 1 else "", cfg, bids=False)
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in who.released)
    code = keys.digest(cfg.key, "file-name", stem(rel)).hex()[:32]
    return f"{safe}/{code}{suffix}", who
