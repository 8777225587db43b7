"""The anonymisation report: its sections, joint k-anonymity over DM and headers, no identifiers.

Joint k is recomputed here from the released DM (pandas) and the released headers read with
pydicom, without imgshare.risk; the trial generator's own record (AGES, the subject map) gives
the expected top-coded age.
"""

from __future__ import annotations

from collections import Counter

import pydicom
import pytest

from imgshare import release_report, risk, trial
from imgshare.book import worked


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    return worked.release_with_preset(tmp_path_factory.mktemp("request"), n_subjects=3)


@pytest.fixture(scope="module")
def text(release):
    passed = int(release.consistency.ok.sum())
    return release_report.anonymisation_report(
        release.report.to_json(),
        release.verification.to_json(),
        release.recipe,
        release.released.dm,
        release.images,
        {"passed": passed, "total": len(release.consistency)},
    )


def test_sections_in_order(text) -> None:
    headings = [line for line in text.splitlines() if line.startswith("**") and line[2].isdigit()]
    assert [h.split(". ", 1)[1].rstrip("*") for h in headings] == [
        "The request and the data package",
        "Anonymisation methodology",
        "Identification of variables and techniques applied",
        "Re-identification risk",
        "Data utility",
        "Images",
        "Residual risks and deviations",
        "Approval",
    ]


def test_no_identifier_of_the_source_in_the_report(release, text) -> None:
    t = release.trial
    originals = list(t.subject_map.original_id) + list(t.clinical.dm.RFSTDTC)
    names = [f"{trial._LAST[i]}" for i in range(3)] + [f"{trial._FIRST[i]}" for i in range(3)]
    for value in originals + names:
        assert value not in text


def independent_joint_k(release) -> tuple[int, int, int]:
    """k for DM alone, headers alone and both, by counting equivalence classes by hand."""
    dm = {r.USUBJID: (int(r.AGE) // 10, r.SEX, r.SITEID) for r in release.released.dm.itertuples()}
    headers = {}
    for path in sorted(release.images.rglob("*.dcm")):
        ds = pydicom.dcmread(path, stop_before_pixels=True)
        headers.setdefault(
            str(ds.PatientID),
            (
                str(ds.PatientSex),
                int(str(ds.PatientAge)[:3]) // 10,
                str(ds.StudyDate)[:4],
                str(ds.get("Manufacturer", "")),
                str(ds.get("InstitutionName", "")),
            ),
        )
    both = {s: dm[s] + headers[s] for s in dm}
    return tuple(min(Counter(v.values()).values()) for v in (dm, headers, both))


def test_joint_k_matches_an_independent_count(release, text) -> None:
    expected = independent_joint_k(release)
    rows = release_report.risk_table(release.released.dm, release.images)
    assert tuple(r["k"] for r in rows) == expected
    assert rows[-1]["k"] <= min(rows[0]["k"], rows[1]["k"])  # joint is never safer
    line = next(x for x in text.splitlines() if x.startswith("| both together"))
    assert f"| {expected[2]} |" in line


def test_the_subject_over_89_is_90_in_both_releases(release) -> None:
    old = [i for i in range(3) if trial.AGES[i] > 89]
    assert old, "the generator's record has a subject over 89"
    subject = release.trial.subject_map.subject_id[old[0]]
    dm_age = release.released.dm.set_index("USUBJID").AGE[subject]
    ages = {
        str(pydicom.dcmread(p, stop_before_pixels=True).PatientAge)
        for p in release.images.rglob("*.dcm")
        if pydicom.dcmread(p, stop_before_pixels=True).PatientID == subject
    }
    assert dm_age == 90 and ages == {"090Y"}


def test_site_in_headers_is_the_released_siteid(release) -> None:
    sites = dict(zip(release.released.dm.USUBJID, release.released.dm.SITEID, strict=True))
    for path in release.images.rglob("*.dcm"):
        ds = pydicom.dcmread(path, stop_before_pixels=True)
        assert ds.ClinicalTrialSiteID == sites[str(ds.PatientID)]
        assert ds.ClinicalTrialProtocolID == trial.STUDYID
        assert "InstitutionName" not in ds or ds.InstitutionName in ("", "DEIDENTIFIED")


def test_joint_records_keep_subjects_missing_from_either_side() -> None:
    clinical = {"S1": {"age": 50, "sex": "F"}, "S2": {"age": 61, "sex": "M"}}
    images = [{"patient": "S1", "sex": "F", "age": 50}, {"patient": "S3", "sex": "M"}]
    joint = risk.joint_records(clinical, images)
    assert [r["patient"] for r in joint] == ["S1", "S2", "S3"]
    assert joint[1]["img_sex"] == "unknown" and "dm_sex" not in joint[2]
    banded = risk.generalise_joint(joint[0])
    assert banded["dm_age"] == "50-59" and banded["img_age"] == "50-59"
