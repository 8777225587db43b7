"""Each release issue 19 describes, made by the tests themselves, and verify's verdict on it.

verify fails: an empty release; a file that lost its Pixel Data (or kept a truncated one);
an unreadable file; names in ISO_IR 144, ISO 2022 IR 149, GB18030 and UTF-8 left in an
untouched copy; a release with nothing to search for; files with identical pixels whose
pseudonyms were mixed up. It passes a proper release, and a proper release that kept what its
declared options keep. It never prints an identifier, even with every check failing.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pydicom
import pydicom.data
import pytest
from verify_helpers import (
    BASIC,
    DEVICE,
    MODIFIED_DATES,
    PATIENT_CHARS,
    Releaser,
    image,
    write,
)

from imgshare.verify import cli, mask, verify

U = "1.2.826.0.1.3680043.8.498.77"


def _series(src: Path, pid: str, name: str, n: int, *, pixels=None, study=1, date="20200110",
            charset="ISO_IR 100") -> list[pydicom.Dataset]:  # fmt: skip
    made = []
    for i in range(n):
        ds = image(
            pid, name, study=f"{U}.{pid[-3:]}.{study}", series=f"{U}.{pid[-3:]}.{study}.1",
            sop=f"{U}.{pid[-3:]}.{study}.1.{i + 1}", number=i + 1, position=2.5 * i,
            pixels=pixels if pixels is not None else bytes([i, len(made), int(pid[-1])]) * 10
            + b"\x00\x00", date=date, charset=charset,
        )  # fmt: skip
        write(ds, src / pid / f"s{study}" / f"{i + 1}.dcm")
        made.append(ds)
    return made


@pytest.fixture
def two_patients(tmp_path: Path):
    """Two patients with two studies each; every slice's pixels are the same blank image."""
    src = tmp_path / "src"
    blank = b"\x00" * 32
    sources = []
    for pid, name in (("PAT-00401", "Doe^Jane"), ("PAT-00502", "Roe^Richard")):
        sources += _series(src, pid, name, 3, pixels=blank, study=1, date="20200110")
        sources += _series(src, pid, name, 2, pixels=blank, study=2, date="20200305")
    return src, sources


def _release(sources, dst: Path, releaser: Releaser) -> list[Path]:
    paths = []
    for ds in sources:
        out = releaser.release(ds)
        paths.append(write(out, dst / out.PatientID / f"{out.SOPInstanceUID}.dcm"))
    return paths


def test_a_proper_release_passes_even_when_every_pixel_is_the_same(two_patients, tmp_path):
    src, sources = two_patients
    out = tmp_path / "out"
    _release(sources, out, Releaser((BASIC, MODIFIED_DATES, PATIENT_CHARS)))
    result = verify(out, against=src)
    assert result.passed, result.text()
    assert result.checks["files released"].passed == len(sources) == 10
    assert result.checks["pseudonyms"].passed == 2
    assert result.checks["intervals"].passed == 2  # each patient's two studies, 55 days apart
    assert cli.main([str(out), "--against", str(src)]) == 0


def test_mixed_up_pseudonyms_are_found_despite_identical_pixels(two_patients, tmp_path):
    src, sources = two_patients
    out = tmp_path / "out"
    paths = _release(sources, out, Releaser((BASIC, MODIFIED_DATES)))
    # the third slice of the first patient's first study is released under the other subject
    ds = pydicom.dcmread(paths[2])
    ds.PatientID = pydicom.dcmread(paths[5]).PatientID
    ds.save_as(paths[2], enforce_file_format=True)
    result = verify(out, against=src)
    assert result.checks["pseudonyms"].passed == 0 and not result.passed
    assert result.checks["files released"].passed == 10  # every file still paired


def test_an_empty_release_fails(two_patients, tmp_path, capsys):
    src, _ = two_patients
    empty = tmp_path / "empty"
    empty.mkdir()
    result = verify(empty, against=src)
    assert result.clean and not result.passed
    assert result.files == 0 and "empty" in " ".join(result.problems)
    assert cli.main([str(empty), "--against", str(src)]) == 1


def test_lost_or_truncated_pixel_data_fails(two_patients, tmp_path):
    src, sources = two_patients
    out = tmp_path / "out"
    paths = _release(sources, out, Releaser())
    assert verify(out, against=src).passed
    ds = pydicom.dcmread(paths[0])
    del ds.PixelData
    ds.save_as(paths[0], enforce_file_format=True)
    lost = verify(out, against=src)
    assert lost.clean and not lost.passed
    assert lost.checks["pixel data"].passed == 9 and lost.checks["pixel data"].total == 10
    assert cli.main([str(out), "--against", str(src)]) == 1
    ds = pydicom.dcmread(paths[1])
    ds.PixelData = ds.PixelData[:-4]
    ds.save_as(paths[1], enforce_file_format=True)
    assert verify(out, against=src).checks["pixel data"].passed == 8


