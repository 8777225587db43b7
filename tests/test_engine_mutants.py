"""The engine's Clean (C) and dummy (D) paths and the values it searches text for, pinned.

Mutation testing found these unpinned: a C on a date-time, a UID, an AE title or a
multi-valued text could do anything and the tests stayed green, and the values gathered from
sequences for the text cleaner could be lost. Expected values come from the source datasets
built here, from PS3.15 Table E.1-1 (the packaged JSON, read here with json), from PS3.5's
length limits written as literals, or from pydicom reading the output.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path

import pytest
from dicom_helpers import content_item, ct
from pydicom import Dataset, Sequence
from pydicom.uid import UID

from imgshare.dicom import engine
from imgshare.dicom.config import Config
from imgshare.dicom.subjects import Subject

KEY = b"k" * 32
ROOT = Path(__file__).resolve().parents[1]
TABLE = {
    row["tag"]: row
    for row in json.loads((ROOT / "src/imgshare/profile/table_e1_1.json").read_text())
}


def run(ds: Dataset, *options: str, **kw) -> tuple[Dataset, engine.Context]:
    out = copy.deepcopy(ds)
    return out, engine.apply(out, Config(key=KEY, options=options, **kw))


def test_the_table_rows_these_tests_rely_on():
    """The actions below are the table's (read from its JSON, not from the engine)."""
    assert TABLE["(0008,002A)"]["rtnLongModifDatesOpt"] == "C"  # Acquisition DateTime
    assert TABLE["(0008,0055)"]["rtnDevIdOpt"] == "C"  # Station AE Title
    assert TABLE["(0008,1080)"]["cleanDescOpt"] == "C"  # Admitting Diagnoses Description
    assert TABLE["(0008,103E)"]["cleanDescOpt"] == "C"  # Series Description
    assert TABLE["(006A,0003)"]["basicProfile"] == "D"  # Annotation Group UID
    assert TABLE["(0010,0010)"]["basicProfile"] == "Z"  # Patient's Name
    assert "(0008,0090)" in TABLE  # Referring Physician's Name


# --- C on dates and date-times -----------------------------------------------------------


def test_a_date_time_is_shifted_by_whole_days_keeping_the_time():
    src = ct()
    src.AcquisitionDateTime = "20200315101530.25"
    out, _ = run(src, "retain-long-modified-dates", subjects={"PAT-001": Subject("T-1", -100)})
    # 2020-03-15 minus 100 days is 2019-12-06 (subject map's offset); the time stays
    assert str(out.AcquisitionDateTime).startswith("20191206101530")
    assert out.StudyDate == "20191206"


def test_a_date_that_cannot_be_shifted_is_emptied_with_a_note():
    src = ct()
    src.ContentDate = "20201399"  # no such day
    out, ctx = run(src, "retain-long-modified-dates")
    assert out.ContentDate == ""
    assert any("(0008,0023)" in n and "emptied" in n for n in ctx.notes), ctx.notes
    assert out.StudyDate not in ("", src.StudyDate)  # the others are still shifted


def test_full_dates_stay_in_cleaned_structured_content():
    src = ct()
    src.ContentSequence = Sequence([content_item("DATE", Date="20200315")])
    full, _ = run(src, "clean-structured-content", "retain-long-full-dates")
    assert full.ContentSequence[0].Date == "20200315"
    modified, _ = run(src, "clean-structured-content", "retain-long-modified-dates")
    assert modified.ContentSequence[0].Date not in ("", "20200315")
    shifted = dt.datetime.strptime(modified.ContentSequence[0].Date, "%Y%m%d")
    assert shifted < dt.datetime(2020, 3, 15)  # the offset goes back in time (one to ten years)


# --- C on names, UIDs, AE titles and text ------------------------------------------------------


def test_a_person_name_in_cleaned_structured_content_is_replaced_not_emptied():
    src = ct()
    src.ContentSequence = Sequence([content_item("PNAME", PersonName="Doe^Jane")])
    out, _ = run(src, "clean-structured-content")
    value = str(out.ContentSequence[0].PersonName)
    assert value.strip() and value != "None"
    assert not {"doe", "jane"} & set(value.lower().replace("^", " ").split())


def test_a_uid_to_clean_is_replaced_by_a_valid_new_one():
    src = ct()
    out, _ = run(src, overrides={0x0020000D: "C", 0x0020000E: "C"})
    for keyword in ("StudyInstanceUID", "SeriesInstanceUID"):
        new = str(out[keyword].value)
        assert new != str(src[keyword].value) and UID(new).is_valid, keyword
    # the same UID is replaced the same way whatever the action that replaced it (C or U)
    plain, _ = run(src)
    assert out.StudyInstanceUID == plain.StudyInstanceUID


def test_a_dummy_for_a_uid_is_a_valid_uid():
    src = ct()
    src.add_new(0x006A0003, "UI", "1.2.826.0.1.3680043.8.498.1")  # Annotation Group UID: D
    out, _ = run(src)
    new = str(out[0x006A0003].value)
    assert new != "1.2.826.0.1.3680043.8.498.1" and UID(new).is_valid


def test_an_ae_title_kept_by_an_option_is_cleaned():
    src = ct()
    src.StationAETitle = "CT PAT-001"  # the Patient ID inside an AE title
    out, _ = run(src, "retain-device-identity")
    assert out.StationAETitle not in ("", "CT PAT-001") and "PAT-001" not in out.StationAETitle


def test_a_code_string_that_cannot_be_made_safe_is_emptied_with_a_note():
    src = ct()
    src.ImageType = ["ORIGINAL", "PRIMARY", "DR QUENNELL"]  # a title and a name: refused
    out, ctx = run(src, overrides={0x00080008: "C"})
    assert out.ImageType == ""
    assert any("(0008,0008)" in n and "emptied" in n for n in ctx.notes), ctx.notes
    src.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
    out, ctx = run(src, overrides={0x00080008: "C"})
    assert list(out.ImageType) == ["ORIGINAL", "PRIMARY", "AXIAL"] and not ctx.notes


