"""The DICOM engine: every action, option, sequence, private tag, overlay, UID and date rule."""

from __future__ import annotations

import copy

import pytest
from dicom_helpers import content_item, ct
from pydicom import Dataset, Sequence
from pydicom.uid import UID, generate_uid

from imgshare.dicom import engine, keys
from imgshare.dicom.config import Config
from imgshare.dicom.subjects import Subject

KEY = b"k" * 32


def run(ds: Dataset, *options: str, **kw) -> tuple[Dataset, engine.Context]:
    out = copy.deepcopy(ds)
    ctx = engine.apply(out, Config(key=KEY, options=options, **kw))
    return out, ctx


def test_each_action_type() -> None:
    src = ct()
    out, ctx = run(src, "clean-descriptors")
    assert "PatientAddress" not in out  # X
    assert out.PatientBirthDate == ""  # Z
    assert out.PatientName == out.PatientID  # Z with the subject's pseudonym
    assert out.PatientID.startswith("SUBJ-") and out.PatientID != src.PatientID
    assert out.Modality == "CT" and out.SliceThickness == src.SliceThickness  # K
    assert out.SOPInstanceUID.startswith("2.25.")  # U
    assert out.SOPInstanceUID == keys.uid(KEY, src.SOPInstanceUID)
    assert "Doe" not in out.StudyDescription and "CT chest" in out.StudyDescription  # C
    assert out.StudyDate == ""  # X/Z resolved to Z: Study Date is Type 2 in the CT IOD
    actions = {d.action for d in ctx.decisions}
    assert {"X", "Z", "K", "U", "C"} <= actions


def test_dummy_values_keep_the_vr() -> None:
    src = ct()
    src.ContentCreatorName = "Nurse^Ratched"  # Z/D
    src.SOPClassUID = "1.2.3.4.5.6.7"  # unknown IOD: compound actions keep it valid
    src.ProtocolName = "Protocol of Dr Who"  # X/D -> D
    out, _ = run(src)
    assert out.ProtocolName == engine.DUMMY_TEXT
    assert out.DeviceSerialNumber == engine.DUMMY_TEXT  # X/Z/D -> D


def test_deidentification_is_recorded() -> None:
    out, _ = run(ct(), "retain-long-modified-dates", "clean-descriptors")
    assert out.PatientIdentityRemoved == "YES"
    assert "imgshare" in out.DeidentificationMethod
    codes = [item.CodeValue for item in out.DeidentificationMethodCodeSequence]
    assert codes == ["113100", "113105", "113107"]
    assert out.LongitudinalTemporalInformationModified == "MODIFIED"
    assert run(ct())[0].LongitudinalTemporalInformationModified == "REMOVED"
    full, _ = run(ct(), "retain-long-full-dates")
    assert full.LongitudinalTemporalInformationModified == "UNMODIFIED"


@pytest.mark.parametrize(
    ("option", "keyword", "kept"),
    [
        ("retain-patient-characteristics", "PatientSex", True),
        ("retain-patient-characteristics", "PatientWeight", True),
        ("retain-device-identity", "DeviceSerialNumber", True),
        ("retain-device-identity", "StationName", True),
        ("retain-institution-identity", "InstitutionName", True),
        ("retain-long-full-dates", "StudyDate", True),
        ("retain-uids", "StudyInstanceUID", True),
    ],
)
def test_retain_options_keep_their_attributes(option: str, keyword: str, kept: bool) -> None:
    src = ct()
    without, _ = run(src)
    with_option, _ = run(src, option)
    assert (keyword in with_option and with_option[keyword].value == src[keyword].value) == kept
    assert keyword not in without or without[keyword].value != src[keyword].value


def test_modified_dates_keep_intervals_and_use_the_offset() -> None:
    first = ct(study_date="20200315")
    later = ct(study_date="20200915")
    a, ctx = run(first, "retain-long-modified-dates")
    b, _ = run(later, "retain-long-modified-dates")
    assert -3650 <= ctx.offset <= -365  # the documented range: one to ten years back
    import datetime as dt

    def day(v: str) -> dt.date:
        return dt.datetime.strptime(v, "%Y%m%d").date()

    assert (day(b.StudyDate) - day(a.StudyDate)).days == 184
    assert (day(first.StudyDate) - day(a.StudyDate)).days == -ctx.offset
    assert a.StudyTime == "101530"  # whole-day shift keeps the time of day


