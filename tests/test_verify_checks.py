"""verify's checks, one rule at a time, on records of datasets these tests build.

Each expected count and note follows from what the test put in the datasets: a source and a
released file per case, paired or not, and what the release may keep under the options its
files declare (PS3.16 CID 7050 codes written out).
"""

from __future__ import annotations

import copy
import datetime as dt

from pydicom import Dataset, Sequence
from pydicom.dataset import FileMetaDataset
from verify_helpers import BASIC, MODIFIED_DATES, PATIENT_CHARS, image

from imgshare.verify import checks, pairing

U = "1.2.826.0.1.3680043.8.498.66"


def _declare(ds: Dataset, *codes: str) -> Dataset:
    items = []
    for code in codes:
        item = Dataset()
        item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = code, "DCM", code
        items.append(item)
    ds.DeidentificationMethodCodeSequence = Sequence(items)
    return ds


def _meta(ds: Dataset, syntax: str = "1.2.840.10008.1.2.1") -> Dataset:
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = syntax
    return ds


def _src(pid: str, n: int, study: int = 1, date: str = "20200110", pixels: bytes | None = None):
    ds = image(pid, "Doe^Jane", study=f"{U}.{pid[-1]}.{study}", series=f"{U}.{pid[-1]}.{study}.1",
               sop=f"{U}.{pid[-1]}.{study}.1.{n}", number=n, position=2.5 * n, date=date,
               pixels=pixels if pixels is not None else bytes([n, study, ord(pid[-1])]) * 10
               + b"\x00\x00")  # fmt: skip
    return _meta(ds)


def _out(src: Dataset, subject: str, *codes: str, shift: int = 0) -> Dataset:
    ds = copy.deepcopy(src)
    ds.PatientID = ds.PatientName = subject
    for keyword in ("SOPInstanceUID", "StudyInstanceUID", "SeriesInstanceUID"):
        setattr(ds, keyword, "2.25.1" + str(abs(hash(str(src[keyword].value))) % 10**12))
    if MODIFIED_DATES in codes:
        day = dt.datetime.strptime(str(src.StudyDate), "%Y%m%d") + dt.timedelta(days=shift)
        ds.StudyDate = day.strftime("%Y%m%d")
    else:
        del ds.StudyDate
    if PATIENT_CHARS not in codes:
        del ds.PatientSex
    return _declare(ds, *codes) if codes else ds


def _run(sources, outputs):
    src = [pairing.record(ds, f"s{i}.dcm") for i, ds in enumerate(sources)]
    out = [pairing.record(ds, f"o{i}.dcm") for i, ds in enumerate(outputs)]
    return checks.run(src, out)


def test_pixel_size_native_encapsulated_and_missing():
    ds = _src("P-1", 1)
    assert pairing.record(ds, "a").pixel_ok is True  # 4 x 4 x 16 bits = 32 bytes
    ds.PixelData = ds.PixelData + b"\x00"  # one byte of padding is allowed
    assert pairing.record(ds, "a").pixel_ok is True
    ds.PixelData = ds.PixelData + b"\x00\x00"
    assert pairing.record(ds, "a").pixel_ok is False
    ds.PixelData = ds.PixelData[:30]
    assert pairing.record(ds, "a").pixel_ok is False
    ds.PixelData = b""
    assert pairing.record(ds, "a").pixel_ok is False
    frames = _src("P-1", 1)
    frames.NumberOfFrames, frames.SamplesPerPixel, frames.BitsAllocated = 2, 3, 8
    frames.PixelData = b"\x01" * (4 * 4 * 2 * 3)
    assert pairing.record(frames, "a").pixel_ok is True
    bits = _src("P-1", 1)
    bits.BitsAllocated, bits.PixelData = 1, b"\xff\x00"  # 16 pixels packed in two bytes
    assert pairing.record(bits, "a").pixel_ok is True
    jpeg = _meta(_src("P-1", 1), "1.2.840.10008.1.2.4.50")
    jpeg.PixelData = b"\xfe\xff\x00\xe0\x00\x00\x00\x00"  # an empty offset table item
    assert pairing.record(jpeg, "a").pixel_ok is True
    jpeg.PixelData = b"\xff\xd8\xff\xe0"
    assert pairing.record(jpeg, "a").pixel_ok is False
    no_rows = _src("P-1", 1)
    del no_rows.Rows
    assert pairing.record(no_rows, "a").pixel_ok is False
    assert pairing.record(_meta(Dataset()), "a").pixels is None