def test_each_value_of_a_multi_valued_text_is_cleaned():
    src = ct()
    src.AdmittingDiagnosesDescription = ["Knee pain", "chest pain per Dr Zqxwv"]
    out, _ = run(src, "clean-descriptors")
    values = list(out.AdmittingDiagnosesDescription)
    assert len(values) == 2 and values[0] == "Knee pain"
    assert "chest pain" in values[1] and "Zqxwv" not in values[1]
    src.AdmittingDiagnosesDescription = "Knee pain"  # one value stays one value
    out, _ = run(src, "clean-descriptors")
    assert out.AdmittingDiagnosesDescription == "Knee pain"


def test_cleaned_text_fits_its_vr():
    src = ct()
    src.SeriesDescription = ("chest Zq " * 7).strip()  # 62 characters: each Zq becomes a marker
    src.ImageComments = "chest Zq " * 1200  # LT: at most 10240 characters (PS3.5 Table 6.2-1)
    out, _ = run(src, "clean-descriptors")
    assert 0 < len(out.SeriesDescription) <= 64  # LO: at most 64 characters (PS3.5 Table 6.2-1)
    assert out.SeriesDescription.startswith("chest")
    assert "Zq" not in out.SeriesDescription
    assert 0 < len(out.ImageComments) <= 10240


def test_empty_values_stay_empty_under_clean():
    src = ct()
    src.SeriesDescription = ""
    out, ctx = run(src, "clean-descriptors")
    assert out.SeriesDescription == "" and not ctx.notes


# --- the values searched for in free text ----------------------------------------------------


def test_identifying_values_come_from_every_depth():
    ds = Dataset()
    ds.PatientName = "Lark^Wren"
    ds.PatientBirthDate = "19510829"
    ds.OtherPatientIDs = "MRN-778899"
    ds.InstitutionName = "Rookery Heath Clinic"  # LO: whole, and its words of four letters up
    ds.Modality = "CT"  # K in the table: not searched
    ds.StudyDescription = "chest pain"  # itself a description (Clean Descriptors): not searched
    inner = Dataset()
    inner.ReferringPhysicianName = "Finch^Robin"  # two levels down
    deeper = Dataset()
    deeper.RequestingPhysician = "Plover^Dunlin"
    inner.RequestAttributesSequence = Sequence([deeper])
    ds.ReferencedStudySequence = Sequence([inner])
    ds.AccessionNumber = "ACC-55"  # SH
    ds.StationAETitle = "RAD_AE_7"  # AE
    ds.AcquisitionDateTime = "20190704123000"  # DT
    ds.StudyID = "ST^Gannet"  # SH with a caret: its words too
    ds.PatientSex = "F"  # CS listed (Z): searched as it is
    values = engine.identifying_values(ds)
    assert {"ACC-55", "RAD_AE_7", "ST^Gannet", "Gannet", "F"} <= values
    assert {"20190704", "2019-07-04", "04/07/2019"} <= values
    assert {"Lark", "Wren", "Lark Wren", "Wren Lark"} <= values
    assert {"Finch", "Robin", "Plover", "Dunlin"} <= values
    assert {"19510829", "1951-08-29", "29/08/1951"} <= values
    assert {"MRN-778899", "Rookery Heath Clinic", "Rookery", "Heath", "Clinic"} <= values
    assert "CT" not in values and "chest pain" not in values and "chest" not in values


def test_a_name_known_only_from_a_sequence_is_removed_from_a_description():
    src = ct()
    # "White" is a clinical word (white matter): only the dataset's own values can tell
    src.RequestAttributesSequence[0].RequestingPhysician = "White^Zyx"
    src.StudyDescription = "CT chest White"
    out, _ = run(src, "clean-descriptors")
    assert "White" not in out.StudyDescription and "CT chest" in out.StudyDescription
    # the control: without the name in the dataset, the clinical word stays
    src.RequestAttributesSequence[0].RequestingPhysician = "Zyx^Qwv"
    out, _ = run(src, "clean-descriptors")
    assert "White" in out.StudyDescription


def test_values_of_multi_valued_names_are_searched():
    ds = Dataset()
    ds.OtherPatientNames = ["Lark^Wren", "Finch^Robin"]
    assert {"Lark", "Robin"} <= engine.identifying_values(ds)


# --- the report's summary --------------------------------------------------------------------


def test_summary_counts_every_decision_and_lists_what_changed():
    src = ct()
    out, ctx = run(src, "clean-descriptors")
    summary = engine.summary(ctx)
    counted: dict[str, int] = {}
    for d in ctx.decisions:
        counted[d.action] = counted.get(d.action, 0) + 1
    assert summary["actions"] == dict(sorted(counted.items()))
    assert list(summary["actions"]) == sorted(summary["actions"])
    assert "K" not in summary["tags"]
    assert sorted(summary["tags"]["X"]) == sorted(d.path for d in ctx.decisions if d.action == "X")
    assert "(0010,1040)" in summary["tags"]["X"]  # Patient's Address
    assert "(0008,1140)" in summary["tags"]["X"]  # Referenced Image Sequence (Type 3 here)
    nested = [p for p in summary["tags"].get("U", []) if "[0]." in p]
    assert all(p.startswith("(") for p in nested)
    assert engine.summary(ctx) == summary  # the same again (its tag texts are cached)


