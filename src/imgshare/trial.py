"""A synthetic oncology trial: CDISC-style clinical datasets and the CT studies they measure.

Why: a request for images nearly always arrives alongside clinical data that the sponsor has
already de-identified (subject pseudonyms, per-subject date offsets). The images are only
useful if every tumour measurement still points at the image it was made on, on the same
(shifted) date, for the same (pseudonymised) subject. This module builds a small trial with
that structure -- everything in it is made up -- applies the sponsor's clinical
de-identification, and checks after release that clinical data and images still agree.

The link from a measurement to its image is a sponsor-defined column ``IMGSOPUID`` on TR:
the SOP Instance UID of the slice the lesion was measured on. SDTM has no standard variable
for it; in a submission it would sit in a supplemental qualifier dataset (SUPPTR). We chose
the instance UID (not the study UID) because it names the exact slice a reader measured.
On release, that UID is replaced with :func:`imgshare.dicom.keys.uid` under the same key as
the images, so the link survives de-identification without revealing the original UID.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pydicom
from pydicom.uid import generate_uid

from imgshare import testing
from imgshare.dicom import keys

STUDYID = "ONC-001"
VISITS = (("SCREENING", 1, -7), ("WEEK 6", 2, 42), ("WEEK 12", 3, 84))
LESIONS = (("T01", "LUNG"), ("T02", "LIVER"))
SLICES = 3
#: Ages at RFSTDTC; the third subject is over 89, as some trial populations are.
AGES = (50, 53, 91, 59, 62, 65, 68, 71)
_FIRST = ("Ada", "Bram", "Cleo", "Dmitri", "Edith", "Farid", "Greta", "Hugo")
_LAST = ("Lovelace", "Vermeer", "Okafor", "Ivanov", "Nakamura", "Haddad", "Lind", "Moreau")


@dataclass
class Clinical:
    """The four datasets a RECIST request needs: demographics, tumours, results, responses."""

    dm: pd.DataFrame
    tu: pd.DataFrame
    tr: pd.DataFrame
    rs: pd.DataFrame

    def items(self) -> list[tuple[str, pd.DataFrame]]:
        return [("DM", self.dm), ("TU", self.tu), ("TR", self.tr), ("RS", self.rs)]


@dataclass
class Trial:
    clinical: Clinical
    images: Path
    subject_map: pd.DataFrame  # original_id, subject_id, date_offset_days, site_id, ...


def _pixels(rng: random.Random) -> bytes:
    """16 x 16 unsigned 16-bit noise: every slice differs (verify links files by pixel hash)."""
    return bytes(rng.randrange(256) for _ in range(2 * 16 * 16))


def _iso(day: dt.date) -> str:
    return day.isoformat()


def _response(baseline: float, nadir: float, current: float) -> str:
    """RECIST 1.1 overall response from sums of diameters (target lesions only)."""
    if current == 0:
        return "CR"
    if current >= 1.2 * nadir and current - nadir >= 5:
        return "PD"
    if current <= 0.7 * baseline:
        return "PR"
    return "SD"


def make_trial(root: str | Path, n_subjects: int = 4, seed: int = 9) -> Trial:
    """Write the trial's CT studies under ``root/images``; return clinical data and map.

    Each subject has one CT study per visit (study date = the TR visit date) with
    ``SLICES`` slices; lesion n is measured on slice n. UIDs are derived from the seed so
    that a rebuild gives the same files.
    """
    rng = random.Random(seed)
    root = Path(root)
    images = root / "images"
    dm, tu, tr, rs, smap = [], [], [], [], []
    for i in range(n_subjects):
        usubjid = f"{STUDYID}-{101 + i:04d}"
        name = f"{_LAST[i % 8]}^{_FIRST[i % 8]}"
        start = dt.date(2021, 3, 1) + dt.timedelta(days=19 * i)
        age, sex = AGES[i % len(AGES)], ("F" if i % 2 == 0 else "M")
        birth = dt.date(start.year - age - 1, 11, 5)  # so the age at RFSTDTC is ``age``
        dm.append(
            {
                "STUDYID": STUDYID,
                "DOMAIN": "DM",
                "USUBJID": usubjid,
                "SUBJID": usubjid[-4:],
                "RFSTDTC": _iso(start),
                "SITEID": f"{1 + 2 * i // n_subjects:02d}",
                "AGE": age,
                "SEX": sex,
                "ARM": "DRUG A" if i % 2 == 0 else "PLACEBO",
            }
        )
        smap.append(
            {
                "original_id": usubjid,
                "subject_id": f"ONC001-P{rng.randrange(1000, 9999)}",
                "date_offset_days": -rng.randrange(1000, 1400),
                # Optional columns for the SDTM preset: what DM released, and RFSTDTC.
                "site_id": f"{1 + 2 * i // n_subjects:02d}",
                "study_id": STUDYID,
                "rfstdtc": _iso(start),
            }
        )
        sizes = {lnk: rng.randrange(18, 45) for lnk, _ in LESIONS}
        trend = rng.choice((-0.25, -0.15, 0.12))
        baseline_sum = nadir = None
        for visit, visitnum, day in VISITS:
            date = start + dt.timedelta(days=day + rng.randrange(-2, 3))
            study_uid = generate_uid(entropy_srcs=[str(seed), usubjid, visit])
            sops = [
                generate_uid(entropy_srcs=[str(seed), usubjid, visit, str(s)])
                for s in range(SLICES)
            ]
            for s, sop in enumerate(sops):
                ds = testing.ct(
                    patient_id=usubjid,
                    name=name,
                    study_date=date.strftime("%Y%m%d"),
                    study_uid=study_uid,
                    sop_uid=sop,
                )
                ds.SeriesInstanceUID = generate_uid(entropy_srcs=[str(seed), usubjid, visit, "s"])
                ds.FrameOfReferenceUID = generate_uid(entropy_srcs=[str(seed), usubjid, "for"])
                ds.InstanceNumber = s + 1
                ds.Rows = ds.Columns = 16
                ds.PixelData = _pixels(rng)
                ds.StudyDescription = f"CT chest abdomen {visit.lower()} for {name}"
                ds.PatientSex, ds.PatientBirthDate = sex, birth.strftime("%Y%m%d")
                ds.PatientAge = f"{(date - birth).days * 4 // 1461:03d}Y"  # age at the study
                testing.save(ds, images / usubjid / visit.replace(" ", "_") / f"{s + 1}.dcm")
            total = 0.0
            for n, (lnk, loc) in enumerate(LESIONS):
                size = round(sizes[lnk] * (1 + trend * (visitnum - 1)), 1)
                total += size
                if visitnum == 1:
                    tu.append(
                        {
                            "STUDYID": STUDYID,
                            "DOMAIN": "TU",
                            "USUBJID": usubjid,
                            "TULNKID": lnk,
                            "TUTESTCD": "TUMIDENT",
                            "TUORRES": "TARGET",
                            "TULOC": loc,
                            "TUDTC": _iso(date),
                            "VISIT": visit,
                        }
                    )
                tr.append(
                    {
                        "STUDYID": STUDYID,
                        "DOMAIN": "TR",
                        "USUBJID": usubjid,
                        "TRLNKID": lnk,
                        "TRTESTCD": "LDIAM",
                        "TRTEST": "Longest Diameter",
                        "TRORRES": str(size),
                        "TRORRESU": "mm",
                        "VISITNUM": visitnum,
                        "VISIT": visit,
                        "TRDTC": _iso(date),
                        "IMGSOPUID": sops[n],
                    }
                )
            if visitnum == 1:
                baseline_sum = nadir = total
            else:
                assert baseline_sum is not None and nadir is not None
                rs.append(
                    {
                        "STUDYID": STUDYID,
                        "DOMAIN": "RS",
                        "USUBJID": usubjid,
                        "RSTESTCD": "OVRLRESP",
                        "RSTEST": "Overall Response",
                        "RSORRES": _response(baseline_sum, nadir, total),
                        "VISITNUM": visitnum,
                        "VISIT": visit,
                        "RSDTC": _iso(date),
                    }
                )
                nadir = min(nadir, total)
    clinical = Clinical(*(pd.DataFrame(rows) for rows in (dm, tu, tr, rs)))
    return Trial(clinical, images, pd.DataFrame(smap))


def _shift(value: str, days: int) -> str:
    """Shift the date part of an ISO 8601 value by whole days; keep any time part."""
    if not value:
        return value
    day = dt.date.fromisoformat(value[:10]) + dt.timedelta(days=days)
    return day.isoformat() + value[10:]


def deidentify_clinical(clinical: Clinical, subject_map: pd.DataFrame, key: bytes) -> Clinical:
    """The sponsor's clinical de-identification, as the subject map records it.

    USUBJID becomes the subject pseudonym, SUBJID is dropped, every ``--DTC`` and
    ``RFSTDTC`` is shifted by the subject's offset, AGE over 89 is released as 90 ("90 or
    older"), and the image reference ``IMGSOPUID`` is replaced with the keyed UID the image
    release will carry.
    """
    ids = dict(zip(subject_map.original_id, subject_map.subject_id, strict=True))
    offsets = dict(zip(subject_map.original_id, subject_map.date_offset_days, strict=True))
    out = []
    for _, frame in clinical.items():
        frame = frame.copy()
        for column in [c for c in frame.columns if c.endswith("DTC")]:
            frame[column] = [
                _shift(v, int(offsets[s]))
                for v, s in zip(frame[column], frame.USUBJID, strict=True)
            ]
        if "AGE" in frame:  # ages over 89 grouped as "90 or older", released as 90
            frame["AGE"] = [min(int(a), 90) for a in frame.AGE]
        if "IMGSOPUID" in frame:
            frame["IMGSOPUID"] = [keys.uid(key, u) for u in frame.IMGSOPUID]
        frame["USUBJID"] = frame.USUBJID.map(ids)
        out.append(frame.drop(columns=["SUBJID"], errors="ignore"))
    return Clinical(*out)


def index_images(release_dir: str | Path) -> dict[str, dict[str, str]]:
    """SOP Instance UID -> subject, study date and study UID of each released file."""
    index = {}
    for path in sorted(Path(release_dir).rglob("*.dcm")):
        ds = pydicom.dcmread(path, stop_before_pixels=True)
        index[str(ds.SOPInstanceUID)] = {
            "subject": str(ds.PatientID),
            "date": str(ds.StudyDate),
            "study": str(ds.StudyInstanceUID),
            "file": str(path.relative_to(release_dir)),
        }
    return index


def check_consistency(
    released: Clinical, release_dir: str | Path, original: Clinical | None = None
) -> pd.DataFrame:
    """One row per TR measurement: does it still point at its image, subject and date?

    Checks that the image named by ``IMGSOPUID`` is in the release, belongs to the same
    released subject, and has a study date equal to the (shifted) TRDTC; that the lesion
    (TRLNKID) is identified in TU; and, given the original datasets, that the study day
    (days since RFSTDTC) is unchanged by the shift.
    """
    images = index_images(release_dir)
    lesions = set(zip(released.tu.USUBJID, released.tu.TULNKID, strict=True))
    start = dict(zip(released.dm.USUBJID, released.dm.RFSTDTC, strict=True))
    rows = []
    for n, row in enumerate(released.tr.itertuples()):
        image = images.get(row.IMGSOPUID)
        day = (
            dt.date.fromisoformat(row.TRDTC[:10]) - dt.date.fromisoformat(start[row.USUBJID][:10])
        ).days
        checks = {
            "USUBJID": row.USUBJID,
            "VISIT": row.VISIT,
            "TRLNKID": row.TRLNKID,
            "TRDTC": row.TRDTC,
            "study_day": day,
            "image_found": image is not None,
            "subject_matches": bool(image) and image["subject"] == row.USUBJID,
            "date_matches": bool(image) and image["date"] == row.TRDTC[:10].replace("-", ""),
            "lesion_in_tu": (row.USUBJID, row.TRLNKID) in lesions,
        }
        if original is not None:
            o = original.tr.iloc[n]
            o_start = dict(zip(original.dm.USUBJID, original.dm.RFSTDTC, strict=True))[o.USUBJID]
            o_day = (dt.date.fromisoformat(o.TRDTC[:10]) - dt.date.fromisoformat(o_start[:10])).days
            checks["study_day_kept"] = o_day == day
        rows.append(checks)
    table = pd.DataFrame(rows)
    flags = [c for c in table.columns if table[c].dtype == bool]
    table["ok"] = table[flags].all(axis=1)
    return table


def write_clinical(clinical: Clinical, folder: str | Path) -> list[Path]:
    """Write each dataset as CSV (lower-case domain name), as a release would carry them."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, frame in clinical.items():
        path = folder / f"{name.lower()}.csv"
        frame.to_csv(path, index=False)
        paths.append(path)
    return paths


def read_clinical(folder: str | Path) -> Clinical:
    folder = Path(folder)
    return Clinical(
        *(
            pd.read_csv(folder / f"{n}.csv", dtype=str, keep_default_na=False)
            for n in ("dm", "tu", "tr", "rs")
        )
    )
