"""imgshare verify on the planted corpus: it finds what the generator planted, passes the
engine's clean output, and finds each leak put back by hand, masked.

The corpus writes its answer key from what it planted and verify reads nothing of the corpus
but that key, so "the sources are dirty" is a comparison of two independent accounts.
"""

from __future__ import annotations

import json
import shutil
from collections import defaultdict
from pathlib import Path

import nibabel as nib
import numpy as np
import pydicom
import pytest

from imgshare import batch, cli, corpus, scoring
from imgshare.dicom import keys
from imgshare.dicom.text import Cleaner
from imgshare.verify import mask, verify


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    root = tmp_path_factory.mktemp("verify")
    src = root / "corpus"
    key = corpus.generate(src, seed=3, patients=2, slices=2)
    key_file = keys.create_key(root / "key")
    out = root / "release"
    # The gate would hold the ultrasound images back; released unreviewed on purpose, so that
    # verify has burned-in text to find.
    batch.deidentify_tree(src, out, corpus.RECOMMENDED, key_file, release_unreviewed=True)
    basic = root / "basic"
    batch.deidentify_tree(src, basic, (), key_file, release_unreviewed=True)
    return src, out, key, basic


def _copy(out: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "copy"
    shutil.copytree(out, dst)
    return dst


def _first(root: Path, modality: str) -> Path:
    for path in sorted(root.rglob("*.dcm")):
        if pydicom.dcmread(path, stop_before_pixels=True).Modality == modality:
            return path
    raise AssertionError(modality)


def _ident(key, kind: str, ascii_only: bool = True) -> str:
    for item in key["identifiers"]:
        value = item["value"]
        if item["kind"] == kind and (value.isascii() == ascii_only) and "^" not in value:
            return value
    raise AssertionError(kind)


def test_corpus_is_deterministic(tmp_path):
    a = corpus.generate(tmp_path / "a", seed=5, patients=1, slices=2)
    b = corpus.generate(tmp_path / "b", seed=5, patients=1, slices=2)
    assert a == b
    files_a = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*.dcm"))
    files_b = sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*.dcm"))
    assert files_a == files_b and len(files_a) == 9
    for rel in files_a:
        assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes()


def test_key_plants_every_category(release):
    src, _, key, _ = release
    planted = {p["category"] for p in key["planted"]}
    expected = {"attribute", "free text", "sequence", "private", "other-language"}
    expected |= {"file meta", "overlay", "uid", "path"}
    assert expected <= planted
    modalities = {f["modality"] for f in key["files"]}
    assert {"CT", "MR", "DX", "US", "XA", "SR", "RTSTRUCT"} <= modalities
    assert len(key["pixel_text"]) == 2  # one ultrasound image per patient
    # each planted place names a file the corpus wrote
    written = {p.relative_to(src).as_posix() for p in src.rglob("*.dcm")}
    assert {p["file"] for p in key["planted"]} == written


def test_every_planted_place_is_found_in_the_sources(release):
    """verify on the untouched corpus finds each value the generator says it put in each file."""
    src, _, key, _ = release
    result = verify(src, answer_key=key)
    found = defaultdict(set)
    for f in result.findings:
        found[f.file].add(f.value)
    missed = [(p["file"], p["location"], mask(p["value"])) for p in key["planted"]
              if p["value"] not in found[p["file"]]]  # fmt: skip
    # a value inside a longer planted value in the same element is found as the longer one
    longer = {
        (p["file"], p["location"], mask(p["value"]))
        for p in key["planted"]
        for q in key["planted"]
        if q["file"] == p["file"] and q["location"] == p["location"]
        and p["value"] != q["value"] and p["value"].lower() in q["value"].lower()
        and q["value"] in found[q["file"]]
    }  # fmt: skip
    assert [m for m in missed if m not in longer] == []
    assert not result.passed


def test_references_counted_by_verify_match_the_generator(release):
    src, _, key, _ = release
    result = verify(src, against=src)
    assert result.checks["references kept"].total == key["references"] == 28
    assert result.checks["references"].ok


def test_engine_output_is_clean_but_for_burned_in_text(release):
    src, out, key, _ = release
    result = verify(out, against=src, answer_key=key)
    assert {f.category for f in result.findings} == {"pixels"}
    for name in ("valid", "pixel data", "pseudonyms", "intervals", "references", "research"):
        check = result.checks[name]
        assert check.ok and check.total > 0, (name, check)
    against = verify(out, against=src)
    assert against.passed, against.text()
    assert any(n.startswith("pixels") for n in against.not_checked)


def test_basic_profile_release_passes_its_expected_removals(release):
    """The Basic Profile removes sex, age, dates: verify must not call that a failure."""
    src, _, _, basic = release
    result = verify(basic, against=src)
    assert result.passed, result.text()
    assert result.checks["intervals"].total == 0  # dates removed: nothing to keep
    assert result.checks["research"].total > 0
    assert "PatientSex" not in result.text()


def test_a_removal_the_declared_options_forbid_is_a_failure(release, tmp_path):
    src, out, _, _ = release
    dst = _copy(out, tmp_path)
    ct = _first(dst, "CT")
    ds = pydicom.dcmread(ct)
    codes = {i.CodeValue for i in ds.DeidentificationMethodCodeSequence}
    assert "113108" in codes  # Retain Patient Characteristics: sex must stay
    del ds.PatientSex
    ds.save_as(ct, enforce_file_format=True)
    result = verify(dst, against=src)
    assert not result.checks["research"].ok and not result.passed
    assert any("PatientSex" in n for n in result.checks["research"].notes)


def _insert(out: Path, key, category: str) -> tuple[Path, str]:
    """Re-insert one planted value in one category; return the root and the value."""
    ct = _first(out, "CT")
    ds = pydicom.dcmread(ct)
    name = _ident(key, "name")
    if category == "attribute":
        ds.InstitutionName = _ident(key, "institution")
        value = ds.InstitutionName
    elif category == "free text":
        ds.StudyDescription = f"CT for {name}"
        value = name
    elif category == "sequence":
        value = _ident(key, "id")
        ds.RequestAttributesSequence[0].AccessionNumber = value
    elif category == "private":
        ds.private_block(0x0031, "SOMEONE", create=True).add_new(0x01, "UN", name.encode())
        value = name
    elif category == "other-language":
        value = _ident(key, "name", ascii_only=False)
        ds.SpecificCharacterSet = ["", "ISO 2022 IR 87"]
        ds.PatientName = value
    elif category == "file meta":
        value = _ident(key, "device")
        ds.file_meta.SourceApplicationEntityTitle = value[:16]
        value = value[:16]
    elif category == "overlay":
        ds.add_new(0x60000022, "LO", name)
        value = name
    elif category == "uid":
        value = _ident(key, "uid")
        ds.FrameOfReferenceUID = value
    elif category == "unparsed bytes":
        value = name
        ds.preamble = name.encode().ljust(128, b"\x00")
    if category == "path":
        value = _ident(key, "id")
        ct.rename(ct.with_name(f"{value}.dcm"))
        return ct.with_name(f"{value}.dcm"), value
    if category == "json":
        value = name
        target = ct.with_suffix(".json")
        target.write_text(json.dumps({"Note": f"scan of {name}"}))
        return target, value
    if category == "table":
        value = _ident(key, "id")
        target = ct.with_name("participants.tsv")
        target.write_text(f"participant_id\tnote\nsub-01\tsee {value}\n")
        return target, value
    if category == "nifti header":
        value = _ident(key, "id")
        img = nib.Nifti1Image(np.zeros((2, 2, 2), dtype=np.int16), np.eye(4))
        img.header["descrip"] = value.encode()
        target = ct.with_suffix(".nii.gz")
        nib.save(img, target)
        return target, value
    ds.save_as(ct, enforce_file_format=True)
    return ct, value


CATEGORIES = [
    "attribute", "free text", "sequence", "private", "other-language", "file meta", "overlay",
    "uid", "path", "unparsed bytes", "json", "table", "nifti header",
]  # fmt: skip


@pytest.mark.parametrize("category", CATEGORIES)
def test_each_planted_leak_is_found_and_masked(release, tmp_path, category):
    src, out, key, _ = release
    dst = _copy(out, tmp_path)
    _, value = _insert(dst, key, category)
    for result in (verify(dst, answer_key=key), verify(dst, against=src)):
        new = [f for f in result.findings if f.category != "pixels"]
        assert any(f.category == category and f.value == value for f in new), [
            (f.category, f.location) for f in new
        ]
        assert not result.passed
        text = result.text() + json.dumps(result.to_json(), ensure_ascii=False)
        assert value not in text and mask(value) in text


def test_burned_in_text_changed_is_reported_not_checked(release, tmp_path):
    src, out, key, _ = release
    dst = _copy(out, tmp_path)
    for path in dst.rglob("*.dcm"):
        ds = pydicom.dcmread(path)
        if ds.Modality == "US":
            pixels = ds.pixel_array.copy()
            pixels[:20] = 0  # a crude mask over the text rows
            ds.PixelData = pixels.tobytes()
            ds.save_as(path, enforce_file_format=True)
    result = verify(dst, answer_key=key)
    assert not result.findings
    assert any(n.startswith("pixels") for n in result.not_checked)
    # the masked files still pair with their sources: by their attributes, not their pixels
    paired = verify(dst, against=src)
    assert paired.checks["files released"].ok and paired.checks["pseudonyms"].ok


def test_consistency_checks_fail_when_broken(release, tmp_path):
    src, out, _, _ = release
    dst = _copy(out, tmp_path)
    files = sorted(dst.rglob("*.dcm"))
    ds = pydicom.dcmread(files[0])
    ds.PatientID = "SOMEONE-ELSE"
    ds.StudyDate = "19990101"
    ds.save_as(files[0], enforce_file_format=True)
    for path in files:
        ds = pydicom.dcmread(path)
        if ds.Modality == "SR":
            seq = ds.CurrentRequestedProcedureEvidenceSequence[0].ReferencedSeriesSequence[0]
            seq.ReferencedSOPSequence[0].ReferencedSOPInstanceUID = "2.25.1"
            ds.save_as(path, enforce_file_format=True)
    result = verify(dst, against=src)
    assert not result.checks["pseudonyms"].ok
    assert not result.checks["intervals"].ok
    assert not result.checks["references"].ok
    assert not result.passed


def test_exit_codes(release, tmp_path, capsys):
    src, out, _, _ = release
    assert cli.main(["verify", str(out), "--against", str(src)]) == 0
    report = tmp_path / "r.json"
    key_file = corpus.key_path(src)
    args = ["verify", str(out), "--answer-key", str(key_file), "--report", str(report)]
    assert cli.main(args) == 1
    assert json.loads(report.read_text())["leaks_by_category"] == {"pixels": 2}
    assert cli.main(["verify", str(out)]) == 2
    assert cli.main(["verify", str(tmp_path / "missing"), "--against", str(src)]) == 2
    bad_key = tmp_path / "bad.json"
    bad_key.write_text("[1, 2]")
    assert cli.main(["verify", str(out), "--answer-key", str(bad_key)]) == 2
    assert cli.main(["verify", str(src), "--against", str(src)]) == 1
    printed = capsys.readouterr()
    key = json.loads(key_file.read_text())
    for item in key["identifiers"]:
        assert item["value"] not in printed.out + printed.err, mask(item["value"])


def test_cleaner_keeps_title_check_when_title_is_a_header_value():
    # "Dr" is a component of another person's name in the header; it must not hide Smith
    cleaner = Cleaner(["Dr", "Brown", "Alice"])
    assert cleaner.clean("Reviewed by Dr Smith on 20200101") is None
    assert cleaner.clean("Reviewed by Dr Brown") == "Reviewed by [REMOVED] [REMOVED]"
    assert cleaner.clean("Axial 1.25mm") == "Axial 1.25mm"


def test_scoring_table(release):
    src, out, key, _ = release
    result = verify(out, against=src, answer_key=key)
    col = scoring.score(result, seconds=2.0)
    assert col["leaks: pixels"] == 2 and col["leaks: total"] == 2
    assert col["patients with one pseudonym"] == "2 of 2"
    assert col["verdict"] == "failed"
    raw = verify(src, against=src, answer_key=key)
    df = scoring.table({"imgshare": col, "raw": scoring.score(raw)})
    assert df.loc["leaks: total", "raw"] == len(raw.findings) > 100
    assert "leaks: free text" in df.index and "leaks: table" not in df.index  # zero everywhere
    table = scoring.markdown(df)
    assert table.splitlines()[0] == "| | imgshare | raw |"
    raw_pixels = sum(f.category == "pixels" for f in raw.findings)
    assert f"| leaks: pixels | 2 | {raw_pixels} |" in table.splitlines()