@pytest.mark.parametrize("depth", [1, 2])
def test_summary_paths_of_nested_elements(depth):
    src = ct()
    item = src
    for _ in range(depth):
        child = Dataset()
        item.ReferencedSeriesSequence = Sequence([child])
        item = child
    item.PatientName = "Doe^Jane"
    _, ctx = run(src)
    paths = [p for ps in engine.summary(ctx)["tags"].values() for p in ps]
    expected = "(0008,1115)[0]." * depth + "(0010,0010)"
    assert expected in paths


# --- UIDs and overlays --------------------------------------------------------------------


def test_each_uid_of_a_multi_valued_list_is_replaced():
    src = ct()
    old = ["1.2.826.0.1.3680043.8.498.11", "1.2.826.0.1.3680043.8.498.12"]
    src.add_new(0x00080058, "UI", old)  # Failed SOP Instance UID List: U, VM 1-n
    assert TABLE["(0008,0058)"]["basicProfile"] == "U"
    out, _ = run(src)
    new = [str(u) for u in out[0x00080058].value]
    assert len(new) == 2 and len(set(new)) == 2
    assert all(UID(u).is_valid and u not in old for u in new)


def test_an_empty_uid_stays_empty():
    src = ct()
    src.add_new(0x00080058, "UI", "")
    out, _ = run(src)
    assert out[0x00080058].value in ("", None)


def test_replacing_a_value_that_is_no_uid_gives_a_dummy_of_its_vr():
    src = ct()
    out, _ = run(src, overrides={0x0008103E: "U"})  # a recipe asks U for Series Description
    assert out.SeriesDescription not in ("", None, src.SeriesDescription)


def test_clean_graphics_keeps_an_overlay_with_its_data_and_drops_orphan_groups():
    src = ct()
    src.add_new(0x60000010, "US", 4)  # Overlay Rows and Columns, with its Overlay Data
    src.add_new(0x60000011, "US", 4)
    src.add_new(0x60003000, "OW", b"\x00\x01" * 2)
    src.add_new(0x60020010, "US", 4)  # a group with no Overlay Data
    out, _ = run(src, "clean-graphics")
    assert 0x60000010 in out and 0x60003000 in out
    assert 0x60020010 not in out


# --- which patient: Patient ID qualified by its issuer --------------------------------------


def _with(patient_id: str | None, issuer: str | None, study: str = "1.2.3.4") -> Dataset:
    ds = ct(study_uid=study)
    if patient_id is None:
        del ds.PatientID
    else:
        ds.PatientID = patient_id
    if issuer is not None:
        ds.IssuerOfPatientID = issuer
    return ds


def test_the_same_patient_id_from_two_issuers_is_two_subjects():
    a, _ = run(_with("P-17", "HOSP_A"))
    b, _ = run(_with("P-17", "HOSP_B"))
    c, _ = run(_with("P-17", "HOSP_A", study="1.2.3.5"))
    assert a.PatientID != b.PatientID  # an ID is unique only within its issuer
    assert a.PatientID == c.PatientID  # one patient, two studies: one subject
    d, _ = run(_with("P-18", "HOSP_A"))
    assert d.PatientID != a.PatientID  # two patients of one issuer


def test_a_subject_map_is_matched_on_id_and_issuer():
    subjects = {"P-17\\HOSP_A": Subject("TRIAL-1", -10), "P-17": Subject("TRIAL-2", -20)}
    a, _ = run(_with("P-17", "HOSP_A"), subjects=subjects)
    b, _ = run(_with("P-17", None), subjects=subjects)
    assert a.PatientID == "TRIAL-1" and b.PatientID == "TRIAL-2"
    with pytest.raises(engine.DeidError, match="not in the subject map") as info:
        run(_with("P-17", "HOSP_B"), subjects=subjects)
    assert "P-17" not in str(info.value) and "HOSP_B" not in str(info.value)
    with pytest.raises(engine.DeidError, match="no Patient ID"):
        run(_with(None, None), subjects=subjects)


def test_without_a_patient_id_the_pseudonym_is_made_per_study():
    a, ctx = run(_with(None, None, study="1.2.3.4"))
    b, _ = run(_with(None, None, study="1.2.3.4"))
    c, _ = run(_with(None, None, study="1.2.3.5"))
    assert a.PatientName == b.PatientName != c.PatientName
    assert any("this study alone" in n for n in ctx.notes)
    empty, _ = run(_with("", None, study="1.2.3.4"))  # an empty Patient ID is no Patient ID
    assert empty.PatientName == a.PatientName
    none = _with(None, None)
    del none.StudyInstanceUID
    other = copy.deepcopy(none)
    other.SOPInstanceUID = "1.2.826.0.1.3680043.8.498.99"
    one, ctx = run(none)
    assert any("this file alone" in n for n in ctx.notes)
    assert one.PatientName != run(other)[0].PatientName  # one pseudonym per file
    with_id, ctx = run(_with("P-17", None))
    assert not ctx.notes


# --- decisions that depend on a value are never reused from another file -----------------------


def test_a_private_element_is_judged_by_its_own_creator_in_every_file():
    safe = frozenset({(0x0019, "ACME_RESEARCH_1", 0x10)})
    first = ct()
    first.private_block(0x0019, "ACME_RESEARCH_1", create=True).add_new(0x10, "LO", "safe value")
    second = ct()  # the same tag (0019,1010), but another creator's block: not on the list
    second.private_block(0x0019, "OTHER_VENDOR", create=True).add_new(0x10, "LO", "Doe^Jane")
    kept, _ = run(first, "retain-safe-private", safe_private=safe)
    assert kept[0x00191010].value == "safe value"
    removed, _ = run(second, "retain-safe-private", safe_private=safe)
    assert 0x00191010 not in removed and 0x00190010 not in removed


