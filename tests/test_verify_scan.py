"""verify.scan: where a value is found, under which category, and when a hit is allowed.

The released files here are written by the tests; each expected place is where the test put
the value.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
from pydicom import Dataset, Sequence
from verify_helpers import write

from imgshare.verify import Matcher, Values, scan

NAME, MRN = 0x00100010, 0x00100020


def _matcher(**values: tuple[str, int]) -> Matcher:
    v = Values()
    for text, (kind, origin) in values.items():
        v.add(text, kind, origin)
    return Matcher(v)


def _base() -> Dataset:
    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds.SOPClassUID, ds.SOPInstanceUID = "1.2.840.10008.5.1.4.1.1.7", "1.2.3.4"
    return ds


@pytest.mark.parametrize(
    "tags, vr, value, expected",
    [
        ((0x00020016,), "AE", "x", "file meta"),
        ((0x60000022,), "LO", "x", "overlay"),
        ((0x00081110, 0x60000022), "LO", "x", "overlay"),
        ((0x00291010,), "LO", "x", "private"),
        ((0x60010010,), "LO", "x", "private"),  # an odd 60xx group is private, not an overlay
        ((0x00081110, 0x00291010), "LO", "x", "private"),
        ((0x7FE00010,), "OB", "x", "pixels"),
        ((0x00080018,), "UI", "x", "uid"),
        ((0x00204000,), "LT", "x", "free text"),
        ((0x0008103E,), "LO", "x", "free text"),  # Series Description: a hint in the keyword
        ((0x00400275, 0x00080050), "SH", "x", "sequence"),
        ((0x00100010,), "PN", "山田", "other-language"),
        ((0x00100010,), "PN", "Yamada", "attribute"),
    ],
)
def test_categories(tags, vr, value, expected):
    assert scan.category(tags, vr, value) == expected


def test_pixel_bytes_only_count_long_values_and_the_preamble_is_unparsed(tmp_path: Path):
    ds = _base()
    ds.Rows = ds.Columns = 4
    ds.BitsAllocated, ds.SamplesPerPixel = 8, 1
    ds.PixelData = b"ABC-12\x00LONG-VALUE-9\x00202001101234"  # 32 bytes of "pixels"
    ds.preamble = b"MRN-778899".ljust(128, b"\x00")
    path = write(ds, tmp_path / "a.dcm")
    path.write_bytes(b"MRN-778899".ljust(128, b"\x00") + path.read_bytes()[128:])
    m = _matcher(**{"ABC-12": ("id", MRN), "LONG-VALUE-9": ("id", MRN),
                    "202001101234": ("id", MRN), "MRN-778899": ("id", MRN)})  # fmt: skip
    found = {(f.value, f.location, f.category) for f in scan.scan_file(path, "a.dcm", m).findings}
    assert found == {("LONG-VALUE-9", "(7FE0,0010)", "pixels"),
                     ("MRN-778899", "byte 0", "unparsed bytes")}  # fmt: skip


def test_a_value_the_declared_options_keep_is_no_finding(tmp_path: Path):
    ds = _base()
    ds.StationName = "SCANNER-7"
    ds.PatientComments = "scanned on SCANNER-7 for Doe"
    item = Dataset()
    item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = "113109", "DCM", "x"
    ds.DeidentificationMethodCodeSequence = Sequence([item])
    path = write(ds, tmp_path / "a.dcm")
    m = _matcher(**{"SCANNER-7": ("device", 0x00081010), "Doe": ("name", NAME)})
    found = scan.scan_file(path, "a.dcm", m).findings  # Retain Device Identity
    assert [(f.file, f.location, f.value) for f in found] == [("a.dcm", "(0010,4000)", "Doe")]
    m = _matcher(**{"SCANNER-7": ("device", 0x00081010)})
    del ds.DeidentificationMethodCodeSequence
    path = write(ds, tmp_path / "b.dcm")
    places = sorted(f.location for f in scan.scan_file(path, "b.dcm", m).findings)
    assert places == ["(0008,1010)", "(0010,4000)"]
    kept_path = tmp_path / "SCANNER-7.dcm"
    kept_path.write_bytes(path.read_bytes())
    assert [f.category for f in scan.scan_file(kept_path, "SCANNER-7.dcm", m).findings][0] == "path"


def test_nifti_fields_and_extensions_are_placed(tmp_path: Path):
    img = nib.Nifti1Image(np.zeros((2, 2, 2), dtype=np.int16), np.eye(4))
    img.header["descrip"] = b"scan of H0012345"
    img.header.extensions.append(nib.nifti1.Nifti1Extension(6, b"first"))
    img.header.extensions.append(nib.nifti1.Nifti1Extension(6, b"about H0012345"))
    nib.save(img, tmp_path / "a.nii.gz")
    m = _matcher(H0012345=("id", -1))
    found = sorted((f.location, f.category) for f in scan.scan_file(
        tmp_path / "a.nii.gz", "a.nii.gz", m).findings)  # fmt: skip
    assert found == [("extension 1 (code 6)", "nifti header"), ("header descrip", "nifti header")]


def test_json_values_and_keys_are_placed(tmp_path: Path):
    doc = {"Note": ["ok", "H0012345 again"], "H0012345": 1, "Nested": {"Deeper": "H0012345"}}
    (tmp_path / "a.json").write_text(json.dumps(doc))
    m = _matcher(H0012345=("id", -1))
    found = sorted(f.location for f in scan.scan_file(tmp_path / "a.json", "a.json", m).findings)
    assert found == ["$.H0012345#key", "$.Nested.Deeper", "$.Note[1]"]


def test_other_files_are_searched_as_bytes_once_per_value(tmp_path: Path):
    (tmp_path / "notes.txt").write_bytes(b"xx H0012345 yy H0012345 zz")
    m = _matcher(H0012345=("id", -1))
    found = scan.scan_file(tmp_path / "notes.txt", "notes.txt", m).findings
    assert [(f.location, f.category) for f in found] == [("byte 3", "other file")]


def test_matcher_of_pairs_and_iso_2022_forms():
    m = Matcher.of([("山田", "name"), ("MRN0001", "id")])
    assert len(m) == 2 and m.values["山田"].kind == "name"
    data = "x=山田 y".encode("iso2022_jp")
    assert [v for _, v in m.in_bytes(data)] == ["山田"]
    assert m.in_bytes(b"ESC free: \x1b$B;3ED") == [(10, "山田")]  # the escape begins it


def test_text_search_survives_characters_whose_lower_case_is_longer():
    m = Matcher.of([("Doe", "name")])
    hits = m.in_text("İstanbul Doe")  # "İ".lower() is two characters
    assert [(s, e, v) for s, e, v in hits] == [(9, 12, "Doe")]
    assert m.mask_text("İstanbul Doe") == "İstanbul D***(3)"


def test_mask_text_keeps_the_first_of_overlapping_values():
    m = Matcher.of([("Jane Doe", "name"), ("Doe Jr", "name")])
    assert m.mask_text("Jane Doe Jr") == "J***(8) Jr"


def _burned(tmp_path: Path, rows_with_text: bytes) -> tuple[dict, Path]:
    ds = _base()
    ds.Rows, ds.Columns, ds.BitsAllocated, ds.SamplesPerPixel = 4, 4, 8, 1
    ds.PixelData = rows_with_text + b"\x00" * 8
    path = write(ds, tmp_path / "us.dcm")
    key = {"pixel_text": [{"file": "src/us.dcm", "rows": [0, 2], "image": [4, 4, 8],
                           "text_kinds": ["name", "id"],
                           "region_sha256": hashlib.sha256(b"TEXTTEXT").hexdigest()}]}  # fmt: skip
    return key, path


def test_burned_in_rows_unchanged_are_a_leak_changed_ones_need_ocr(tmp_path: Path):
    key, path = _burned(tmp_path, b"TEXTTEXT")
    notes: list[str] = []
    found = scan.pixel_text(key, [(path, "us.dcm")], notes)
    assert [(f.file, f.location, f.category, f.kind, f.value) for f in found] == [
        ("us.dcm", "pixels rows 0-2", "pixels", "name+id", "burned-in text")
    ]
    assert notes == []
    key, path = _burned(tmp_path, b"\x00" * 8)
    notes = []
    assert scan.pixel_text(key, [(path, "us.dcm")], notes) == []
    assert notes == [
        "pixels: 1 burned-in text region(s) changed; whether text remains needs "
        "OCR (the Clean Pixel Data option's own check, or a second reader)"
    ]
    other = dict(key["pixel_text"][0], image=[8, 8, 8])  # an image of another size: not it
    notes = []
    assert scan.pixel_text({"pixel_text": [other]}, [(path, "us.dcm")], notes) == []
    assert len(notes) == 1
    assert scan.pixel_text({}, [(path, "us.dcm")], []) == []
    plain = dict(key["pixel_text"][0], region_sha256=hashlib.sha256(b"\x00" * 8).hexdigest())
    del plain["text_kinds"]
    two = {"pixel_text": [plain, key["pixel_text"][0]]}
    no_pixels = _base()
    no_pixels.Rows, no_pixels.Columns, no_pixels.BitsAllocated = 4, 4, 8
    write(no_pixels, tmp_path / "sr.dcm")
    notes = []
    found = scan.pixel_text(two, [(tmp_path / "sr.dcm", "sr.dcm"), (path, "us.dcm")], notes)
    assert [(f.file, f.kind) for f in found] == [("us.dcm", "text")]
    assert notes[0].startswith("pixels: 1 burned-in text region(s) changed")
    changed = {"pixel_text": [key["pixel_text"][0], dict(key["pixel_text"][0], rows=[1, 2])]}
    notes = []
    assert scan.pixel_text(changed, [(path, "us.dcm")], notes) == []
    assert notes[0].startswith("pixels: 2 burned-in text region(s) changed")


def _sample_source_and_release(tmp_path: Path, release: Dataset) -> Matcher:
    """Values of one source dataset (its own held texts included), for one released file."""
    from imgshare.verify import values

    source = _base()
    source.PatientName = "Perfusion^Phantom"
    source.ImageType = ["DERIVED", "PERFUSION"]
    source.Manufacturer = "ACME_IMAGING_SYSTEMS"
    source.InstitutionName = "ACME"
    source.StudyDescription = "follow-up of known lesion, routine"
    source.add_new(0x60000022, "LO", "label Perfusion")
    block = source.private_block(0x0029, "NOTES 1.0", create=True)
    block.add_new(0x10, "LO", "follow-up of known lesion, routine")
    code = Dataset()
    code.CodeValue, code.CodingSchemeDesignator, code.CodeMeaning = "T-1", "PHANTOM", "x"
    source.ProcedureCodeSequence = Sequence([code])
    v = Values()
    values.from_dataset(source, v)
    v.drop_common()
    release.SOPInstanceUID = "2.25.7"  # replaced, as a release does
    write(release, tmp_path / "out.dcm")
    return Matcher(v)


def test_a_value_held_by_the_same_kept_attribute_in_the_source_is_no_finding(tmp_path: Path):
    release = _base()
    release.ImageType = ["DERIVED", "PERFUSION"]  # a code that is also the phantom's name
    release.Manufacturer = "ACME_IMAGING_SYSTEMS"  # holds the institution's name, as before
    code = Dataset()
    code.CodeValue, code.CodingSchemeDesignator, code.CodeMeaning = "T-1", "PHANTOM", "x"
    release.ProcedureCodeSequence = Sequence([code])
    item = Dataset()
    item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = "113105", "DCM", "x"
    release.DeidentificationMethodCodeSequence = Sequence([item])  # Clean Descriptors
    release.StudyDescription = "follow-up of known lesion, routine"  # kept, cleaned: allowed
    m = _sample_source_and_release(tmp_path, release)
    assert scan.scan_file(tmp_path / "out.dcm", "out.dcm", m).findings == []


def test_the_same_values_elsewhere_or_as_names_in_text_are_findings(tmp_path: Path):
    release = _base()
    release.SeriesDescription = "follow-up of known lesion, routine"  # not where it was
    release.add_new(0x60000022, "LO", "label Perfusion")  # a name in text the profile keeps
    release.add_new(0x00204000, "LT", "made by ACME")  # the institution, in other text
    m = _sample_source_and_release(tmp_path, release)
    found = {(f.location, f.kind) for f in scan.scan_file(tmp_path / "out.dcm", "out.dcm", m)
             .findings}  # fmt: skip
    assert found == {("(0008,103E)", "id"), ("(6000,0022)", "name"), ("(0020,4000)", "institution")}


def test_the_character_set_is_not_searched(tmp_path: Path):
    release = _base()
    release.SpecificCharacterSet = "ISO_IR 100"
    write(release, tmp_path / "a.dcm")
    m = _matcher(iso=("text", 0x300A0016))  # a short description that was "iso"
    assert scan.scan_file(tmp_path / "a.dcm", "a.dcm", m).findings == []


def test_a_date_the_options_say_to_shift_is_a_finding_where_it_stays(tmp_path: Path):
    from imgshare.verify import values

    ds = _base()
    ds.StudyDate = "20200110"  # declared Modified Dates, but not shifted
    ds.add_new(0x00181200, "DA", "20200110")  # Date of Last Calibration: not in the table
    item = Dataset()
    item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = "113107", "DCM", "x"
    ds.DeidentificationMethodCodeSequence = Sequence([item])
    source = _base()
    source.StudyDate = "20200110"
    source.add_new(0x00181200, "DA", "20200110")
    source.add_new(0x00089123, "UI", "1.2.826.0.1.3680043.8.498.31")  # Creator-Version UID
    source.SOPInstanceUID = "1.2.826.0.1.3680043.8.498.31"  # the same UID, as an instance
    ds.add_new(0x00089123, "UI", "1.2.826.0.1.3680043.8.498.31")
    v = Values()
    values.from_dataset(source, v)
    v.drop_common()
    path = write(ds, tmp_path / "a.dcm")
    found = {(f.location, f.category, f.kind) for f in scan.scan_file(path, "a.dcm", Matcher(v))
             .findings}  # fmt: skip
    assert found == {("(0008,0020)", "attribute", "date"), ("(0018,1200)", "attribute", "date"),
                     ("(0008,9123)", "uid", "uid")}  # fmt: skip


def test_the_file_meta_is_searched_and_a_repeated_preamble_value_counted_once(tmp_path: Path):
    ds = _base()
    path = write(ds, tmp_path / "a.dcm")
    ds.file_meta.SourceApplicationEntityTitle = "SITE_PACS"
    ds.save_as(path, enforce_file_format=True)
    data = b"MRN-778899 and MRN-778899".ljust(128, b"\x00") + path.read_bytes()[128:]
    path.write_bytes(data)
    m = _matcher(**{"SITE_PACS": ("device", 0x00020016), "MRN-778899": ("id", MRN)})
    found = [(f.file, f.location, f.category) for f in scan.scan_file(path, "x/a.dcm", m).findings]
    assert sorted(found) == [("x/a.dcm", "(0002,0016)", "file meta"),
                             ("x/a.dcm", "byte 0", "unparsed bytes")]  # fmt: skip


def test_table_headers_and_cells_beyond_the_header_are_placed(tmp_path: Path):
    (tmp_path / "p.tsv").write_text("participant_id\tH0012345\nsub-01\tx\tH0012345\n")
    m = _matcher(H0012345=("id", -1))
    found = [(f.file, f.location) for f in scan.scan_file(tmp_path / "p.tsv", "p.tsv", m).findings]
    assert found == [("p.tsv", "header"), ("p.tsv", "row 1 column column 3")]


def test_nifti_and_other_files_name_the_file(tmp_path: Path):
    img = nib.Nifti1Image(np.zeros((2, 2, 2), dtype=np.int16), np.eye(4))
    img.header["descrip"] = b"H0012345"
    img.header.extensions.append(nib.nifti1.Nifti1Extension(6, b"H0012345"))
    nib.save(img, tmp_path / "a.nii")
    (tmp_path / "b.bin").write_bytes(b"\x00H0012345\x00")
    m = _matcher(H0012345=("id", -1))
    for name in ("a.nii", "b.bin"):
        assert {f.file for f in scan.scan_file(tmp_path / name, f"d/{name}", m).findings} == {
            f"d/{name}"
        }
