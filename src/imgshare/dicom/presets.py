"""Recipe presets: rules that make an image release agree with the clinical release it joins.

Why a preset: the Basic Profile and its options know nothing of the SDTM datasets that were
released before the images. A sponsor who top-coded ages, recoded sites and published only
SITEID, STUDYID and USUBJID in DM must not release headers that say more. The ``sdtm`` preset
(recipe key ``preset``) adds these rules to the profile, after the engine's walk:

- **Ages over 89.** Patient's Age (0010,1010), where the options keep it, becomes ``090Y``
  ("90 or older") when the subject was 90 or older at the study, judged by the original
  Patient's Age or, if that is absent, by Patient's Birth Date and the study date (the HIPAA
  Safe Harbor rule, 45 CFR 164.514(b)(2)(i)(C); the PHUSE standard's "Derive Age" rule groups
  subjects older than 89 likewise). DICOM's Age String cannot say "or older": the release's
  documents say what ``090Y`` means.
- **Birth date and birth time** (0010,0030), (0010,0032), the values an age is derived from,
  are left empty or removed whatever a recipe override says: the clinical release carries AGE.
- **Site and device identity.** The images may name the site only as the clinical release did:
  Clinical Trial Site ID (0012,0030) takes the released SITEID from the subject map and
  Clinical Trial Site Name (0012,0031) is empty. The Retain Device Identity and Retain
  Institution Identity options, and recipe overrides that keep an attribute those options
  would keep, are refused: Station Name, Device Serial Number or Institution Name can reveal
  a site that SITEID recoded.
- **Group 0012 from the subject map and the recipe.** Clinical Trial Sponsor Name (0012,0010)
  and Protocol ID (0012,0020) from the recipe (or STUDYID from the map), Protocol Name
  (0012,0021) from the recipe or empty, Subject ID (0012,0040) the released USUBJID, and,
  where the map gives the subject's RFSTDTC, Time Point ID (0012,0050) the SDTM study day of
  the study ("DAY 43", no day 0) with Time Point Description (0012,0051) saying so.

Every change is recorded as a decision with its reason, like the engine's own; no decision
holds a value.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydicom import Dataset

from imgshare import profile
from imgshare.dicom.errors import DeidError

if TYPE_CHECKING:  # the engine imports this module; it must not import the engine back
    from imgshare.dicom.config import Config
    from imgshare.dicom.engine import Context

PRESETS = ("sdtm",)
#: Settings a preset accepts in the recipe (``preset: {name: sdtm, sponsor: ..., ...}``).
SETTINGS = ("sponsor", "protocol_id", "protocol_name")
TOP_AGE_YEARS = 90
TOP_CODED_AGE = "090Y"
REFUSED_OPTIONS = ("retain-device-identity", "retain-institution-identity")

SPONSOR, PROTOCOL_ID, PROTOCOL_NAME = 0x00120010, 0x00120020, 0x00120021
SITE_ID, SITE_NAME, SUBJECT_ID = 0x00120030, 0x00120031, 0x00120040
TIME_POINT_ID, TIME_POINT_DESCRIPTION = 0x00120050, 0x00120051
PATIENT_AGE, BIRTH_DATE, BIRTH_TIME = 0x00101010, 0x00100030, 0x00100032


class PresetError(ValueError):
    """A preset that cannot be applied as configured; the message names the setting."""


def parse(value: Any) -> tuple[str | None, tuple[tuple[str, str], ...]]:
    """The recipe's ``preset`` value: a name, or a mapping with ``name`` and settings."""
    if value is None:
        return None, ()
    if isinstance(value, str):
        name, settings = value, {}
    elif isinstance(value, Mapping):
        settings = {str(k): v for k, v in value.items()}
        name = str(settings.pop("name", ""))
    else:
        raise PresetError("preset: give a name (sdtm) or a mapping with name and settings")
    if name not in PRESETS:
        raise PresetError(f"unknown preset {name!r}; known: {', '.join(PRESETS)}")
    unknown = sorted(set(settings) - set(SETTINGS))
    if unknown:
        raise PresetError(f"preset {name}: unknown setting(s) {', '.join(unknown)}")
    return name, tuple(sorted((k, " ".join(str(v).split())) for k, v in settings.items()))


@functools.cache
def identity_tags() -> frozenset[int]:
    """Tags that Retain Device Identity or Retain Institution Identity would keep (K).

    Taken from Table E.1-1 as data, so the preset refuses exactly what the options keep.
    """
    tags = set()
    for row in profile.table():
        if not row.pattern or "x" in row.pattern:
            continue
        kept = [row.options.get(o) for o in REFUSED_OPTIONS]
        if "K" in kept:
            tags.add(int(row.pattern, 16))
    return frozenset(tags)


def check(config: Config) -> None:
    """Refuse settings that contradict the preset, before any file is touched."""
    if config.preset is None:
        return
    if config.preset not in PRESETS:
        raise PresetError(f"unknown preset {config.preset!r}; known: {', '.join(PRESETS)}")
    refused = [o for o in REFUSED_OPTIONS if config.has(o)]
    if refused:
        raise PresetError(
            f"preset sdtm cannot be combined with {', '.join(refused)}: device and "
            "institution attributes can reveal a site that the clinical release recoded; "
            "the site is released only as Clinical Trial Site ID (SITEID)"
        )
    guarded = identity_tags()
    kept = sorted(t for t, a in config.overrides.items() if a in ("K", "C") and t in guarded)
    if kept:
        names = ", ".join(f"({t >> 16:04X},{t & 0xFFFF:04X})" for t in kept)
        raise PresetError(f"preset sdtm: overrides keep site or device identity: {names}")
    settings = dict(config.trial)
    if not settings.get("sponsor"):
        raise PresetError("preset sdtm needs 'sponsor' (Clinical Trial Sponsor Name, Type 1)")