def test_record_dates_flags_values_and_references():
    ds = _src("P-1", 1)
    ds.StudyDate = ""
    ds.SeriesDate = "20200111"
    ds.BurnedInAnnotation = "yes"
    ds.add_new(0x00280301, "CS", "YES")
    ds.add_new(0x60000010, "US", 4)  # an overlay plane's rows: not a research value
    ds.private_block(0x0029, "ACME 1.0", create=True).add_new(0x10, "DS", "1.5")
    ref = Dataset()
    ref.ReferencedSOPClassUID = "1.2.840.10008.3.1.2.3.1"  # Detached Study Management
    ref.ReferencedSOPInstanceUID = "1.2.3.9"
    frame = Dataset()
    frame.ReferencedFrameOfReferenceUID = "1.2.3.8"
    frame.SeriesInstanceUID = "1.2.3.7"
    image_ref = Dataset()
    image_ref.ReferencedSOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
    image_ref.ReferencedSOPInstanceUID = "1.2.3.6"
    ds.ReferencedStudySequence = Sequence([ref])
    ds.ReferencedImageSequence = Sequence([image_ref, frame])
    r = pairing.record(ds, "a")
    assert r.date == "20200111" and r.burned_in is True and r.valid is True
    assert sorted(r.refs) == [("frame", "1.2.3.8"), ("series", "1.2.3.7"), ("sop", "1.2.3.6"),
                              ("study", "1.2.3.9")]  # fmt: skip
    assert 0x00280010 in r.values and 0x60000010 not in r.values and 0x00291010 not in r.values
    assert not {0x00280301, 0x00100010, 0x7FE00010, 0x00081110} & set(r.values)
    assert r.targets["frame"] == str(ds.FrameOfReferenceUID)
    del ds.SOPClassUID
    assert pairing.record(ds, "a").valid is False


def test_a_proper_release_passes_every_check():
    sources = [_src("P-1", n, s, d) for s, d in ((1, "20200110"), (2, "20200305")) for n in (1, 2)]
    outputs = [_out(ds, "TRIAL-1", BASIC, MODIFIED_DATES, PATIENT_CHARS, shift=-100)
               for ds in sources]  # fmt: skip
    results, notes = _run(sources, outputs)
    assert notes == []
    assert {k: (c.passed, c.total) for k, c in results.items()} == {
        "files released": (4, 4), "paired": (4, 4), "valid": (4, 4), "pixel data": (4, 4),
        "pseudonyms": (1, 1), "intervals": (1, 1), "references": (0, 0),
        "references kept": (0, 0), "research": (results["research"].total,) * 2,
    }  # fmt: skip
    assert results["research"].total >= 4 * 15


def test_intervals_need_both_studies_to_keep_dates_and_the_same_shift():
    sources = [_src("P-1", 1, 1, "20200110"), _src("P-1", 1, 2, "20200305")]
    kept = [_out(sources[0], "T", MODIFIED_DATES, shift=-100),
            _out(sources[1], "T", MODIFIED_DATES, shift=-100)]  # fmt: skip
    assert _run(sources, kept)[0]["intervals"].passed == 1
    broken = [kept[0], _out(sources[1], "T", MODIFIED_DATES, shift=-99)]
    c = _run(sources, broken)[0]["intervals"]
    assert (c.passed, c.total, c.notes) == (0, 1, ["source patient 1: interval not kept"])
    one_removes = [kept[0], _out(sources[1], "T", BASIC)]  # the second file keeps no dates
    assert _run(sources, one_removes)[0]["intervals"].total == 0
    undeclared = [_out(sources[0], "T", shift=-100), _out(sources[1], "T", shift=-100)]
    assert _run(sources, undeclared)[0]["intervals"].total == 0