def test_an_implicit_vr_source_whose_output_lost_pixels_is_caught(tmp_path):
    """The first release's bug: implicit-VR files came out without Pixel Data and passed."""
    src, out = tmp_path / "src", tmp_path / "out"
    ds = image("PAT-00777", "Ito^Maria", study=U + ".7", series=U + ".7.1", sop=U + ".7.1.1")
    write(ds, src / "a.dcm", implicit=True)
    released = Releaser().release(pydicom.dcmread(src / "a.dcm"))
    del released.PixelData
    write(released, out / "a.dcm", implicit=True)
    result = verify(out, against=src)
    assert not result.checks["pixel data"].ok and not result.passed


def test_an_unreadable_released_file_fails(two_patients, tmp_path):
    src, sources = two_patients
    out = tmp_path / "out"
    paths = _release(sources, out, Releaser())
    paths[0].write_bytes(b"\x00" * 128 + b"DICM" + b"\x02\x00\x10\x00UI\xff\xff")
    result = verify(out, against=src)
    assert not result.passed and any("unreadable" in p for p in result.problems)
    (out / "broken.json").write_text("{not json")
    assert sum("unreadable" in p for p in verify(out, against=src).problems) == 2


def test_nothing_to_search_for_fails(tmp_path):
    src, out = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    (src / "README").write_text("no identifying value here\n")
    out.mkdir()
    (out / "README").write_text("no identifying value here\n")
    result = verify(out, against=src)
    assert result.searched == 0 and not result.passed
    assert cli.main([str(out), "--against", str(src)]) == 1
    key = tmp_path / "key.json"
    key.write_text(json.dumps({"identifiers": []}))
    assert cli.main([str(out), "--answer-key", str(key)]) == 1


def test_values_kept_under_a_declared_option_are_allowed(two_patients, tmp_path):
    src, sources = two_patients
    kept = tmp_path / "kept"
    _release(sources, kept, Releaser((BASIC, DEVICE)))
    assert all(pydicom.dcmread(p).StationName == "STATION-ALPHA7" for p in kept.rglob("*.dcm"))
    assert verify(kept, against=src).passed
    # the same station name in files that do not declare Retain Device Identity is a leak
    undeclared = tmp_path / "undeclared"
    for path in _release(sources, undeclared, Releaser((BASIC,))):
        ds = pydicom.dcmread(path)
        ds.StationName = "STATION-ALPHA7"
        ds.save_as(path, enforce_file_format=True)
    result = verify(undeclared, against=src)
    assert {(f.category, f.kind) for f in result.findings} == {("attribute", "device")}
    assert len(result.findings) == 10


# --- names in the character sets of PS3.3 C.12.1.1.2 ----------------------------------------

CHARSETS = [
    # (Specific Character Set, name, bytes an independent encoder gives for the family name)
    ("ISO_IR 144", "Люкceмбypг^Иван", "Люкceмбypг".encode("iso8859_5")),
    (["", "ISO 2022 IR 149"], "Hong^Gildong=洪^吉洞=홍^길동", b"\x1b$)C" + "홍".encode("euc_kr")),
    ("GB18030", "Wang^XiaoDong=王^小东", "王".encode("gb18030")),
    ("ISO_IR 192", "Müller^Jürgen=Мюллер^Юрген", "Мюллер".encode()),
]


@pytest.mark.parametrize("charset, name, raw", CHARSETS, ids=["IR144", "IR149", "GB18030", "UTF8"])
def test_names_in_each_character_set_are_found_in_an_untouched_copy(tmp_path, charset, name, raw):
    src = tmp_path / "src"
    ds = image("PAT-00999", name, study=U + ".9", series=U + ".9.1", sop=U + ".9.1.1",
               charset=charset)  # fmt: skip
    path = write(ds, src / "a.dcm")
    assert raw in path.read_bytes()  # pydicom wrote the name in that character set
    assert str(pydicom.dcmread(path).PatientName) == name  # and reads it back the same
    out = tmp_path / "out"
    shutil.copytree(src, out)
    result = verify(out, against=src)
    names = {f.value for f in result.findings if f.kind == "name"}
    groups = name.split("=")
    assert all(g in names for g in groups), [mask(n) for n in names]
    assert not result.passed