def test_a_uid_outside_the_table_is_judged_by_its_own_value_in_every_file():
    registered, unregistered = "1.2.840.10008.1.2.1", "1.2.826.0.1.3680043.8.498.77"
    assert "(0008,9123)" not in TABLE  # Creator-Version UID
    first = ct()
    first.add_new(0x00089123, "UI", registered)  # a registered DICOM UID names no instance
    second = ct()
    second.add_new(0x00089123, "UI", unregistered)
    assert run(first)[0][0x00089123].value == registered
    new = str(run(second)[0][0x00089123].value)
    assert new != unregistered and UID(new).is_valid


# --- what the output records about its de-identification ------------------------------------


def test_the_method_code_sequence_holds_the_standards_codes():
    """PS3.3 C.12.1.1.7: codes of CID 7050, checked against pydicom's copy of the standard."""
    from pydicom.sr.codedict import codes

    out, _ = run(ct(), "clean-descriptors", "retain-long-modified-dates")
    got = [
        (i.CodeValue, i.CodingSchemeDesignator, i.CodeMeaning)
        for i in out.DeidentificationMethodCodeSequence
    ]
    wanted = [
        codes.DCM.BasicApplicationConfidentialityProfile,
        codes.DCM.CleanDescriptorsOption,
        codes.DCM.RetainLongitudinalTemporalInformationModifiedDatesOption,
    ]
    assert got == [(c.value, c.scheme_designator, c.meaning) for c in wanted]
    assert out.preamble == b"\x00" * 128


# --- group lengths, overlays and private elements ------------------------------------------


def test_group_lengths_go():
    src = ct()
    src.add_new(0x00180000, "UL", 1234)  # a group length: deprecated, and wrong after editing
    out, ctx = run(src)
    assert 0x00180000 not in out


def test_every_element_of_an_overlay_group_follows_overlay_data_in_the_plan():
    src = ct()
    src.add_new(0x60000010, "US", 4)
    src.add_new(0x60000011, "US", 4)
    src.add_new(0x60003000, "OW", b"\x00\x01" * 2)
    assert TABLE["(60XX,3000)"]["basicProfile"] == "X"  # Overlay Data
    actions = {d.path: d.action for d in engine.plan(src, Config(key=KEY)).decisions}
    assert actions["(6000,0010)"] == actions["(6000,3000)"] == "X"


def _with_private(creator: str, tag_in_block: int, vr: str, value) -> Dataset:
    ds = ct()
    ds.private_block(0x7053, creator, create=True).add_new(tag_in_block, vr, value)
    return ds


def test_safe_private_attributes_of_table_e3_10_1_are_kept():
    import csv

    rows = list(csv.DictReader((ROOT / "src/imgshare/profile/table_e3_10_1.csv").open()))
    row = next(r for r in rows if r["Data Element"] == "(7053,xx00)")
    assert row["Private Creator"] == "Philips PET Private Group" and row["VR"] == "DS"
    src = _with_private("Philips PET Private Group", 0x00, "DS", "0.00123")
    out, _ = run(src, "retain-safe-private")
    assert out[0x70531000].value == 0.00123  # kept
    assert out[0x70530010].value == "Philips PET Private Group"  # with its creator
    plain, _ = run(src)
    assert 0x70531000 not in plain and 0x70530010 not in plain


def test_safe_private_text_is_cleaned_only_under_clean_descriptors():
    safe = frozenset({(0x7053, "TRIAL_NOTES_1", 0x10)})
    src = _with_private("TRIAL_NOTES_1", 0x10, "LO", "Contrast given by Ilse Zqxwort")
    cleaned, _ = run(src, "retain-safe-private", "clean-descriptors", safe_private=safe)
    assert "contrast" in cleaned[0x70531010].value.lower()
    assert "Zqxwort" not in cleaned[0x70531010].value
    kept, _ = run(src, "retain-safe-private", safe_private=safe)
    assert kept[0x70531010].value == "Contrast given by Ilse Zqxwort"
    number = _with_private("TRIAL_NOTES_1", 0x10, "DS", "2.5")
    out, _ = run(number, "retain-safe-private", "clean-descriptors", safe_private=safe)
    assert out[0x70531010].value == 2.5


def test_uids_that_name_a_kind_not_an_instance_are_kept():
    src = ct()
    private_class = "1.3.46.670589.11.0.0.12.1"  # a vendor's SOP class: not in PS3.6
    src.add_new(0x00081150, "UI", private_class)  # Referenced SOP Class UID
    src.add_new(0x04000010, "UI", "1.2.3.4.5")  # MAC Calculation Transfer Syntax UID
    src.add_new(0x0008010C, "UI", "1.2.3.4.6")  # Coding Scheme UID
    src.add_new(0x00080117, "UI", "1.2.3.4.7")  # Context UID
    out, _ = run(src)
    for tag, value in [(0x00081150, private_class), (0x04000010, "1.2.3.4.5"),
                       (0x0008010C, "1.2.3.4.6"), (0x00080117, "1.2.3.4.7")]:  # fmt: skip
        assert f"({tag >> 16:04X},{tag & 0xFFFF:04X})" not in TABLE
        assert out[tag].value == value, hex(tag)


def test_nesting_up_to_the_limit_is_walked():
    src = ct()
    item = src
    for _ in range(engine.MAX_DEPTH):
        child = Dataset()
        item.ReferencedSeriesSequence = Sequence([child])
        item = child
    item.PatientName = "Doe^Jane"
    run(src)  # no error at exactly the limit


def test_the_plan_records_a_removed_private_creator_as_removed():
    src = ct()
    src.private_block(0x0019, "ACME_RESEARCH_1", create=True).add_new(0x10, "LO", "x")
    actions = {d.path: (d.action, d.keyword) for d in engine.plan(src, Config(key=KEY)).decisions}
    assert actions["(0019,0010)"] == ("X", "(private creator)")
    assert actions["(0019,1010)"][0] == "X"