def test_pseudonym_notes_name_patients_by_order_only():
    a, b = _src("P-1", 1), _src("P-2", 1)
    c = _run([a, b], [_out(a, ""), _out(b, "T-2")])[0]["pseudonyms"]
    assert (c.passed, c.total) == (1, 2) and c.notes == ["source patient 1 of 2: an empty ID"]
    shared = _run([a, b], [_out(a, "T-9"), _out(b, "T-9")])[0]["pseudonyms"]
    assert shared.passed == 0 and sorted(shared.notes) == [
        "source patient 1 of 2: an ID shared with another patient",
        "source patient 2 of 2: an ID shared with another patient",
    ]
    a2 = _src("P-1", 2)
    two = _run([a, a2], [_out(a, "T-1"), _out(a2, "T-3")])[0]["pseudonyms"]
    assert two.notes == ["source patient 1 of 1: 2 IDs"]


def test_pixel_data_lost_or_resized_and_measures_do_not_gate():
    a, b = _src("P-1", 1), _src("P-1", 2)
    lost, short = _out(a, "T"), _out(b, "T")
    del lost.PixelData
    short.PixelData = short.PixelData[:10]
    results, _ = _run([a, b], [lost, short])
    c = results["pixel data"]
    assert (c.passed, c.total) == (0, 2) and c.gate
    assert c.notes == [
        "CT file lost its pixel data",
        "CT file's pixel data is not the declared size",
    ]
    assert not results["files released"].gate and not results["references kept"].gate
    held_back = _run([a, b], [_out(a, "T")])[0]
    assert held_back["files released"].notes == [
        "1 source file(s) have no released file (held back?)"
    ]
    assert held_back["files released"].ok is False and held_back["paired"].ok


def test_an_unmatched_or_invalid_release_file_fails():
    a = _src("P-1", 1)
    stranger = _src("P-9", 7)
    stranger.Rows = stranger.Columns = 2
    stranger.PixelData = b"\x00" * 8
    invalid = _out(a, "T")
    del invalid.SeriesInstanceUID
    results, _ = _run([a], [invalid, stranger])
    assert (results["paired"].passed, results["paired"].total) == (1, 2)
    assert results["paired"].notes == ["1 released file(s) match no source file"]
    assert results["valid"].notes == ["1 file(s) lack a SOP Class, SOP Instance, Study or "
                                      "Series Instance UID"]  # fmt: skip


def test_references_broken_only_when_they_resolved_in_the_sources():
    a, b = _src("P-1", 1), _src("P-1", 2)
    ref = Dataset()
    ref.ReferencedSOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
    ref.ReferencedSOPInstanceUID = str(b.SOPInstanceUID)  # resolves among the sources
    dangling = Dataset()
    dangling.ReferencedSOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
    dangling.ReferencedSOPInstanceUID = "1.2.3.404"  # pointed nowhere already
    a.ReferencedImageSequence = Sequence([ref, dangling])
    oa, ob = _out(a, "T"), _out(b, "T")
    oa.ReferencedImageSequence[0].ReferencedSOPInstanceUID = str(ob.SOPInstanceUID)
    oa.ReferencedImageSequence[1].ReferencedSOPInstanceUID = "2.25.404"
    results, _ = _run([a, b], [oa, ob])
    assert (results["references"].passed, results["references"].total) == (2, 2)
    assert (results["references kept"].passed, results["references kept"].total) == (1, 1)
    oa.ReferencedImageSequence[0].ReferencedSOPInstanceUID = "2.25.999"  # now broken
    results, _ = _run([a, b], [oa, ob])
    assert (results["references"].passed, results["references"].total) == (1, 2)
    assert results["references"].notes == ["CT file: 1 reference(s) point outside"]
    assert results["references kept"].notes == [
        "1 reference(s) removed (Table E.1-1 allows removing Type 3 reference sequences)"
    ]
    del oa.ReferencedImageSequence
    results, _ = _run([a, b], [oa, ob])
    assert results["references"].total == 0 and results["references kept"].passed == 0