@dataclass
class Sdtm:
    """What the preset needs from a dataset before the walk changes it."""

    age_years: int | None
    study_date: str
    subject: Any  # subjects.Subject or None
    settings: dict[str, str] = field(default_factory=dict)


def prepare(ds: Dataset, config: Config) -> Sdtm | None:
    """Read, before the walk, the original values the preset's rules depend on."""
    if config.preset is None:
        return None
    check(config)
    study = _text(ds, "StudyDate") or _text(ds, "SeriesDate") or _text(ds, "AcquisitionDate")
    age = age_in_years(_text(ds, "PatientAge"), _text(ds, "PatientBirthDate"), study)
    patient_id = _text(ds, "PatientID")
    subject = config.subjects.get(patient_id) if config.subjects is not None else None
    return Sdtm(age, study, subject, dict(config.trial))


def finish(state: Sdtm, ds: Dataset, ctx: Context, apply: bool) -> None:
    """Apply the preset's rules to the walked dataset and record them as decisions."""

    def decide(tag: int, action: str, reason: str, value: str | None = None) -> None:
        keyword = {
            SPONSOR: "ClinicalTrialSponsorName", PROTOCOL_ID: "ClinicalTrialProtocolID",
            PROTOCOL_NAME: "ClinicalTrialProtocolName", SITE_ID: "ClinicalTrialSiteID",
            SITE_NAME: "ClinicalTrialSiteName", SUBJECT_ID: "ClinicalTrialSubjectID",
            TIME_POINT_ID: "ClinicalTrialTimePointID",
            TIME_POINT_DESCRIPTION: "ClinicalTrialTimePointDescription",
            PATIENT_AGE: "PatientAge", BIRTH_DATE: "PatientBirthDate",
            BIRTH_TIME: "PatientBirthTime",
        }[tag]  # fmt: skip
        ctx.records.append(("", tag, keyword, "", action, f"preset sdtm: {reason}"))
        if not apply:
            return
        if value is None:
            if tag in ds:
                del ds[tag]
        else:
            setattr(ds, keyword, value)

    # Ages over 89, where the options kept Patient's Age.
    kept_age = PATIENT_AGE in ds and str(ds[PATIENT_AGE].value or "").strip()
    if kept_age and state.age_years is not None and state.age_years >= TOP_AGE_YEARS:
        decide(PATIENT_AGE, "D", "age 90 or older top-coded as 090Y", TOP_CODED_AGE)
    # The birth date and time an age is derived from never leave.
    if BIRTH_DATE in ds and str(ds[BIRTH_DATE].value or "").strip():
        decide(BIRTH_DATE, "Z", "birth date emptied: the clinical release carries AGE", "")
    if BIRTH_TIME in ds:
        decide(BIRTH_TIME, "X", "birth time removed with the birth date")

    settings = state.settings
    subject = state.subject
    protocol = (subject.study_id if subject is not None else "") or settings.get("protocol_id")
    if not protocol:
        raise DeidError(
            "preset sdtm needs the protocol: 'protocol_id' in the recipe's preset, or a "
            "study_id column in the subject map"
        )
    decide(SPONSOR, "D", "sponsor from the recipe", settings["sponsor"])
    decide(PROTOCOL_ID, "D", "protocol ID as STUDYID of the clinical release", protocol)
    decide(PROTOCOL_NAME, "Z", "protocol name from the recipe", settings.get("protocol_name", ""))
    site = subject.site_id if subject is not None else ""
    decide(SITE_ID, "D" if site else "Z", "site as the released SITEID of the subject map", site)
    decide(SITE_NAME, "Z", "site name: the clinical release names sites only by SITEID", "")
    decide(SUBJECT_ID, "D", "subject ID as the released USUBJID", ctx.subject_id)
    day = study_day(state.study_date, subject.rfstdtc if subject is not None else "")
    if day is not None:
        decide(TIME_POINT_ID, "D", "time point as the SDTM study day", f"DAY {day}")
        decide(
            TIME_POINT_DESCRIPTION,
            "D",
            "time point described",
            "SDTM study day of the study date relative to RFSTDTC",
        )


def age_in_years(age: str, birth: str, study: str) -> int | None:
    """Whole years at the study: the larger of what the Age String (nnnD/W/M/Y) and the birth
    and study dates say, so that a stale or rounded-down age cannot hide a subject over 89."""
    found = []
    age = age.strip().upper()
    if 2 <= len(age) <= 4 and age[:-1].isdigit() and age[-1] in "DWMY":
        n = int(age[:-1])
        found.append({"Y": n, "M": n // 12, "W": (n * 7) // 365, "D": n // 365}[age[-1]])
    born, seen = _date(birth), _date(study)
    if born is not None and seen is not None and seen >= born:
        found.append(seen.year - born.year - ((seen.month, seen.day) < (born.month, born.day)))
    return max(found) if found else None


def study_day(date: str, rfstdtc: str) -> int | None:
    """The SDTM study day of a DICOM date (YYYYMMDD) against RFSTDTC (ISO 8601): day 1 is
    RFSTDTC, the day before it is -1, and there is no day 0 (SDTMIG 4.4.4)."""
    seen = _date(date)
    start = _date(rfstdtc[:10].replace("-", "")) if rfstdtc else None
    if seen is None or start is None:
        return None
    delta = (seen - start).days
    return delta + 1 if delta >= 0 else delta


def _date(text: str) -> dt.date | None:
    text = text.strip()
    if len(text) != 8 or not text.isdigit():
        return None
    try:
        return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None


def _text(ds: Dataset, keyword: str) -> str:
    value = ds.get(keyword)
    return str(value).strip() if value not in (None, "") else ""