@pytest.mark.parametrize("charset, name, raw", CHARSETS, ids=["IR144", "IR149", "GB18030", "UTF8"])
def test_a_name_re_encoded_in_another_character_set_is_found(tmp_path, charset, name, raw):
    """The release declares UTF-8 and writes the name in it: found by decoding, not bytes."""
    src, out = tmp_path / "src", tmp_path / "out"
    ds = image("PAT-00999", name, study=U + ".9", series=U + ".9.1", sop=U + ".9.1.1",
               charset=charset)  # fmt: skip
    write(ds, src / "a.dcm")
    released = Releaser().release(pydicom.dcmread(src / "a.dcm"))
    released.SpecificCharacterSet = "ISO_IR 192"
    released.StudyDescription = f"re-encoded {name.split('=')[-1]}"
    write(released, out / "a.dcm")
    result = verify(out, against=src)
    where = [(f.category, mask(f.value)) for f in result.findings]
    last_group = name.split("=")[-1]
    assert any(f.value in last_group and f.category == "free text" for f in result.findings), where


def test_a_name_in_an_undeclared_character_set_is_found_in_the_bytes(tmp_path):
    """A release that declares Latin-1 but holds Cyrillic bytes: the byte search finds it."""
    src, out = tmp_path / "src", tmp_path / "out"
    name = "Люкceмбypг^Иван"
    ds = image("PAT-00999", name, study=U + ".9", series=U + ".9.1", sop=U + ".9.1.1",
               charset="ISO_IR 144")  # fmt: skip
    write(ds, src / "a.dcm")
    released = Releaser().release(pydicom.dcmread(src / "a.dcm"))
    released.SpecificCharacterSet = "ISO_IR 100"
    released.add_new(0x00204000, "LT", "Иван".encode("iso8859_5"))  # raw bytes, undeclared
    write(released, out / "a.dcm")
    result = verify(out, against=src)
    assert any(f.value == "Иван" for f in result.findings)


@pytest.mark.parametrize("name", ["chrRuss.dcm", "chrI2.dcm", "chrX2.dcm", "chrX1.dcm",
                                  "chrH31.dcm", "chrGreek.dcm", "chrArab.dcm"])  # fmt: skip
def test_pydicom_charset_files_are_found_dirty(tmp_path, name):
    """Files no one here wrote: pydicom's character set test data, copied untouched."""
    path = Path(pydicom.data.__file__).parent / "charset_files" / name  # on disk, no download
    src, out = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    shutil.copy(path, src / name)
    shutil.copytree(src, out)
    expected = str(pydicom.dcmread(path).PatientName).split("=")[0].split("^")[0]
    result = verify(out, against=src)
    names = [f.value for f in result.findings if f.kind == "name"]
    assert any(expected in n for n in names), mask(expected)


# --- it never prints an identifier -----------------------------------------------------------


def test_nothing_identifying_is_printed_with_every_check_failing(two_patients, tmp_path, capsys):
    src, sources = two_patients
    out = tmp_path / "out"
    paths = _release(sources, out, Releaser((BASIC, MODIFIED_DATES, PATIENT_CHARS)))
    # leaks
    ds = pydicom.dcmread(paths[0])
    ds.ImageComments = "Jane Doe PAT-00401 Example General Hospital 10/01/2020"
    del ds.PixelData  # pixel data lost
    ds.save_as(paths[0], enforce_file_format=True)
    ds = pydicom.dcmread(paths[1])
    ds.PatientID = "PAT-00401"  # the source ID: a second released ID, and a leak
    ds.ReferencedImageSequence = [pydicom.Dataset()]
    ds.ReferencedImageSequence[0].ReferencedSOPInstanceUID = "2.25.424242"  # broken
    ds.PatientSex = "M"  # a kept value changed
    ds.StudyDate = "19990101"  # an interval broken
    del ds.SOPClassUID  # no longer a valid instance
    ds.save_as(paths[1], enforce_file_format=True)
    (out / "PAT-00502_notes.json").write_text('{"Note": "Richard Roe"}')
    (out / "broken.dcm").write_bytes(b"\x00" * 132)
    report = tmp_path / "report.json"
    assert cli.main([str(out), "--against", str(src), "--report", str(report)]) == 1
    printed = capsys.readouterr()
    doc = json.loads(report.read_text())
    failing = {k for k, c in doc["checks"].items() if c["gate"] and not c["ok"]}
    assert failing == {"valid", "pixel data", "pseudonyms", "intervals", "references", "research"}
    assert doc["findings"] and doc["problems"]
    text = printed.out + printed.err + report.read_text()
    planted = {
        "Doe^Jane", "Doe", "Jane", "Roe^Richard", "Roe", "Richard", "PAT-00401", "PAT-00502",
        "Example General Hospital", "10/01/2020", "20200110", "20200305", "STATION-ALPHA7",
        "Strangelove", "Quentin", "ACC00401", "STUDY0401", "19500101",
    }  # fmt: skip
    planted |= {str(ds.StudyInstanceUID) for ds in sources}
    planted |= {str(ds.SOPInstanceUID) for ds in sources}
    for value in planted:
        assert value not in text, mask(value)