def test_subject_map_is_applied_exactly() -> None:
    subjects = {"PAT-001": Subject("TRIAL-0042", -100)}
    out, ctx = run(ct(), "retain-long-modified-dates", subjects=subjects)
    assert out.PatientID == out.PatientName == "TRIAL-0042"
    assert out.StudyDate == "20191206"  # 2020-03-15 minus 100 days
    with pytest.raises(engine.DeidError, match="not in the subject map"):
        run(ct(patient_id="OTHER"), subjects=subjects)


def test_key_changes_everything_derived() -> None:
    src = ct()
    a = copy.deepcopy(src)
    b = copy.deepcopy(src)
    engine.apply(a, Config(key=KEY))
    engine.apply(b, Config(key=b"z" * 32))
    assert a.SOPInstanceUID != b.SOPInstanceUID and a.PatientID != b.PatientID


def test_nested_sequences_are_walked() -> None:
    src = ct()
    kept = Dataset()  # a sequence the table does not list holds identifiers deep inside
    inner = Dataset()
    inner.PatientName = "Doe^Jane"
    inner.ReferencedSOPInstanceUID = "1.2.3.4.5"
    kept.ReferencedSeriesSequence = Sequence([inner])
    src.ReferencedInstanceSequence = Sequence([kept])
    out, _ = run(src)
    deep = out.ReferencedInstanceSequence[0].ReferencedSeriesSequence[0]
    assert deep.PatientName != "Doe^Jane"
    assert deep.ReferencedSOPInstanceUID == keys.uid(KEY, "1.2.3.4.5")
    assert "RequestAttributesSequence" not in out  # X in the table


def test_references_stay_consistent_across_files() -> None:
    target = ct()
    pointer = ct()  # references as a SEG or RTSTRUCT holds them (sequences the table keeps)
    instance = Dataset()
    instance.ReferencedSOPClassUID = target.SOPClassUID
    instance.ReferencedSOPInstanceUID = target.SOPInstanceUID
    series = Dataset()
    series.SeriesInstanceUID = target.SeriesInstanceUID
    series.ReferencedInstanceSequence = Sequence([instance])
    pointer.ReferencedSeriesSequence = Sequence([series])
    out_target, _ = run(target)
    out_pointer, _ = run(pointer, "clean-descriptors")
    ref = out_pointer.ReferencedSeriesSequence[0]
    assert ref.SeriesInstanceUID == out_target.SeriesInstanceUID
    assert ref.ReferencedInstanceSequence[0].ReferencedSOPInstanceUID == out_target.SOPInstanceUID
    # Referenced Image Sequence is X/Z/U*: Type 3 in the CT IOD, so it goes
    assert "ReferencedImageSequence" not in out_pointer


def test_private_elements_removed_unless_safe() -> None:
    src = ct()
    block = src.private_block(0x0019, "ACME_RESEARCH_1", create=True)
    block.add_new(0x10, "LO", "safe value")
    block.add_new(0x11, "LO", "Doe^Jane")
    other = src.private_block(0x0021, "OTHER_VENDOR", create=True)
    other.add_new(0x10, "LO", "ignored")
    safe = frozenset({(0x0019, "ACME_RESEARCH_1", 0x10)})
    plain, _ = run(src)
    assert not any(e.tag.is_private for e in plain)
    kept, _ = run(src, "retain-safe-private", safe_private=safe)
    private = {int(e.tag): e.value for e in kept if e.tag.is_private}
    assert private == {0x00190010: "ACME_RESEARCH_1", 0x00191010: "safe value"}
    # the list alone does nothing without the option
    listed_only, _ = run(src, safe_private=safe)
    assert not any(e.tag.is_private for e in listed_only)


def test_overlays_and_curves_are_removed() -> None:
    src = ct()
    src.add_new(0x60000010, "US", 4)
    src.add_new(0x60000011, "US", 4)
    src.add_new(0x60003000, "OW", b"\x00\x01" * 2)
    src.add_new(0x60004000, "LT", "Doe")
    src.add_new(0x50000005, "US", 1)
    out, _ = run(src)
    assert not [e.tag for e in out if e.tag >> 24 in (0x60, 0x50)]
    # Clean Graphics: the pixel module keeps the overlay, cleans its text, removes curves.
    out, _ = run(src, "clean-graphics")
    assert not [e.tag for e in out if e.tag >> 24 == 0x50]
    assert "Doe" not in str(out.get(0x60004000).value if 0x60004000 in out else "")