def test_values_are_gathered_before_the_walk_empties_them():
    """Referring Physician's Name (0008,0090) is emptied (Z) before Study Description
    (0008,1030) is cleaned: its words must still be searched for in the description."""
    import io

    import pydicom

    made = ct()
    made.ReferringPhysicianName = "White^Zyx"  # "White" is also a clinical word (white matter)
    made.StudyDescription = "CT chest White"
    buffer = io.BytesIO()  # written and read back: elements in tag order, as in any file
    made.save_as(buffer, implicit_vr=False, little_endian=True)
    src = pydicom.dcmread(io.BytesIO(buffer.getvalue()), force=True)
    assert list(src.keys()) == sorted(src.keys())
    out, _ = run(src, "clean-descriptors")
    assert "White" not in out.StudyDescription and "CT chest" in out.StudyDescription
    out, _ = run(src, overrides={0x00081030: "C"})  # a recipe's C, without any option
    assert "White" not in out.StudyDescription


def test_retain_uids_keeps_a_uid_outside_the_table():
    src = ct()
    src.add_new(0x00089123, "UI", "1.2.826.0.1.3680043.8.498.77")  # Creator-Version UID
    out, _ = run(src, "retain-uids")
    assert out[0x00089123].value == "1.2.826.0.1.3680043.8.498.77"


def test_numbers_inside_a_replaced_sequence_are_kept():
    src = ct()
    item = Dataset()
    item.ValueType = "IMAGE"
    item.ReferencedFrameNumber = "3"  # IS: structure, not content
    item.TextValue = "Doe"
    src.ContentSequence = Sequence([item])
    assert TABLE["(0040,A730)"]["basicProfile"] == "D"  # Content Sequence: replaced (D)
    out, _ = run(src)  # inside it, text is replaced and numbers are kept
    assert out.ContentSequence[0].ReferencedFrameNumber == 3
    assert out.ContentSequence[0].TextValue != "Doe"


def test_identifying_values_short_words_empty_values_and_the_deepest_level():
    ds = Dataset()
    ds.InstitutionName = "Rook Heath"  # words of four letters are searched too
    ds.OtherPatientIDs = ["", "MRN-31"]  # an empty value does not stop the others
    item = ds
    for _ in range(engine.MAX_DEPTH):  # the deepest level the walker accepts
        child = Dataset()
        item.ReferencedSeriesSequence = Sequence([child])
        item = child
    item.PatientName = "Gannet^Skua"
    values = engine.identifying_values(ds)
    assert {"Rook", "Heath", "MRN-31", "Gannet", "Skua"} <= values


# --- the reasons a reader sees in `imgshare inspect` and in the report ----------------------
# The expected texts are written here from what the report must say for each rule of the
# module's docstring; they are the user's only explanation of a removal.


def reasons(ctx: engine.Context) -> dict[str, tuple[str, str, str]]:
    return {d.path: (d.action, d.reason, d.vr) for d in ctx.decisions}


def test_the_reason_given_for_each_rule():
    src = ct()
    src.add_new(0x00080000, "UL", 100)  # a public group length
    src.add_new(0x00090100, "LO", "x")  # an odd-group element below any private block
    src.add_new(0x00089123, "UI", "1.2.826.0.1.3680043.8.498.5")  # Creator-Version UID
    src.add_new(0x00191001, "LO", "x")  # a private element whose block has no creator
    src.add_new(0x0018FFF0, "LO", "x")  # a public tag the data dictionary does not know
    got = reasons(engine.plan(src, Config(key=KEY, options=("retain-device-identity",))))
    assert got["(0008,0000)"][:2] == ("X", "group length")
    assert got["(0009,0100)"][:2] == ("X", engine.PRIVATE_REMOVED)
    assert got["(0019,1001)"][:2] == ("X", engine.PRIVATE_REMOVED)
    assert got["(0008,9123)"][:2] == ("U", "not in the table, but an instance UID")
    assert got["(0018,FFF0)"][:2] == ("X", "not in the data dictionary: cannot be checked")
    assert got["(0008,0060)"][:2] == ("K", "not in Table E.1-1")
    # Patient's Name is Z in the table's Basic Profile column
    assert got["(0010,0010)"][:2] == ("Z", "Table E.1-1: Patient's Name")
    # Acquisition Date is X/Z in the table; CT gives it no Type, so X
    assert (
        got["(0008,0022)"][1] == "Table E.1-1: Acquisition Date (X/Z resolved by Type in the IOD)"
    )
    # Station Name is X/Z/D in the Basic Profile, K under Retain Device Identity
    assert got["(0008,1010)"][:2] == ("K", "Table E.1-1: Station Name (changed by an option)")


def test_the_reason_for_a_recipe_override_and_the_allow_list():
    src = ct()
    item = Dataset()
    item.SliceThickness = "1"
    inner = Dataset()
    inner.ReferencedSOPInstanceUID = "1.2.3"
    inner.SliceThickness = "2"
    item.SourceImageSequence = Sequence([inner])
    src.add_new(0x00081115, "SQ", Sequence([item]))  # Referenced Series Sequence
    config = Config(
        key=KEY,
        overrides={0x00180015: "X", 0x00081115: "K"},
        allow_list=frozenset({0x00081115, 0x00180015}),
    )
    got = reasons(engine.plan(src, config))
    assert got["(0018,0015)"][:2] == ("X", "recipe override")
    assert got["(0018,0060)"][:2] == ("X", "not on the allow-list")  # KVP
    # the allow-list is for the top level only: nested attributes keep the table's rules
    assert got["(0008,1115)[0].(0018,0050)"][:2] == ("K", "not in Table E.1-1")
    deeper = "(0008,1115)[0].(0008,2112)[0].(0018,0050)"
    assert got[deeper][:2] == ("K", "not in Table E.1-1")


