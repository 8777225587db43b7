"""verify's parts: matching, the standard's table and codes, values from each kind of source.

Expected values here are facts of the standard (PS3.15 Table E.1-1, PS3.16 CID 7050) written
out as literals, or values the tests planted; never a call to the code under test.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
from pydicom import Dataset, Sequence
from pydicom.sr.codedict import codes as sr_codes

from imgshare.verify import Matcher, Values, mask, standard, values

SRC = Path(__file__).resolve().parents[1] / "src" / "imgshare"
NAME_TAG = 0x00100010


def matcher(*pairs: tuple[str, str, int]) -> Matcher:
    v = Values()
    for text, kind, origin in pairs:
        if kind == "name":
            v.add_name(text, origin)
        elif kind == "date":
            v.add_date(text, origin)
        else:
            v.add(text, kind, origin)
    return Matcher(v)


def found(m: Matcher, text: str) -> list[str]:
    return [v for _, _, v in m.in_text(text)]


# --- matching ------------------------------------------------------------------------------


def test_mask_shows_first_character_and_length_only():
    assert mask("Yamada") == "Y***(6)"
    assert mask("") == "***(0)"
    assert mask("山田") == "山***(2)"


def test_values_are_matched_whole_and_ignoring_case():
    m = matcher(("MRN0001", "id", 0x00100020), ("123", "id", 0x00100020))
    assert found(m, "id mrn0001.") == ["MRN0001"]
    assert found(m, "MRN00012 XMRN0001") == []
    assert found(m, "(123)") == ["123"]
    # a number inside a decimal or a UID is not the value
    assert found(m, "0.123 1.123.4 1234 123.5") == []


def test_a_uid_is_not_found_inside_a_longer_uid():
    m = matcher(("1.2.3.4", "uid", 0x00080018))
    assert found(m, "1.2.3.45 1.2.3.4.5 11.2.3.4") == []
    assert found(m, "ref=1.2.3.4\\1.2.3.9") == ["1.2.3.4"]


def test_a_date_is_found_in_every_spelling_and_with_a_time():
    m = matcher(("20200111", "date", 0x00080020))
    for text in ("20200111", "2020-01-11", "11/01/2020", "11.01.2020", "2020/01/11",
                 "01/11/2020", "dt 20200111083000.5", "2020011108", "2020-01-11T08:30:00",
                 "on 2020-01-11 08:30"):  # fmt: skip
        assert found(m, text), text
    assert found(m, "120200111") == found(m, "202001119") == []


def test_person_names_are_split_into_groups_and_components():
    v = Values()
    v.add_name("Yamada^Tarou=山田^太郎=やまだ^たろう", 0x00100010)
    assert {"Yamada", "Tarou", "山田", "太郎", "やまだ", "たろう", "山田^太郎"} <= set(v)
    assert "" not in v and "=" not in v


def test_short_values_and_placeholders_are_not_searched():
    v = Values()
    for text in ("Li", "Dr", "ANONYMOUS", "n/a", "Unknown"):
        v.add(text, "name", 0x00100010)
    v.add("李", "name", 0x00100010)
    assert len(v) == 0
    v.add("李明", "name", 0x00100010)  # two characters outside ASCII: a name
    assert list(v) == ["李明"]


@pytest.mark.parametrize(
    "codec, name",
    [("iso2022_jp", "山田^太郎"), ("euc_kr", "홍^길동"), ("gb18030", "王^小东"),
     ("iso8859_5", "Люкceмбypг"), ("utf-8", "Müller^Jürgen")],
)  # fmt: skip
def test_bytes_are_searched_in_every_dicom_encoding(codec: str, name: str):
    m = matcher((name, "name", 0x00100010))
    data = b"\x00\x01junk " + name.encode(codec) + b" more"
    hits = {v for _, v in m.in_bytes(data)}
    assert name in hits or name.split("^")[0] in hits, hits
    assert not m.in_bytes(b"\x00\x01junk more")


def test_mask_text_masks_every_value_in_a_path():
    m = matcher(("Yamada^Tarou", "name", 0x00100010), ("MRN0001", "id", 0x00100020))
    assert m.mask_text("Yamada_Tarou/MRN0001.dcm") == "Y***(6)_T***(5)/M***(7).dcm"


# --- the standard: Table E.1-1 and CID 7050 --------------------------------------------------


def test_cid_7050_table_agrees_with_pydicom():
    ours = {c["code"]: c["meaning"] for c in standard.codes().values()}
    theirs = {}
    for name in sr_codes.cid7050.dir():
        code = getattr(sr_codes.cid7050, name)
        theirs[code.value] = code.meaning
    assert ours == theirs


def test_every_option_column_of_the_table_has_a_code():
    table = json.loads((SRC / "profile" / "table_e1_1.json").read_text())
    columns = {k for row in table for k in row} - {"name", "tag", "stdCompIOD", "id"}
    mapped = {c["column"] for c in standard.codes().values() if c["column"]}
    assert columns == mapped


def _declaring(*codes: str, scheme: str | None = "DCM") -> Dataset:
    ds = Dataset()
    items = []
    for code in codes:
        item = Dataset()
        item.CodeValue, item.CodeMeaning = code, "x"
        if scheme is not None:
            item.CodingSchemeDesignator = scheme
        items.append(item)
    ds.DeidentificationMethodCodeSequence = Sequence(items)
    return ds


def test_declared_options_come_from_the_method_code_sequence():
    assert standard.declared(Dataset()) is None
    assert standard.declared(_declaring("113100")) == frozenset()
    assert standard.declared(_declaring("113100", "113107", "113109")) == {
        "rtnLongModifDatesOpt", "rtnDevIdOpt",
    }  # fmt: skip
    assert standard.declared(_declaring("113109", scheme="99LOCAL")) == frozenset()
    assert standard.declared(_declaring("113109", scheme=None)) == frozenset()
    assert standard.declared(_declaring(" 113109 ")) == {"rtnDevIdOpt"}  # padded code value
    assert standard.declared(_declaring("113101")) == frozenset()  # pixels: no column
    no_code = _declaring("113109")
    del no_code.DeidentificationMethodCodeSequence[0].CodeValue
    assert standard.declared(no_code) == frozenset()


@pytest.mark.parametrize(
    "tag, columns, expected",
    [
        (0x00100040, (), "Z"),  # Patient's Sex: Basic Profile
        (0x00100040, ("rtnPatCharsOpt",), "K"),
        (0x00081010, (), "X/Z/D"),  # Station Name
        (0x00081010, ("rtnDevIdOpt",), "K"),
        (0x00080020, ("rtnLongModifDatesOpt",), "C"),  # Study Date
        (0x00080020, ("rtnLongFullDatesOpt",), "K"),
        (0x00080018, ("rtnUIDsOpt",), "K"),  # SOP Instance UID
        (0x00291010, (), "X"),  # any private element
        (0x00291010, ("rtnSafePrivOpt",), "C"),
        (0x60023000, (), "X"),  # Overlay Data, repeating group
        (0x00280010, (), "K"),  # Rows: not in the table
        (0x00020016, (), "X"),  # Source AE Title: a device identifier in the file meta
        (0x00020016, ("rtnDevIdOpt",), "K"),
        (0x00020010, (), "K"),  # Transfer Syntax UID: file meta, not listed
        (0x300C0127, ("rtnLongModifDatesOpt",), "C"),  # Beam Hold Transition DateTime
        (0x300C0127, ("rtnLongModifDatesOpt", "rtnDevIdOpt"), "K"),  # keeping wins
        (0x300C0127, ("cleanDescOpt",), "D"),  # an option that does not name the row
    ],
)
def test_actions_follow_the_table(tag: int, columns: tuple[str, ...], expected: str):
    assert standard.action(tag, frozenset(columns)) == expected


def test_a_value_is_allowed_only_where_every_origin_is_kept():
    station, name, date, desc = 0x00081010, 0x00100010, 0x00080020, 0x00081030
    device = frozenset({"rtnDevIdOpt"})
    assert standard.allowed(frozenset({station}), "device", device)
    assert not standard.allowed(frozenset({station}), "device", frozenset())
    assert not standard.allowed(frozenset({station, name}), "device", device)
    assert not standard.allowed(frozenset({station, values.NOT_DICOM}), "device", device)
    dates = frozenset({"rtnLongModifDatesOpt"})
    assert not standard.allowed(frozenset({date}), "date", dates)  # must be shifted
    assert standard.allowed(frozenset({desc}), "text", frozenset({"cleanDescOpt"}))
    assert not standard.allowed(frozenset({desc}), "name", frozenset({"cleanDescOpt"}))
    assert not standard.allowed(frozenset(), "id", device)
    assert not standard.allowed(frozenset({station, values.KEY}), "device", device)
    private = frozenset({0x00291010})
    safe = frozenset({"rtnSafePrivOpt"})
    assert standard.allowed(private, "private text", safe)
    assert not standard.allowed(private, "uid", safe) and not standard.allowed(
        private, "date", safe
    )
    assert not standard.allowed(private, "private text", frozenset())


# --- values from each kind of source -------------------------------------------------------


def test_dicom_values_decoded_nested_private_and_meta():
    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 144"
    ds.PatientName = "Люкceмбypг^Иван"
    ds.PatientID = "ID-778899"
    ds.Modality = "CT"  # not identifying
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.2"  # a well-known UID: not searched
    ds.StudyDate = "20200111"
    item = Dataset()
    item.AccessionNumber = "ACC-5566"
    ds.RequestAttributesSequence = Sequence([item])
    block = ds.private_block(0x0029, "ACME 1.0", create=True)
    block.add_new(0x10, "LO", "called the family at home")
    v = Values()
    values.from_dataset(ds, v)
    assert {"Люкceмбypг", "Иван", "ID-778899", "ACC-5566", "called the family at home",
            "2020-01-11"} <= set(v)  # fmt: skip
    assert "CT" not in v and "1.2.840.10008.5.1.4.1.1.2" not in v and "ACME 1.0" not in v
    assert v["ID-778899"].origins == {0x00100020}
    assert v["called the family at home"].kind == "private text"


def test_nifti_header_text_and_extensions(tmp_path: Path):
    img = nib.Nifti1Image(np.zeros((2, 2, 2), dtype=np.int16), np.eye(4))
    img.header["descrip"] = b"Doe Jane 2020-03-15"
    img.header["aux_file"] = b"H0012345.mat"
    img.header.extensions.append(nib.nifti1.Nifti1Extension(6, b"subject Jane Doe, MRN 991"))
    dicom_fragment = b"\x10\x00\x10\x00PN\x08\x00Doe^Jane"
    img.header.extensions.append(nib.nifti1.Nifti1Extension(2, dicom_fragment))
    nib.save(img, tmp_path / "a.nii.gz")
    v = Values()
    values.from_nifti(nib.load(tmp_path / "a.nii.gz").header, v)
    assert {"Doe Jane 2020-03-15", "H0012345.mat", "subject Jane Doe, MRN 991", "Doe",
            "Jane", "2020-03-15", "15/03/2020"} <= set(v)  # fmt: skip


def test_sidecar_values_under_dicom_keywords_and_identifying_keys():
    doc = {
        "PatientName": "Doe^Jane",
        "InstitutionName": "Example General Hospital",
        "AcquisitionDateTime": "2020-03-15T10:15:30",
        "RepetitionTime": 2.3,
        "Manufacturer": "ExampleVendor",  # not in Table E.1-1: kept
        "ScannerOperatorNote": "called Jane",
        "TaskName": "rest",
    }
    v = Values()
    values.from_json(doc, v)
    assert {"Doe", "Jane", "Example General Hospital", "20200315", "called Jane"} <= set(v)
    assert "ExampleVendor" not in v and "rest" not in v


def test_table_cells_in_identifying_columns_and_labels():
    header = ["participant_id", "age", "sex", "group", "patient_name", "mrn"]
    rows = [["sub-H0012345", "68", "F", "patient", "Doe^Jane", "MRN-778"],
            ["sub-01", "70", "M", "control", "Roe^Rick", "MRN-779"]]  # fmt: skip
    v = Values()
    values.from_table(header, rows, v)
    assert {"H0012345", "sub-H0012345", "Doe", "Jane", "Roe", "MRN-778", "MRN-779"} <= set(v)
    assert "01" not in v and "sub-01" not in v and "patient" not in v and "control" not in v


def test_verify_imports_nothing_from_the_engine_or_the_corpus():
    forbidden = ("imgshare.dicom", "imgshare.profile", "imgshare.batch", "imgshare.corpus",
                 "imgshare.nifti", "imgshare.pixels", "imgshare.scale")  # fmt: skip
    for path in (SRC / "verify").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            for name in names:
                assert not name.startswith(forbidden), (path.name, name)
    corpus = ast.parse((SRC / "corpus.py").read_text())
    for node in ast.walk(corpus):
        if isinstance(node, ast.ImportFrom) and node.module:
            mods = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            assert not any(m.startswith(("imgshare.verify", "imgshare.profile",
                                         "imgshare.dicom")) for m in mods), mods  # fmt: skip


# --- reading released files: kinds, places, unreadable files ----------------------------------


def _dataset_with_places() -> Dataset:
    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
    ds.OtherPatientIDs = ["ID-3141", "ID-2718"]  # multi-valued: each value on its own
    item = Dataset()
    item.AccessionNumber = "ACC-5566"
    ds.RequestAttributesSequence = Sequence([item])
    block = ds.private_block(0x0029, "ACME 1.0", create=True)
    block.add_new(0x10, "LO", "called ID-3141 at home")
    return ds


def test_values_of_a_multi_valued_element_are_taken_one_by_one():
    v = Values()
    values.from_dataset(_dataset_with_places(), v)
    assert {"ID-3141", "ID-2718"} <= set(v)
    assert not [t for t in v if "[" in t or "\\" in t]


def test_each_value_is_placed_at_its_tag_path(tmp_path: Path):
    from verify_helpers import write

    from imgshare.verify import scan

    ds = _dataset_with_places()
    ds.SOPInstanceUID = "1.2.3.4"
    release = tmp_path / "IM0001"  # no suffix: a DICOM file is known by its preamble
    write(ds, release)
    v = Values()
    v.add("ID-3141", "id", 0x00101000)
    v.add("ACC-5566", "id", 0x00080050)
    scanned = scan.scan_file(release, "IM0001", Matcher(v))
    assert scanned.kind == "dicom" and scanned.unreadable is None
    places = sorted((f.location, f.category, f.value) for f in scanned.findings)
    assert places == [
        ("(0010,1000)", "attribute", "ID-3141"),
        ("(0029,1010)", "private", "ID-3141"),
        ("(0040,0275)[0].(0008,0050)", "sequence", "ACC-5566"),
    ]


def test_bytes_in_an_undeclared_character_set_are_placed_at_their_element(tmp_path: Path):
    from verify_helpers import write

    from imgshare.verify import scan

    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 100"  # declares Latin-1 ...
    ds.SOPClassUID, ds.SOPInstanceUID = "1.2.840.10008.5.1.4.1.1.2", "1.2.3.4"
    ds.add_new(0x00204000, "LT", "Иван Люкceмбypг".encode("iso8859_5"))  # ... holds Cyrillic
    write(ds, tmp_path / "a.dcm")
    v = Values()
    v.add_name("Люкceмбypг^Иван", 0x00100010)
    found = scan.scan_file(tmp_path / "a.dcm", "a.dcm", Matcher(v)).findings
    assert {(f.location, f.category) for f in found} == {("(0020,4000)", "free text")}


def test_file_kinds_and_why_a_file_is_unreadable(tmp_path: Path):
    from imgshare.verify import files, scan

    m = Matcher(Values())
    cases = {
        "meta-only.dcm": (b"\x00" * 128 + b"DICM" + bytes.fromhex("020010005549020031 00"),
                          "dicom", "no data set after the file meta information"),
        "broken.json": (b"{not json", "json", "not valid JSON"),
        "latin1.tsv": ("name\nMüller\n".encode("latin-1"), "tsv", "not UTF-8 text"),
        "bad.nii": (b"\x00" * 10, "nifti", None),
        "notes.txt": (b"plain text", "other", None),
    }  # fmt: skip
    for name, (data, kind, why) in cases.items():
        (tmp_path / name).write_bytes(data)
        scanned = scan.scan_file(tmp_path / name, name, m)
        assert scanned.kind == kind == files.kind(tmp_path / name, name), name
        if why is not None:
            assert scanned.unreadable == why, name
    assert scan.scan_file(tmp_path / "bad.nii", "bad.nii", m).unreadable  # nibabel's reason
    assert scan.scan_file(tmp_path / "notes.txt", "notes.txt", m).unreadable is None


def test_a_data_set_of_group_0008_alone_is_readable():
    from verify_helpers import write

    from imgshare.verify import files

    ds = Dataset()
    ds.SOPClassUID, ds.SOPInstanceUID = "1.2.840.10008.5.1.4.1.1.7", "1.2.3.4"
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = write(ds, Path(tmp) / "a.dcm")
        assert files.read_dicom(path.read_bytes())[0x00080018].value == "1.2.3.4"


def test_tables_are_split_on_tabs_only_and_an_empty_table_is_read(tmp_path: Path):
    from imgshare.verify import files, scan

    assert files.read_tsv(b"participant_id\tname\nsub-01\tJane Doe\n\n") == (
        ["participant_id", "name"], [["sub-01", "Jane Doe"]],
    )  # fmt: skip
    assert files.read_tsv(b"") == ([], [])
    (tmp_path / "p.tsv").write_text("participant_id\tname\nsub-01\tJane Doe\n")
    v = Values()
    v.add("Jane Doe", "name", values.NOT_DICOM)
    found = scan.scan_file(tmp_path / "p.tsv", "p.tsv", Matcher(v)).findings
    assert [(f.location, f.category) for f in found] == [("row 1 column name", "table")]
    (tmp_path / "empty.tsv").write_text("")
    assert scan.scan_file(tmp_path / "empty.tsv", "empty.tsv", Matcher(v)).findings == []


def test_a_symbolic_link_is_read_as_the_file_it_points_to(tmp_path: Path):
    from imgshare.verify import files

    (tmp_path / "outside.txt").write_text("Jane Doe was here\n")
    release = tmp_path / "release"
    release.mkdir()
    (release / "link.txt").symlink_to(tmp_path / "outside.txt")
    assert [rel for _, rel in files.walk(release)] == ["link.txt"]


# --- which source values identify, and how --------------------------------------------------


def test_kinds_follow_the_attribute_and_a_name_stays_a_name():
    ds = Dataset()
    ds.InstitutionAddress = "1 High Street, Exampletown"
    ds.PatientTelephoneNumbers = "0123 456789"
    ds.InstitutionName = "Example General Hospital"
    ds.StationName = "CT-SCANNER-7"
    ds.DeviceSerialNumber = "SN-554433"
    ds.RetrieveAETitle = "PACS_MAIN"
    ds.AdditionalPatientHistory = "Fell on 2019-12-24 at home"
    ds.AccessionNumber = "ACC-5566"
    ds.StudyID = "Kowalski"  # an ID that is also a name component below: a name
    ds.PatientName = "Kowalski^Jan"
    ds.AcquisitionDateTime = "20200111083000"
    ds.add_new(0x00324000, "LT", "seen 2018-05-06")  # Study Comments (LT)
    ds.add_new(0x00181030, "LO", "protocol 2017-01-02")  # Protocol Name (LO): not free text
    v = Values()
    values.from_dataset(ds, v)
    kinds = {t: v[t].kind for t in v}
    assert kinds["1 High Street, Exampletown"] == "address"
    assert kinds["0123 456789"] == "phone"
    assert kinds["Example General Hospital"] == "institution"
    assert kinds["CT-SCANNER-7"] == kinds["SN-554433"] == kinds["PACS_MAIN"] == "device"
    assert kinds["Fell on 2019-12-24 at home"] == "text" and kinds["24/12/2019"] == "date"
    assert kinds["ACC-5566"] == "id"
    assert kinds["Kowalski"] == "name" and v["Kowalski"].origins == {0x00200010, 0x00100010}
    assert kinds["20200111083000"] == kinds["2020-01-11"] == "date"
    assert v["20200111083000"].origins == {0x0008002A}
    assert "06/05/2018" in v and "02/01/2017" not in v  # dates inside free text only


def test_the_file_meta_gives_device_names_and_the_instance_uid_only():
    from pydicom.dataset import FileMetaDataset

    ds = Dataset()
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPInstanceUID = "1.2.826.0.1.3680043.8.498.999"
    ds.file_meta.ImplementationClassUID = "1.2.826.0.1.3680043.8.498.1"  # software, not a person
    ds.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.1"
    ds.file_meta.SourceApplicationEntityTitle = "SITE_PACS"
    v = Values()
    values.from_dataset(ds, v)
    assert set(v) == {"1.2.826.0.1.3680043.8.498.999", "SITE_PACS"}
    assert v["1.2.826.0.1.3680043.8.498.999"].origins == {0x00080018}  # the SOP Instance UID
    assert v["SITE_PACS"].origins == {0x00020016} and v["SITE_PACS"].kind == "device"


def test_private_values_by_their_vr_and_never_the_creator():
    ds = Dataset()
    block = ds.private_block(0x0029, "ACME IMAGING 1.0", create=True)
    block.add_new(0x10, "PN", "Novak^Petra")
    block.add_new(0x11, "UI", "1.2.826.0.1.3680043.8.498.4242")
    block.add_new(0x12, "DA", "20200111")
    block.add_new(0x13, "SH", "ward 7B")
    block.add_new(0x14, "DS", "1234.5")  # a number: not searched
    v = Values()
    values.from_dataset(ds, v)
    assert {"Novak", "Petra", "1.2.826.0.1.3680043.8.498.4242", "2020-01-11", "ward 7B"} <= set(v)
    assert v["Novak"].kind == "name" and v["ward 7B"].kind == "private text"
    assert v["1.2.826.0.1.3680043.8.498.4242"].kind == "uid"
    assert "ACME IMAGING 1.0" not in v and "1234.5" not in v


def test_values_the_sources_also_keep_elsewhere_are_not_identifying():
    ds = Dataset()
    ds.StudyDescription = "CHEST"  # listed (X) ...
    ds.BodyPartExamined = "CHEST"  # ... and also in an attribute the table does not list
    ds.ProtocolName = "Doe"  # listed, and a name below: stays, as a name
    ds.PatientName = "Doe^Jane"
    ds.ConvolutionKernel = "Doe"
    v = Values()
    values.from_dataset(ds, v)
    v.add("CHEST", "id", values.KEY)  # an answer key says CHEST identifies: it stays
    v.drop_common()
    assert "Doe" in v and "CHEST" in v
    w = Values()
    values.from_dataset(ds, w)
    w.drop_common()
    assert "CHEST" not in w and "Doe" in w


def test_undeclared_utf8_in_a_source_is_read_both_ways(tmp_path: Path):
    from verify_helpers import write

    from imgshare.verify import files

    ds = Dataset()
    ds.SOPClassUID, ds.SOPInstanceUID = "1.2.840.10008.5.1.4.1.1.7", "1.2.3.4"
    ds.add_new(0x00100010, "PN", "Müller^Jürgen".encode())  # UTF-8, no character set declared
    path = write(ds, tmp_path / "a.dcm")
    v = Values()
    values.from_dataset(files.read_dicom(path.read_bytes()), v)
    assert "Müller" in v and "Jürgen" in v  # read as UTF-8 too
    assert any("Ã¼" in t for t in v)  # and as the default character set reads it


def test_sidecar_values_nested_listed_and_by_key():
    doc = {
        "global": {"StudyInstanceUID": "1.2.826.0.1.3680043.8.498.7",
                   "AcquisitionTime": "10:15:30.0"},
        "Notes": ["operator Roe^Rick on 2020-03-15"],
        "OperatorNotes": "Roe^Rick",
        "ScanOptions": "PFP",
    }  # fmt: skip
    v = Values()
    values.from_json(doc, v)
    assert v["1.2.826.0.1.3680043.8.498.7"].kind == "uid"
    assert "10:15:30.0" not in v  # a time of day: not searched
    assert {"Roe^Rick", "Roe", "Rick"} <= set(v) and "PFP" not in v
    assert {"operator Roe^Rick on 2020-03-15", "15/03/2020"} <= set(v)  # a note: identifying


def test_table_time_and_date_columns_give_dates_only():
    header = ["filename", "acq_time", "visit_date", "patient_name", "mrn"]
    rows = [["anat/sub-01_T1w.nii.gz", "2020-03-15T10:15:30", "2020-03-16", "Doe^Jane", "n/a"],
            ["func/sub-01_bold.nii.gz"]]  # a short row  # fmt: skip
    v = Values()
    values.from_table(header, rows, v)
    assert {"2020-03-15", "15/03/2020", "2020-03-16", "Doe", "Jane", "Doe^Jane"} <= set(v)
    assert "2020-03-15T10:15:30" not in v and "n/a" not in v


@pytest.mark.parametrize(
    "path, expected, absent",
    [
        ("sub-H0012345/ses-20200315/anat/x.nii.gz",
         {"H0012345", "sub-H0012345", "20200315", "2020-03-15"}, set()),
        ("sub-01/ses-pre/anat/x.nii.gz", set(), {"01", "sub-01", "pre"}),
        ("sub-ab12_T1w.nii.gz", {"ab12", "sub-ab12"}, set()),
        ("sub-abcd_T1w.nii.gz", set(), {"abcd"}),
    ],
)  # fmt: skip
def test_labels_that_look_like_records_or_dates(path, expected, absent):
    v = Values()
    values.from_path(path, v)
    assert expected <= set(v) and not absent & set(v)


def test_nifti_extensions_text_multiline_and_binary(tmp_path: Path):
    img = nib.Nifti1Image(np.zeros((2, 2, 2), dtype=np.int16), np.eye(4))
    img.header.extensions.append(nib.nifti1.Nifti1Extension(6, b"line one Jane\nline two"))
    img.header.extensions.append(nib.nifti1.Nifti1Extension(40, bytes(range(1, 40))))
    nib.save(img, tmp_path / "a.nii")
    v = Values()
    values.from_nifti(nib.load(tmp_path / "a.nii").header, v)
    assert "line one Jane line two" in v
    assert not [t for t in v if "\x01" in t]


def test_long_enough_counts_characters_outside_ascii():
    assert not values.long_enough(" Li ") and values.long_enough("Lee")
    assert values.long_enough("李明") and not values.long_enough("李")


def test_boundaries_by_the_first_and_last_character_of_a_value():
    m = matcher(
        ("Doe", "name", NAME_TAG), ("AB-", "id", 0x00100020), ("12345678", "id", 0x00100020)
    )
    assert found(m, "1.Doe") == ["Doe"]  # a letter is not part of a number before it
    assert found(m, "Doe.5") == ["Doe"]
    assert found(m, "xx AB-C") == ["AB-"]  # ends in a hyphen: no boundary needed after it
    assert found(m, "1234567890 12345678T10") == []  # an ID is no date: no time after it
    assert [v for _, v in m.in_bytes(b"x Doe y")] == ["Doe"]  # three bytes are enough


def test_iso_2022_bytes_are_found_inside_longer_text():
    m = matcher(("山田", "name", NAME_TAG))
    assert [v for _, v in m.in_bytes("山田太郎".encode("iso2022_jp"))] == ["山田"]
    assert [v for _, v in m.in_bytes("x 山田".encode("iso2022_jp"))] == ["山田"]


def test_values_keep_their_text_kind_and_origins():
    v = Values()
    v.add("two  spaces here", "text", 0x00081030)
    v.add("line one\nline  two", "text", 0x00081030)
    v.add_name("Doe^Jane", NAME_TAG)
    v.add_date("2020-01-11T10:00:00", 0x0008002A)
    assert "two  spaces here" in v and "line one line two" in v  # only new lines fold
    assert v["Doe"].text == "Doe" and v["Doe"].kind == "name" and v["Doe"].origins == {NAME_TAG}
    assert v["11-01-2020"].kind == "date" and v["11-01-2020"].origins == {0x0008002A}


def test_non_dicom_values_carry_no_dicom_origin_and_their_kind(tmp_path: Path):
    v = Values()
    values.from_json({"OperatorNotes": "Roe^Rick", "InstitutionName": "Clinic 7",
                      "StudyInstanceUID": "1.2.826.0.1.3680043.8.498.5",
                      "AcquisitionDateTime": "2020-03-15T10:00:00"}, v)  # fmt: skip
    assert v["Roe"].origins == {values.NOT_DICOM} and v["Roe"].kind == "name"
    assert v["Roe^Rick"].kind == "name"
    assert v["Clinic 7"].origins == {0x00080080} and v["Clinic 7"].kind == "institution"
    assert v["1.2.826.0.1.3680043.8.498.5"].origins == {0x0020000D}
    assert v["15/03/2020"].origins == {0x0008002A}
    w = Values()
    values.from_table(["participant_id", "name", "visit_date", "note"],
                      [["sub-H0012345", "Roe^Rick", "2020-03-16", "seen 2020-03-17"],
                       ["sub-x", "", "n/a", "N/A"]], w)  # fmt: skip
    assert w["Roe^Rick"].kind == "name" and w["Roe"].origins == {values.NOT_DICOM}
    assert w["16/03/2020"].origins == {values.NOT_DICOM} and "2020-03-16" in w
    assert w["seen 2020-03-17"].kind == "text" and w["17/03/2020"].kind == "date"
    assert w["sub-H0012345"].kind == "label" and w["H0012345"].origins == {values.NOT_DICOM}
    assert not {"n/a", "N/A", ""} & set(w)  # no value, however it is written
    img = nib.Nifti1Image(np.zeros((2, 2, 2), dtype=np.int16), np.eye(4))
    img.header["descrip"] = b"Doe 2020-03-15"
    img.header.extensions.append(nib.nifti1.Nifti1Extension(6, b"note 2019-01-02"))
    nib.save(img, tmp_path / "a.nii")
    n = Values()
    values.from_nifti(nib.load(tmp_path / "a.nii").header, n)
    for text in ("Doe 2020-03-15", "note 2019-01-02"):
        assert n[text].kind == "header text" and n[text].origins == {values.NOT_DICOM}
    assert n["15/03/2020"].origins == n["02/01/2019"].origins == {values.NOT_DICOM}


def test_undeclared_utf8_with_several_values(tmp_path: Path):
    from verify_helpers import write

    from imgshare.verify import files

    ds = Dataset()
    ds.SOPClassUID, ds.SOPInstanceUID = "1.2.840.10008.5.1.4.1.1.7", "1.2.3.4"
    ds.add_new(0x00101001, "PN", "Müller^Jürgen\\Gödel^Kurt".encode())  # Other Patient Names
    path = write(ds, tmp_path / "a.dcm")
    v = Values()
    values.from_dataset(files.read_dicom(path.read_bytes()), v)
    assert {"Müller^Jürgen", "Gödel^Kurt", "Gödel"} <= set(v)
    assert not [t for t in v if "\\" in t]