def test_research_values_follow_the_declared_options():
    a = _src("P-1", 1)
    basic = _out(a, "T", BASIC)  # sex removed, as the Basic Profile asks
    assert _run([a], [basic])[0]["research"].ok
    chars = _out(a, "T", BASIC, PATIENT_CHARS)
    chars.PatientSex = "M"
    chars.SliceThickness = "3.0"
    c = _run([a], [chars])[0]["research"]
    assert c.total - c.passed == 2
    assert c.notes == ["CT PatientSex changed or removed", "CT SliceThickness changed or removed"]
    same_number = _out(a, "T", BASIC)
    same_number.SliceThickness = "2.50"  # the same number, written differently
    assert _run([a], [same_number])[0]["research"].ok


def test_identical_pixels_pair_by_geometry_then_by_study():
    blank = b"\x00" * 32
    sources = [_src(p, n, pixels=blank) for p in ("P-1", "P-2") for n in (1, 2)]
    outputs = [_out(ds, "T-" + str(ds.PatientID)[-1]) for ds in sources]
    links, unmatched = pairing.pair(
        [pairing.record(ds, f"s{i}") for i, ds in enumerate(sources)],
        [pairing.record(ds, f"o{i}") for i, ds in enumerate(outputs)],
    )
    assert unmatched == 0 and len({s.file for s in links.values()}) == 4
    # the two patients cannot be told apart: any pairing that keeps each released subject
    # with one source patient, and each instance with its own number, is right
    number = {f"o{i}": ds.InstanceNumber for i, ds in enumerate(outputs)}
    assert all(number[o] == int(s.file[1:]) % 2 + 1 for o, s in links.items())
    subject_of = {f"o{i}": str(ds.PatientID) for i, ds in enumerate(outputs)}
    pairs = {(subject_of[o], s.patient) for o, s in links.items()}
    assert len(pairs) == 2 and len({p for _, p in pairs}) == 2


def test_notes_are_sorted_unique_and_at_most_twenty():
    c = checks.Check("x", notes=[f"note {i:02d}" for i in range(30)] + ["note 00"])
    assert checks._tidy(c).notes == [f"note {i:02d}" for i in range(20)]


def test_burned_in_sources_are_said_to_need_ocr():
    a, b = _src("P-1", 1), _src("P-1", 2)
    a.BurnedInAnnotation = "YES"
    records = [pairing.record(ds, "x") for ds in (a, b)]
    assert checks.burned_in(records) == [
        "pixels: 1 source file(s) declare burned-in annotation; text in pixels needs OCR (the "
        "Clean Pixel Data option's own check, or a second reader)"
    ]
    assert checks.burned_in(records[1:]) == []


def test_instance_uids_are_not_research_values_but_class_uids_are():
    a = _src("P-1", 1)
    a.add_new(0x00089123, "UI", "1.3.46.670589.11")  # Creator-Version UID: names a product
    out = _out(a, "T", BASIC)
    out[0x00089123].value = "2.25.42"  # replaced: no research value lost
    assert _run([a], [out])[0]["research"].ok
    out.SOPClassUID = "1.2.840.10008.5.1.4.1.1.7"  # another class: a research value lost
    c = _run([a], [out])[0]["research"]
    assert c.notes == ["CT SOPClassUID changed or removed"]


# --- pairing: each stage has a case only it can settle ----------------------------------------


def _links(sources, outputs) -> dict[int, int]:
    """Released file index -> source file index."""
    links, _ = pairing.pair(
        [pairing.record(ds, f"s{i:02d}") for i, ds in enumerate(sources)],
        [pairing.record(ds, f"o{i:02d}") for i, ds in enumerate(outputs)],
    )
    return {int(o[1:]): int(s.file[1:]) for o, s in links.items()}


def test_pairing_by_pixels_where_geometry_is_the_same():
    # two patients, one slice each at the same place; only the pixels differ. Released in the
    # other order, so that pairing by order alone would swap them.
    a, b = _src("P-1", 1, pixels=b"\x01" * 32), _src("P-2", 1, pixels=b"\x02" * 32)
    assert _links([a, b], [_out(b, "T-2"), _out(a, "T-1")]) == {0: 1, 1: 0}


