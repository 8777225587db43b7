"""Re-identification risk of the quasi-identifiers in image headers, as for tabular data.

Why: EMA Policy 0070 and Health Canada's clinical-information guidance ask sponsors to
measure re-identification risk on quasi-identifiers (k-anonymity, average and maximum
risk against a threshold such as 0.09). Image headers carry quasi-identifiers too (sex,
age, study dates, equipment, site). These functions read them from DICOM files into one
record per patient and compute the same measures, so that the book can show how far the
tabular approach carries over to images, and where it stops (the pixels are not measured).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

#: Header attributes read as quasi-identifiers (DICOM keywords).
QUASI_IDENTIFIERS = (
    "PatientSex",
    "PatientAge",
    "PatientBirthDate",
    "StudyDate",
    "Manufacturer",
    "InstitutionName",
)


def _age_years(age: str, birth: str, study: str) -> int | None:
    """Age in whole years from Patient's Age (AS, e.g. '043Y'), else from the two dates."""
    age = (age or "").strip().upper()
    # AS is nnnD/W/M/Y; shorter forms such as "75Y" occur in real files and are accepted.
    if 2 <= len(age) <= 4 and age[:-1].isdigit() and age[-1] in "DWMY":
        value = int(age[:-1])
        return {"Y": value, "M": value // 12, "W": value // 52, "D": value // 365}[age[-1]]
    if len(birth) == 8 and len(study) == 8 and birth.isdigit() and study.isdigit():
        years = int(study[:4]) - int(birth[:4])
        if study[4:] < birth[4:]:  # birthday not yet reached in the study year
            years -= 1
        return years if 0 <= years < 130 else None
    return None


def header_record(path: str | Path) -> dict[str, Any]:
    """The quasi-identifiers of one DICOM file, with its patient ID (to count people)."""
    import pydicom

    ds = pydicom.dcmread(path, stop_before_pixels=True, force=True)

    def text(keyword: str) -> str:
        value = ds.get(keyword, "")
        return str(value).strip() if value is not None else ""

    study = text("StudyDate")
    return {
        "patient": text("PatientID") or Path(path).name,
        "sex": text("PatientSex") or "unknown",
        "age": _age_years(text("PatientAge"), text("PatientBirthDate"), study),
        "study_year": study[:4] if len(study) >= 4 else "unknown",
        "manufacturer": text("Manufacturer") or "unknown",
        "institution": text("InstitutionName") or "unknown",
    }


def patient_records(paths: Iterable[str | Path]) -> list[dict[str, Any]]:
    """One record per patient: the first file seen for each Patient ID.

    Risk is about people, not files: a five-slice series is one person, not five.
    """
    seen: dict[str, dict[str, Any]] = {}
    for path in paths:
        record = header_record(path)
        seen.setdefault(record["patient"], record)
    return list(seen.values())


def generalise(record: dict[str, Any], age_band: int = 10) -> dict[str, Any]:
    """A copy with age in bands of ``age_band`` years (unknown kept as 'unknown')."""
    out = dict(record)
    age = record.get("age")
    if isinstance(age, int):
        low = (age // age_band) * age_band
        out["age"] = f"{low}-{low + age_band - 1}"
    else:
        out["age"] = "unknown"
    return out


def equivalence_classes(
    records: Sequence[dict[str, Any]], keys: Sequence[str]
) -> Counter[tuple[Any, ...]]:
    """Size of each group of records that share the same values on ``keys``."""
    return Counter(tuple(r.get(k) for k in keys) for r in records)


def risk_summary(
    records: Sequence[dict[str, Any]], keys: Sequence[str], threshold: float = 0.09
) -> dict[str, float | int]:
    """k-anonymity and the prosecutor-model risks used for tabular trial data.

    - ``k``: the smallest equivalence class; ``max_risk`` = 1/k.
    - ``average_risk``: the mean over records of 1/(size of its class), which is the number
      of classes divided by the number of records.
    - ``share_above_threshold``: the share of records whose own risk exceeds ``threshold``.
    """
    if not records:
        raise ValueError("no records")
    classes = equivalence_classes(records, keys)
    n = len(records)
    sizes = [classes[tuple(r.get(k) for k in keys)] for r in records]
    return {
        "records": n,
        "classes": len(classes),
        "k": min(classes.values()),
        "unique_records": sum(1 for s in sizes if s == 1),
        "max_risk": 1 / min(classes.values()),
        "average_risk": len(classes) / n,
        "share_above_threshold": sum(1 for s in sizes if 1 / s > threshold) / n,
    }


#: DM variables read as quasi-identifiers when clinical and image data are assessed together.
DM_QUASI_IDENTIFIERS = ("AGE", "SEX", "SITEID")


def clinical_records(dm: Any, columns: Sequence[str] = DM_QUASI_IDENTIFIERS) -> dict[str, dict]:
    """One record per released USUBJID from a DM dataset (a pandas DataFrame).

    AGE becomes an int where it is a whole number, so that :func:`generalise` can band it;
    other values are kept as text. Columns the DM lacks are recorded as 'unknown'.
    """
    records: dict[str, dict] = {}
    for row in dm.to_dict("records"):
        record: dict[str, Any] = {}
        for column in columns:
            value = row.get(column, "")
            text = str(value).strip() if value is not None else ""
            if column == "AGE":
                record["age"] = int(float(text)) if text.replace(".", "", 1).isdigit() else None
            else:
                record[column.lower()] = text or "unknown"
        records[str(row["USUBJID"])] = record
    return records


def joint_records(
    clinical: dict[str, dict], images: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Clinical and header quasi-identifiers of each subject in one record.

    Why joint: a recipient holds both releases, linked by the subject pseudonym. The risk of
    the combined record is what matters, and it is never lower than either part's. Keys are
    prefixed ``dm_`` and ``img_``; a subject with images but no DM row (or the reverse) keeps
    'unknown' for the missing part, so nobody drops out of the count.
    """
    by_subject = {r["patient"]: r for r in images}
    out = []
    for subject in sorted(set(clinical) | set(by_subject)):
        record: dict[str, Any] = {"patient": subject}
        for key, value in clinical.get(subject, {}).items():
            record[f"dm_{key}"] = value
        image = by_subject.get(subject, {})
        for key in ("sex", "age", "study_year", "manufacturer", "institution"):
            record[f"img_{key}"] = image.get(key, "unknown")
        out.append(record)
    return out


def generalise_joint(record: dict[str, Any], age_band: int = 10) -> dict[str, Any]:
    """A copy of a joint record with both ages in bands of ``age_band`` years."""
    out = dict(record)
    for key in ("dm_age", "img_age"):
        if key in out:
            out[key] = generalise({"age": out[key]}, age_band)["age"]
    return out
