"""The SDTM preset: ages over 89, birth dates, site and device identity, group 0012.

Expected values come from the inputs built here (ages, dates, subject-map rows), from the
rules written as data in book/guidance/data/sdtm_dicom_map.csv and from PS3.15 Table E.1-1,
and outputs are read back with pydicom: never from imgshare.dicom.presets itself.
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
from pathlib import Path

import pydicom
import pytest
import yaml
from dicom_helpers import ct, save
from pydicom.datadict import dictionary_description

from imgshare import batch
from imgshare.dicom import engine, subjects
from imgshare.dicom.config import Config, RecipeError, build
from imgshare.dicom.presets import PresetError
from imgshare.dicom.subjects import Subject

ROOT = Path(__file__).resolve().parents[1]
KEY = b"p" * 32
TRIAL = (("protocol_id", "ONC-001"), ("sponsor", "Example Pharma"))
SUBJECT = Subject("ONC001-P4821", -1200, site_id="S07", study_id="ONC-001", rfstdtc="2020-03-01")


def run(ds, *options, subject=SUBJECT, trial=TRIAL, **kw):
    out = copy.deepcopy(ds)
    cfg = Config(
        key=KEY,
        options=options,
        subjects={str(ds.PatientID): subject} if subject else None,
        preset="sdtm",
        trial=trial,
        **kw,
    )
    return out, engine.apply(out, cfg)


def aged(age: str = "", birth: str = "19510829", study: str = "20200315"):
    ds = ct(study_date=study)
    ds.PatientAge = age
    ds.PatientBirthDate = birth
    return ds


@pytest.mark.parametrize(
    ("age", "birth", "expected"),
    [
        ("091Y", "", "090Y"),  # over 89 by the Age String
        ("090Y", "", "090Y"),
        ("089Y", "", "089Y"),  # 89 is released as is
        ("089Y", "19300101", "090Y"),  # the dates say 90 on 2020-03-15: the larger wins
        ("045Y", "19750316", "045Y"),  # 44 by the dates, 45 by the string: both under 90
    ],
)
def test_ages_over_89_are_top_coded(age, birth, expected) -> None:
    out, _ = run(aged(age, birth), "retain-patient-characteristics")
    assert out.PatientAge == expected


def test_without_the_preset_the_age_is_kept_as_is() -> None:
    out = copy.deepcopy(aged("093Y"))
    engine.apply(out, Config(key=KEY, options=("retain-patient-characteristics",)))
    assert out.PatientAge == "093Y"


def test_age_is_not_added_where_the_options_removed_it() -> None:
    out, _ = run(aged("093Y"))  # Patient's Age is X in the Basic Profile
    assert "PatientAge" not in out


def test_birth_date_and_time_never_leave_even_against_an_override() -> None:
    src = aged("050Y")
    src.PatientBirthTime = "081500"
    out, _ = run(src, overrides={0x00100030: "K", 0x00100032: "K"})
    assert out.PatientBirthDate == "" and "PatientBirthTime" not in out


def test_group_0012_is_filled_from_the_subject_map_and_recipe() -> None:
    src = ct(study_date="20200315")
    src.ClinicalTrialSiteName = "St Elsewhere Oncology Unit"
    src.ClinicalTrialCoordinatingCenterName = "Core Lab of Exampletown"
    src.ClinicalTrialSubjectID = "0101-007"
    out, _ = run(src, "retain-long-modified-dates")
    assert out.ClinicalTrialSponsorName == "Example Pharma"
    assert out.ClinicalTrialProtocolID == SUBJECT.study_id
    assert out.ClinicalTrialSiteID == SUBJECT.site_id
    assert out.ClinicalTrialSiteName == ""
    assert out.ClinicalTrialSubjectID == SUBJECT.subject_id == out.PatientID
    day = (dt.date(2020, 3, 15) - dt.date(2020, 3, 1)).days + 1  # SDTMIG 4.4.4: day 1 = RFSTDTC
    assert out.ClinicalTrialTimePointID == f"DAY {day}" == "DAY 15"
    assert out.ClinicalTrialCoordinatingCenterName == ""  # Z in Table E.1-1
    assert "imgshare preset sdtm" in out.DeidentificationMethod
    text = repr(out)
    for original in ("St Elsewhere", "Core Lab", "0101-007", "PAT-001"):
        assert original not in text


def test_time_point_before_the_reference_date_has_no_day_zero() -> None:
    out, _ = run(ct(study_date="20200229"))  # the day before RFSTDTC 2020-03-01
    assert out.ClinicalTrialTimePointID == "DAY -1"
    same, _ = run(ct(study_date="20200301"))
    assert same.ClinicalTrialTimePointID == "DAY 1"


def test_no_subject_map_takes_the_protocol_from_the_recipe() -> None:
    out, _ = run(ct(), subject=None)
    assert out.ClinicalTrialProtocolID == "ONC-001" and out.ClinicalTrialSiteID == ""
    assert "ClinicalTrialTimePointID" not in out  # no RFSTDTC: no study day is invented


def test_a_protocol_is_required() -> None:
    bare = Subject("X1", 0)
    with pytest.raises(engine.DeidError, match="protocol"):
        run(ct(), subject=bare, trial=(("sponsor", "Example Pharma"),))


@pytest.mark.parametrize("option", ["retain-device-identity", "retain-institution-identity"])
def test_options_that_keep_site_identity_are_refused(option) -> None:
    with pytest.raises(PresetError, match=option):
        Config(key=KEY, options=(option,), preset="sdtm", trial=TRIAL)


@pytest.mark.parametrize("tag", [0x00081010, 0x00181000, 0x00080080])  # station, serial, inst.
def test_overrides_that_keep_site_identity_are_refused(tag) -> None:
    with pytest.raises(PresetError, match="overrides keep"):
        Config(key=KEY, overrides={tag: "K"}, preset="sdtm", trial=TRIAL)


def test_site_and_device_values_do_not_survive() -> None:
    out, _ = run(ct(), "retain-long-modified-dates", "retain-patient-characteristics")
    text = repr(out)
    for original in ("Example General Hospital", "CTSCAN01", "SN-4455"):
        assert original not in text


def test_plan_shows_the_preset_and_changes_nothing() -> None:
    src = aged("095Y")
    before = copy.deepcopy(src)
    options = ("retain-patient-characteristics",)
    smap = {"PAT-001": SUBJECT}
    cfg = Config(key=KEY, options=options, subjects=smap, preset="sdtm", trial=TRIAL)
    ctx = engine.plan(src, cfg)
    assert src == before
    reasons = {d.keyword: d.reason for d in ctx.decisions if d.reason.startswith("preset sdtm")}
    assert "090Y" in reasons["PatientAge"] and "ClinicalTrialSiteID" in reasons
    assert not any("095" in d.reason or "S07" in d.reason for d in ctx.decisions)


def test_recipe_and_subject_map_drive_a_batch(tmp_path) -> None:
    src = aged("092Y")
    save(src, tmp_path / "in" / "a.dcm")
    (tmp_path / "key.bin").write_text(KEY.hex())
    (tmp_path / "key.bin").chmod(0o600)
    smap = tmp_path / "map.csv"
    smap.write_text(
        "original_id,subject_id,date_offset_days,site_id,study_id,rfstdtc\n"
        "PAT-001,ONC001-P4821,-1200,S07,ONC-001,2020-03-01\n"
    )
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(
        yaml.safe_dump(
            {
                "options": ["retain-long-modified-dates", "retain-patient-characteristics"],
                "preset": {"name": "sdtm", "sponsor": "Example Pharma"},
            }
        )
    )
    cfg = build(tmp_path / "key.bin", subject_map=smap, recipe=recipe)
    report = batch.run(tmp_path / "in", tmp_path / "out", cfg)
    assert report.counts["processed"] == 1, report.text()
    out = pydicom.dcmread(next((tmp_path / "out").rglob("*.dcm")))
    assert out.PatientAge == "090Y" and out.ClinicalTrialSiteID == "S07"
    assert out.ClinicalTrialProtocolID == "ONC-001" and out.PatientID == "ONC001-P4821"
    assert out.StudyDate == (dt.date(2020, 3, 15) - dt.timedelta(days=1200)).strftime("%Y%m%d")
    assert out.ClinicalTrialTimePointID == "DAY 15"  # the study day survives the date shift


def test_recipe_rejects_unknown_presets_and_settings(tmp_path) -> None:
    (tmp_path / "key.bin").write_text(KEY.hex())
    (tmp_path / "key.bin").chmod(0o600)
    for preset in ("adam", {"name": "sdtm", "sponsor": "X", "colour": "red"}):
        recipe = tmp_path / "recipe.yaml"
        recipe.write_text(yaml.safe_dump({"preset": preset}))
        with pytest.raises((PresetError, RecipeError)):
            build(tmp_path / "key.bin", recipe=recipe)


def test_three_column_subject_maps_stay_valid(tmp_path) -> None:
    smap = tmp_path / "map.csv"
    smap.write_text("original_id,subject_id,date_offset_days\nA,S1,-3\n")
    assert subjects.load(smap)["A"] == Subject("S1", -3)


def test_mapping_table_names_real_attributes() -> None:
    """Every DICOM attribute in the PHUSE-to-DICOM table is named as PS3.6 names it."""
    table = ROOT / "book" / "guidance" / "data" / "sdtm_dicom_map.csv"
    with table.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert {"USUBJID", "SITEID", "AGE", "BRTHDTC", "COUNTRY"} <= {r["sdtm_variable"] for r in rows}
    for row in rows:
        for part in row["dicom_attributes"].split(";"):
            part = part.strip()
            if not part.startswith("("):
                continue
            tag, name = int(part[1:5] + part[6:10], 16), part[12:]
            assert dictionary_description(tag) == name, part