def test_pairing_by_geometry_where_the_pixels_were_cleaned():
    sources = [_src("P-1", n) for n in (1, 2, 3)]
    outputs = [_out(ds, "T-1") for ds in reversed(sources)]
    for ds in outputs:
        ds.PixelData = b"\x00" * 32  # masked: no longer the source's pixels
    assert _links(sources, outputs) == {0: 2, 1: 1, 2: 0}


def test_pairing_by_pixels_where_a_tool_changed_the_geometry():
    sources = [_src("P-1", n) for n in (1, 2, 3)]
    outputs = [_out(ds, "T-1") for ds in reversed(sources)]
    for ds in outputs:
        del ds.InstanceNumber, ds.ImagePositionPatient  # removed by the tool
    assert _links(sources, outputs) == {0: 2, 1: 1, 2: 0}


def test_pairing_by_study_where_a_file_is_identical_across_patients():
    # each patient: a distinctive slice, and a blank one identical to the other patient's
    blank = b"\x00" * 32
    sources = [_src("P-1", 1), _src("P-1", 2, pixels=blank),
               _src("P-2", 1), _src("P-2", 2, pixels=blank)]  # fmt: skip
    outputs = [_out(sources[3], "T-2"), _out(sources[2], "T-2"),
               _out(sources[1], "T-1"), _out(sources[0], "T-1")]  # fmt: skip
    assert _links(sources, outputs) == {0: 3, 1: 2, 2: 1, 3: 0}


def test_pairing_a_file_without_pixels_by_its_study():
    sources = [_src("P-1", 1), _src("P-2", 1)]
    reports = []
    for ds in sources:
        sr = copy.deepcopy(ds)
        del sr.PixelData, sr.Rows, sr.Columns, sr.ImagePositionPatient
        sr.SOPInstanceUID = str(sr.SOPInstanceUID) + ".9"
        sr.Modality, sr.InstanceNumber = "SR", 9
        reports.append(sr)
    everything = sources + reports
    outputs = [_out(reports[1], "T-2"), _out(reports[0], "T-1"),
               _out(sources[1], "T-2"), _out(sources[0], "T-1")]  # fmt: skip
    assert _links(everything, outputs) == {0: 3, 1: 2, 2: 1, 3: 0}


def test_a_released_file_matching_nothing_stays_unpaired():
    a = _src("P-1", 1)
    stranger = _src("P-2", 5)
    stranger.Modality = "MR"
    stranger.SOPClassUID = "1.2.840.10008.5.1.4.1.1.4"
    links, unmatched = pairing.pair([pairing.record(a, "s")],
                                    [pairing.record(_out(a, "T"), "o0"),
                                     pairing.record(stranger, "o1")])  # fmt: skip
    assert unmatched == 1 and set(links) == {"o0"}


def test_records_keep_the_uids_a_reference_can_point_to():
    ds = _src("P-1", 1)
    r = pairing.record(ds, "a")
    assert r.targets == {
        "sop": str(ds.SOPInstanceUID), "series": str(ds.SeriesInstanceUID),
        "study": str(ds.StudyInstanceUID), "frame": str(ds.FrameOfReferenceUID),
    }  # fmt: skip
    assert (r.study, r.series, r.patient) == (str(ds.StudyInstanceUID),
                                              str(ds.SeriesInstanceUID), "P-1")  # fmt: skip
    assert r.shape == (4, 4, 16)
    geometry = dict(zip(pairing.GEOMETRY, r.geometry, strict=True))
    assert geometry["ImagePositionPatient"] == (0.0, 0.0, 2.5) and geometry["InstanceNumber"] == 1
    assert geometry["NumberOfFrames"] is None  # absent, not a value
    no_study_date = _src("P-1", 1)
    no_study_date.StudyDate = no_study_date.SeriesDate = ""
    no_study_date.AcquisitionDate = "20190101"
    assert pairing.record(no_study_date, "a").date == "20190101"