def test_private_creators_are_recorded_with_their_own_reason_and_fate():
    src = ct()
    src.private_block(0x0045, "GEMS_HELIOS_01", create=True).add_new(0x01, "SS", 3)
    src.private_block(0x0011, "ACME", create=True).add_new(0x01, "LO", "Doe^Jane")
    safe = frozenset({(0x0011, "ACME", 0x01)})
    out, ctx = run(src, "retain-safe-private", safe_private=safe)
    got = reasons(ctx)
    # the creators: LO (PS3.5 7.8.1), kept because an element of their block is kept
    assert got["(0045,0010)"] == ("K", "private creator", "LO")
    assert got["(0011,0010)"] == ("K", "private creator", "LO")
    assert got["(0045,1001)"][:2] == (
        "K",
        "safe private attribute of 'GEMS_HELIOS_01' (PS3.15 Table E.3.10-1)",
    )
    assert got["(0011,1001)"][:2] == (
        "K",
        "safe private attribute of 'ACME' (Retain Safe Private, recipe)",
    )
    assert out[0x00450010].value == "GEMS_HELIOS_01" and out[0x00451001].value == 3
    _, ctx = run(src, "retain-safe-private", "clean-descriptors", safe_private=safe)
    assert reasons(ctx)["(0011,1001)"][:2] == (
        "C",
        "safe private text of 'ACME' (Retain Safe Private, recipe), cleaned (Clean Descriptors)",
    )
    dropped = ct()
    dropped.private_block(0x0045, "GEMS_HELIOS_01", create=True).add_new(0x01, "SS", 3)
    out, ctx = run(dropped)
    assert reasons(ctx)["(0045,0010)"] == ("X", "private creator", "LO")
    assert 0x00450010 not in out


def test_a_private_creator_at_the_last_creator_element():
    """PS3.5 7.8.1: (gggg,0010-00FF) are private creators; 0x00FF reserves (gggg,FF00-FFFF)."""
    src = ct()
    src.add_new(0x004500FF, "LO", "GEMS_HELIOS_01")
    src.add_new(0x0045FF01, "SS", 3)
    got = reasons(engine.plan(src, Config(key=KEY, options=("retain-safe-private",))))
    assert got["(0045,00FF)"] == ("K", "private creator", "LO")
    assert got["(0045,FF01)"][0] == "K"


def test_a_private_decision_is_never_reused_for_another_creator_in_any_group():
    safe_creator, other = ct(), ct()
    safe_creator.private_block(0x0045, "GEMS_HELIOS_01", create=True).add_new(0x01, "SS", 3)
    other.private_block(0x0045, "SOMEONE_ELSE", create=True).add_new(0x01, "SS", 3)
    assert run(safe_creator, "retain-safe-private")[0][0x00451001].value == 3
    assert 0x00451001 not in run(other, "retain-safe-private")[0]
    assert run(safe_creator, "retain-safe-private")[0][0x00451001].value == 3


def test_a_uid_outside_the_table_is_judged_by_its_value_after_a_listed_one():
    """The decision for an unlisted UID is never cached, whatever was decided before it."""
    first, second = ct(), ct()
    first.add_new(0x00089123, "UI", "1.2.840.10008.1.2.1")  # registered (Explicit VR LE)
    second.add_new(0x00089123, "UI", "1.2.826.0.1.3680043.8.498.77")
    for _ in range(2):
        assert run(first)[0][0x00089123].value == "1.2.840.10008.1.2.1"
        assert run(second)[0][0x00089123].value != "1.2.826.0.1.3680043.8.498.77"


def test_several_registered_uids_in_one_attribute_are_kept():
    src = ct()
    assert "(0008,0062)" not in TABLE  # SOP Classes in Study, VM 1-n
    classes = ["1.2.840.10008.5.1.4.1.1.2", "1.2.840.10008.5.1.4.1.1.4"]  # CT, MR Image Storage
    src.add_new(0x00080062, "UI", classes)
    out, ctx = run(src)
    assert list(out.SOPClassesInStudy) == classes
    assert reasons(ctx)["(0008,0062)"][0] == "K"


def test_a_multi_valued_character_set_is_accepted():
    src = ct()
    src.SpecificCharacterSet = [
        "",
        "ISO 2022 IR 87",
    ]  # PS3.3 C.12.1.1.2: Japanese, with code extensions
    out, _ = run(src)  # each name of the list is checked, not the list as one name
    assert list(out.SpecificCharacterSet) == ["", "ISO 2022 IR 87"]


# --- sequences ------------------------------------------------------------------------------


def test_a_sequence_the_table_empties_is_emptied_not_walked():
    src = ct()
    assert TABLE["(0040,0513)"]["basicProfile"] == "Z"  # Issuer of the Container Identifier Seq.
    item = Dataset()
    item.LocalNamespaceEntityID = "HOSPITAL"
    src.add_new(0x00400513, "SQ", Sequence([item]))
    out, ctx = run(src)
    assert 0x00400513 in out and len(out[0x00400513].value) == 0


def test_text_two_sequences_deep_inside_a_replaced_sequence_is_replaced():
    """Inside a D sequence, a sequence outside the table passes the D on to its items."""
    assert TABLE["(0070,0001)"]["basicProfile"] == "D"  # Graphic Annotation Sequence
    assert "(0008,0121)" not in TABLE and "(0008,0222)" not in TABLE
    inner = Dataset()
    inner.add_new(0x00080222, "LO", "Doe^Jane")  # Manufacturer-related Model Group
    middle = Dataset()
    middle.add_new(0x00080121, "SQ", Sequence([inner]))  # Equivalent Code Sequence
    src = ct()
    src.add_new(0x00700001, "SQ", Sequence([middle]))
    out, ctx = run(src)
    assert out[0x00700001][0][0x00080121][0][0x00080222].value == "DEIDENTIFIED"
    path = "(0070,0001)[0].(0008,0121)[0].(0008,0222)"
    assert reasons(ctx)[path][:2] == ("D", "inside a sequence to replace (D)")


