"""The subject map: the clinical data's pseudonyms and date offsets, applied to the images.

Why: a request for images arrives with clinical datasets that were already de-identified
with their own subject IDs and per-subject date shifts. The released images must use
exactly those, or the measurements in the tumour domains no longer point at the right
images. The map is a CSV file with the columns ``original_id``, ``subject_id`` and
``date_offset_days`` (an integer, added to every date of that subject), and optionally
``issuer_of_patient_id``: a Patient ID is unique only within its issuer, so where a trial's
images come from several sites the map names the issuer, and a file matches a row only on
both its Patient ID and its Issuer of Patient ID.

Optional columns, used by the SDTM preset (``imgshare.dicom.presets``) to fill the Clinical
Trial attributes of group 0012 with what the clinical release published: ``site_id`` (the
released SITEID), ``study_id`` (STUDYID) and ``rfstdtc`` (the subject's original reference
start date, ISO 8601, from which a study's SDTM study day is computed). Maps without them
stay valid.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

COLUMNS = ("original_id", "subject_id", "date_offset_days")
ISSUER = "issuer_of_patient_id"


def match_key(patient_id: str, issuer: str = "") -> str:
    """The key a patient is known by: the Patient ID, qualified by its issuer if there is one.
    A backslash separates them: it cannot occur inside one DICOM LO value."""
    patient_id, issuer = patient_id.strip(), issuer.strip()
    return f"{patient_id}\\{issuer}" if issuer else patient_id


OPTIONAL = ("site_id", "study_id", "rfstdtc")


@dataclass(frozen=True)
class Subject:
    subject_id: str
    date_offset_days: int
    site_id: str = ""
    study_id: str = ""
    rfstdtc: str = ""


class SubjectMapError(ValueError):
    """The subject map is malformed; the message names the line."""


def load(path: str | Path) -> dict[str, Subject]:
    """Read and validate a subject map. Original and released IDs must each be unique."""
    path = Path(path)
    try:
        fh = open(path, newline="", encoding="utf-8-sig")  # noqa: SIM115 (closed below)
    except OSError as exc:
        raise SubjectMapError(f"cannot read subject map {path}: {exc.strerror}") from None
    with fh:
        reader = csv.DictReader(fh)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise SubjectMapError(f"{path}: missing column(s) {', '.join(missing)}")
        subjects: dict[str, Subject] = {}
        released: set[str] = set()
        for line, row in enumerate(reader, start=2):
            original = match_key(row["original_id"] or "", row.get(ISSUER) or "")
            subject = (row["subject_id"] or "").strip()
            if not (row["original_id"] or "").strip() or not subject:
                raise SubjectMapError(f"{path}:{line}: empty original_id or subject_id")
            try:
                offset = int((row["date_offset_days"] or "").strip())
            except ValueError:
                raise SubjectMapError(
                    f"{path}:{line}: date_offset_days is not a whole number"
                ) from None
            if original in subjects:
                raise SubjectMapError(f"{path}:{line}: original_id listed twice")
            if subject in released:
                raise SubjectMapError(f"{path}:{line}: subject_id listed twice")
            extra = {c: (row.get(c) or "").strip() for c in OPTIONAL if c in row}
            subjects[original] = Subject(subject, offset, **extra)
            released.add(subject)
    return subjects