def test_unknown_vr_and_unregistered_uids() -> None:
    src = ct()
    src.add_new(0x00091001, "UN", b"secret")  # private UN: removed
    src.add_new(0x0040A124, "UI", "1.2.3.999")  # UID: U from the table
    src.add_new(0x00081150, "UI", "1.2.840.10008.5.1.4.1.1.2")  # class UID: kept
    out, _ = run(src)
    assert 0x00091001 not in out
    assert out[0x0040A124].value == keys.uid(KEY, "1.2.3.999")
    assert out[0x00081150].value == "1.2.840.10008.5.1.4.1.1.2"


def test_structured_content_cleaned_or_replaced() -> None:
    src = ct()
    src.ContentSequence = Sequence([
        content_item("TEXT", TextValue="Seen by Doe, Jane on 15/03/2020"),
        content_item("PNAME", PersonName="Doe^Jane"),
        content_item("DATE", Date="20200315"),
    ])  # fmt: skip
    cleaned, ctx = run(src, "clean-structured-content", "retain-long-modified-dates")
    items = cleaned.ContentSequence
    assert items[0].TextValue.startswith("Seen by") and "Doe" not in items[0].TextValue
    assert items[1].PersonName != "Doe^Jane" and items[0].ValueType == "TEXT"
    assert items[2].Date != "20200315" and items[2].Date != ""
    replaced, _ = run(src)
    assert replaced.ContentSequence[0].TextValue == engine.DUMMY_TEXT
    assert replaced.ContentSequence[0].ValueType == "TEXT"  # codes and structure stay


def test_allow_list_mode() -> None:
    src = ct()
    out, _ = run(src, allow_list=frozenset({0x00180050}))  # SliceThickness
    assert "SliceThickness" in out and "KVP" not in out and "BodyPartExamined" not in out
    assert "PixelData" in out and "Rows" in out  # always kept: a valid image


def test_overrides() -> None:
    out, _ = run(ct(), overrides={0x00180015: "X", 0x0008103E: "K"})
    assert "BodyPartExamined" not in out and out.SeriesDescription == "Axial 1.25mm"


def test_plan_does_not_change_the_dataset() -> None:
    src = ct()
    before = copy.deepcopy(src)
    ctx = engine.plan(src, Config(key=KEY))
    assert src == before and ctx.decisions
    assert all(str(src.PatientName) not in d.reason for d in ctx.decisions)


def test_deep_nesting_is_refused() -> None:
    src = ct()
    item = src
    for _ in range(engine.MAX_DEPTH + 3):
        child = Dataset()
        item.ReferencedSeriesSequence = Sequence([child])
        item = child
    with pytest.raises(engine.DeidError, match="nested deeper"):
        run(src)


def test_unknown_character_set_is_refused() -> None:
    src = ct()
    src.SpecificCharacterSet = "ISO_IR 999"
    with pytest.raises(engine.DeidError, match="Character Set"):
        run(src)


def test_uid_mapping_is_deterministic() -> None:
    uid = generate_uid()
    new = keys.uid(KEY, uid)
    assert UID(new).is_valid and new.startswith("2.25.") and new != uid
    assert new != keys.uid(b"another key, 32 bytes long......", uid)


def test_decision_cache_is_keyed_by_settings_not_identity() -> None:
    """Python reuses a freed object's id(); a cache keyed by it could hand decisions made
    under permissive settings to strict ones. The key is the settings' content."""
    permissive = Config(key=KEY, options=("retain-patient-characteristics",))
    strict = Config(key=KEY, allow_list=frozenset({0x00180050}))
    assert permissive.decision_key != strict.decision_key
    same = Config(key=b"z" * 32, options=("retain-patient-characteristics",))
    assert same.decision_key == permissive.decision_key
    engine._DECISIONS.clear()
    engine.apply(ct(), permissive)
    assert engine._DECISIONS and all(k[0] == permissive.decision_key for k in engine._DECISIONS)
    out = ct()
    engine.apply(out, strict)
    assert "KVP" not in out and "PatientWeight" not in out and out.PatientSex == ""