def test_a_name_inside_a_cleaned_sequence_becomes_the_dummy_name():
    src = ct()
    item = Dataset()
    item.ValueType = "PNAME"
    item.add_new(0x00142006, "PN", "Doe^Jane")  # Evaluator Name: not in the table
    item.add_new(0x00143076, "DA", "20200315")  # Date of Gain Calibration: not in the table
    src.ContentSequence = Sequence([item])
    assert "(0014,2006)" not in TABLE and "(0014,3076)" not in TABLE
    out, _ = run(src, "clean-structured-content", "retain-long-full-dates")
    assert out.ContentSequence[0][0x00142006].value == "DEIDENTIFIED"
    assert out.ContentSequence[0][0x00143076].value == "20200315"  # full dates retained


# --- notes and refusals the report prints ----------------------------------------------------


def test_the_note_for_a_date_that_cannot_be_shifted():
    src = ct()
    src.ContentDate = "20201399"
    _, ctx = run(src, "retain-long-modified-dates")
    assert "(0008,0023): a date could not be shifted with confidence; emptied" in ctx.notes


def test_the_refusals_and_notes_about_the_subject():
    no_id = ct()
    del no_id.PatientID
    with pytest.raises(engine.DeidError) as err:
        run(no_id, subjects={"PAT-001": Subject("T-1", 0)})
    assert str(err.value) == "no Patient ID: the file cannot be matched to the subject map"
    with pytest.raises(engine.DeidError) as err:
        run(ct(), subjects={"SOMEONE-ELSE": Subject("T-1", 0)})
    assert str(err.value) == (
        "patient is not in the subject map (matched on Patient ID and Issuer of "
        "Patient ID; neither is printed)"
    )
    _, ctx = run(no_id)
    assert ctx.notes == ["no Patient ID: pseudonym and date offset made for this study alone"]
    del no_id.StudyInstanceUID
    _, ctx = run(no_id)
    assert ctx.notes == [
        "no Patient ID and no Study Instance UID: pseudonym made for this file alone"
    ]


def test_identifying_values_include_unlimited_character_ids():
    src = ct()
    assert TABLE["(0018,9371)"]["basicProfile"] == "D"  # X-Ray Detector ID, UC (PS3.6)
    src.add_new(0x00189371, "UC", "DET-7781-QX")
    assert "DET-7781-QX" in engine.identifying_values(src)


# --- Clean Graphics without the pixel module ------------------------------------------------


@pytest.fixture
def no_pixel_module(monkeypatch):
    """As on an installation without imgshare.pixels: no hooks registered, none loadable."""
    from imgshare.dicom import hooks

    monkeypatch.setattr(hooks, "PIXEL_HOOKS", {})
    monkeypatch.setattr(engine.hooks, "PIXEL_HOOKS", hooks.PIXEL_HOOKS)
    monkeypatch.setattr(hooks, "_load_pixel_module", lambda: None)
    monkeypatch.setattr(engine, "_DECISIONS", {})  # decisions made with the module present
    return hooks


def test_pixel_options_are_refused_without_the_pixel_module(no_pixel_module):
    with pytest.raises(engine.DeidError) as err:
        run(ct(), "clean-pixel-data", "clean-recognizable-visual-features")
    assert str(err.value) == (
        "option(s) clean-pixel-data, clean-recognizable-visual-features need the pixel "
        "module, not installed"
    )


def test_overlays_go_under_clean_graphics_without_the_pixel_module(no_pixel_module):
    assert TABLE["(60XX,3000)"]["cleanGraphOpt"] == "C"  # Overlay Data
    assert TABLE["(50XX,XXXX)"]["cleanGraphOpt"] == "C"  # Curve Data
    src = ct()
    src.add_new(0x60000010, "US", 4)
    src.add_new(0x60003000, "OW", b"\x00\x01" * 2)
    src.add_new(0x60020010, "US", 4)
    src.add_new(0x60023000, "OW", b"\x00\x01" * 2)
    src.add_new(0x50003000, "OW", b"\x00\x01" * 2)  # Curve Data (retired, still met)
    out, ctx = run(src, "clean-graphics", "clean-descriptors")
    got = reasons(ctx)
    assert got["(0008,103E)"][0] == "C"  # Series Description: cleaned, not graphics
    for path in ("(6000,3000)", "(6002,3000)", "(5000,3000)"):
        assert got[path][:2] == (
            "X",
            "Clean Graphics: overlay/curve cannot be checked without the pixel module",
        )
    assert not any(e.tag >> 24 in (0x50, 0x60) for e in out)
    # attributes of other groups that Clean Graphics cleans are not graphics
    assert got["(0010,0010)"][0] == "Z"


def test_a_recipes_clean_of_overlay_data_removes_it_without_the_pixel_module(no_pixel_module):
    src = ct()
    src.add_new(0x60000010, "US", 4)
    src.add_new(0x60003000, "OW", b"\x00\x01" * 2)
    out, ctx = run(src, overrides={0x60003000: "C"})
    assert 0x60003000 not in out
    assert "(6000,3000): graphics cannot be cleaned without pixel checks; removed" in ctx.notes


def test_a_recipes_clean_of_overlay_data_is_left_to_the_pixel_module(monkeypatch):
    from imgshare.dicom import hooks

    seen = []
    monkeypatch.setitem(hooks.PIXEL_HOOKS, "clean-graphics", lambda ds, ctx: seen.append(1) or [])
    src = ct()
    src.add_new(0x60000010, "US", 4)
    src.add_new(0x60003000, "OW", b"\x00\x01" * 2)
    out, ctx = run(src, overrides={0x60003000: "C"})
    assert out[0x60003000].value == b"\x00\x01" * 2  # the hook, not the walk, cleans it
    assert not ctx.notes