def _implicit_and_explicit(ds: Dataset) -> list[Dataset]:
    """The same dataset read back from implicit and from explicit VR little endian."""
    import io

    import pydicom

    out = []
    for implicit in (True, False):
        buffer = io.BytesIO()
        ds.save_as(buffer, implicit_vr=implicit, little_endian=True)
        out.append(pydicom.dcmread(io.BytesIO(buffer.getvalue()), force=True))
    return out


def test_vr_is_resolved_the_same_under_implicit_and_explicit_vr() -> None:
    """The bug of the first release: raw implicit-VR elements kept UN and the UN rule removed
    Pixel Data, Smallest Image Pixel Value (US or SS) and nested Referenced SOP Class UIDs."""
    src = ct()
    src.SmallestImagePixelValue = 0
    src.add_new(0x00091010, "LO", "vendor")  # private: removed either way
    src.add_new(0x00190010, "LO", "ACME")  # a private creator
    plans = []
    for read in _implicit_and_explicit(src):
        ctx = engine.plan(read, Config(key=KEY))
        plans.append([(d.path, d.action) for d in ctx.decisions])
        actions = {d.path: d.action for d in ctx.decisions}
        assert actions["(7FE0,0010)"] == "K" and actions["(0028,0106)"] == "K"
        out = copy.deepcopy(read)
        engine.apply(out, Config(key=KEY, options=("retain-uids",)))
        assert out.PixelData == src.PixelData
    assert plans[0] == plans[1]


def test_public_tag_unknown_to_the_dictionary_is_removed_under_either_vr() -> None:
    src = ct()
    src.add_new(0x00201234, "LO", "who knows")  # public group, not in the data dictionary
    for read in _implicit_and_explicit(src):
        out = copy.deepcopy(read)
        ctx = engine.apply(out, Config(key=KEY))
        assert 0x00201234 not in out
        reason = next(d.reason for d in ctx.decisions if d.path == "(0020,1234)")
        assert "data dictionary" in reason


def test_plan_does_not_depend_on_earlier_reads() -> None:
    from imgshare import samples
    from imgshare.dicom import io as dio

    for sample in samples.manifest():
        if sample.format != "DICOM":
            continue
        fresh, _ = dio.read(samples.path(sample.file))
        decoded, _ = dio.read(samples.path(sample.file))
        for elem in decoded.iterall():
            str(elem.value)
        cfg = Config(key=KEY)
        assert engine.plan(fresh, cfg).decisions == engine.plan(decoded, cfg).decisions


def test_compound_action_deep_in_sequences_follows_the_type_at_its_full_path() -> None:
    """Observation DateTime (X/D) three sequences down in a CT image is Type 3 at that path in
    the standard's module tables (read here from highdicom's copy, not from the engine's
    table), so E.1.1 removes it; Type 1 or an unknown place would give a dummy (D)."""
    import json
    from pathlib import Path

    from highdicom._standard_utils import (
        get_iod_module_map,
        get_module_attribute_map,
        get_sop_class_iod_map,
    )

    path = ["PerformedProtocolCodeSequence", "ProtocolContextSequence",
            "ContentItemModifierSequence"]  # fmt: skip
    src = ct()
    iod = get_sop_class_iod_map()[str(src.SOPClassUID)]
    kinds = {
        attr["type"]
        for module in get_iod_module_map()[iod]
        for attr in get_module_attribute_map().get(module["key"], [])
        if attr["path"] == path and attr["keyword"] == "ObservationDateTime"
    }
    assert kinds == {"3"}
    rows = json.loads(
        (Path(engine.__file__).resolve().parents[1] / "profile" / "table_e1_1.json").read_text()
    )
    assert next(r["basicProfile"] for r in rows if r["id"].upper() == "0040A032") == "X/D"
    modifier = Dataset()
    modifier.ObservationDateTime = "20200315101500"
    context = Dataset()
    context.ContentItemModifierSequence = Sequence([modifier])
    code = Dataset()
    code.CodeValue, code.CodingSchemeDesignator, code.CodeMeaning = "P1", "99X", "Protocol"
    code.ProtocolContextSequence = Sequence([context])
    src.PerformedProtocolCodeSequence = Sequence([code])
    out, _ = run(src)
    item = out.PerformedProtocolCodeSequence[0].ProtocolContextSequence[0]
    assert "ObservationDateTime" not in item.ContentItemModifierSequence[0]