def test_the_note_for_a_code_string_that_cannot_be_made_safe():
    src = ct()
    src.ImageType = ["ORIGINAL", "PRIMARY", "DR QUENNELL"]  # a title and a name: refused
    _, ctx = run(src, overrides={0x00080008: "C"})
    assert "(0008,0008): text could not be cleaned with confidence; emptied" in ctx.notes


def test_an_empty_date_to_clean_stays_empty_without_a_note():
    src = ct()
    src.ContentDate = ""
    out, ctx = run(src, "retain-long-modified-dates")
    assert out.ContentDate == ""
    assert not any("(0008,0023)" in n for n in ctx.notes), ctx.notes


def test_the_allow_list_is_for_the_top_level_at_every_depth_below_it():
    src = ct()
    src.add_new(0x00089123, "UI", "1.2.826.0.1.3680043.8.498.5")  # Creator-Version UID
    inner = Dataset()
    inner.ReferencedSOPInstanceUID = "1.2.3"
    inner.KVP = "120"
    item = Dataset()
    item.SourceImageSequence = Sequence([inner])
    src.add_new(0x00081115, "SQ", Sequence([item]))  # Referenced Series Sequence
    config = Config(key=KEY, overrides={0x00081115: "K"}, allow_list=frozenset({0x00081115}))
    got = reasons(engine.plan(src, config))
    assert got["(0018,0060)"][:2] == ("X", "not on the allow-list")  # KVP, top level
    assert got["(0008,9123)"][:2] == ("X", "not on the allow-list")
    assert got["(0008,1115)[0].(0008,2112)[0].(0018,0060)"][:2] == ("K", "not in Table E.1-1")
    del src.SOPClassUID  # no IOD at the top level either: the levels still differ
    got = reasons(engine.plan(src, config))
    assert got["(0018,0060)"][:2] == ("X", "not on the allow-list")
    assert got["(0008,1115)[0].(0008,2112)[0].(0018,0060)"][:2] == ("K", "not in Table E.1-1")


# --- raw elements read from files: the VR is the one pydicom's decode would give ------------


def _reread(ds: Dataset, implicit: bool, swap: tuple[bytes, bytes] | None = None) -> Dataset:
    import io

    from pydicom import dcmread

    buffer = io.BytesIO()
    ds.save_as(buffer, implicit_vr=implicit, little_endian=True)
    data = buffer.getvalue()
    if swap is not None:
        assert data.count(swap[0]) == 1
        data = data.replace(*swap)
    return dcmread(io.BytesIO(data), force=True)


def test_a_safe_private_text_in_an_implicit_vr_file_is_cleaned_as_text():
    """Implicit VR: the private dictionary, through the block's creator, says LO."""
    assert "GEMS_ACQU_01" in {c for _, c, _ in engine.profile.safe_private_keys()}
    src = ct()
    src.private_block(0x0019, "GEMS_ACQU_01", create=True).add_new(0x9E, "LO", "FIESTA")
    read = _reread(src, implicit=True)
    _, ctx = run(read, "retain-safe-private", "clean-descriptors")
    assert reasons(ctx)["(0019,109E)"][0::2] == ("C", "LO")


def test_an_attribute_written_as_un_is_judged_by_its_dictionary_vr():
    """PS3.5 6.2.2: UN for a known attribute; pydicom reads it with the dictionary's VR."""
    src = ct()
    src.Manufacturer = "ACME"
    length = len(b"ACME").to_bytes(2, "little")
    swap = (
        b"\x08\x00\x70\x00LO" + length + b"ACME",
        b"\x08\x00\x70\x00UN\x00\x00" + len(b"ACME").to_bytes(4, "little") + b"ACME",
    )
    read = _reread(src, implicit=False, swap=swap)
    out, ctx = run(read)
    assert reasons(ctx)["(0008,0070)"] == ("K", "not in Table E.1-1", "LO")
    assert out.Manufacturer == "ACME"


def test_a_compound_action_inside_a_sequence_keeps_any_iod_valid():
    """Inside an item whose place the IOD's tables do not list (Acquisition Date inside a
    Language Code Sequence), the Type is not known: X/Z resolves to Z (PS3.15 E.1.1), not to
    the top-level IOD's Type for the same tag (Acquisition Date is Type 3 in CT)."""
    assert TABLE["(0008,0022)"]["basicProfile"] == "X/Z"  # Acquisition Date
    assert "(0008,0006)" not in TABLE  # Language Code Sequence
    item = Dataset()
    item.AcquisitionDate = "20200315"
    src = ct()
    src.add_new(0x00080006, "SQ", Sequence([item]))
    out, ctx = run(src)
    assert reasons(ctx)["(0008,0006)[0].(0008,0022)"][0] == "Z"
    assert out[0x00080006][0].AcquisitionDate == ""
    assert 0x00080022 not in out  # top level: Type 3 in the CT Image IOD, so X


def test_a_recipes_clean_of_curve_data_removes_it_without_the_pixel_module(no_pixel_module):
    src = ct()
    src.add_new(0x50003000, "OW", b"\x00\x01" * 2)  # Curve Data (retired, still met)
    out, ctx = run(src, overrides={0x50003000: "C"})
    assert 0x50003000 not in out
    assert "(5000,3000): graphics cannot be cleaned without pixel checks; removed" in ctx.notes


def test_a_private_element_without_its_creator_goes_under_retain_safe_private():
    """No creator, no way to tell whose element it is (PS3.5 7.8.1): removed, not an error."""
    src = ct()
    src.add_new(0x00451001, "SS", 3)
    out, ctx = run(src, "retain-safe-private")
    assert 0x00451001 not in out
    assert reasons(ctx)["(0045,1001)"][:2] == ("X", engine.PRIVATE_REMOVED)
