"""imgshare verify: finds a planted leak in every category, masked; passes clean output."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import nibabel as nib
import numpy as np
import pydicom
import pytest

from imgshare import batch, cli, corpus, scoring, verify
from imgshare.dicom import keys
from imgshare.dicom.text import Cleaner


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
    return src, out, key


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
    assert files_a == files_b
    for rel in files_a:
        assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes()


def test_key_plants_every_category(release):
    _, _, key = release
    planted = {p["category"] for p in key["planted"]}
    expected = {"attribute", "free text", "sequence", "private", "other-language"}
    expected |= {"file meta", "overlay", "uid", "path"}
    assert expected <= planted
    assert key["pixel_text"] and key["references"] > 0
    modalities = {f["modality"] for f in key["files"]}
    assert {"CT", "MR", "DX", "US", "XA", "SR", "RTSTRUCT"} <= modalities


def test_engine_output_is_clean_but_for_burned_in_text(release):
    src, out, key = release
    result = verify.verify(out, answer_key=key)
    assert {f.category for f in result.findings} == {"pixels"}
    for name in ("files released", "valid", "pseudonyms", "intervals", "references", "research"):
        assert result.checks[name].ok, (name, result.checks[name])
    against = verify.verify(out, against=src)
    assert against.clean and against.checks["research"].ok
    assert any("pixels" in n for n in against.not_checked)


def test_source_is_not_clean(release):
    src, _, key = release
    assert len(verify.verify(src, answer_key=key).findings) >= len(key["planted"])


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
    if category == "nifti header":
        value = _ident(key, "id")
        img = nib.Nifti1Image(np.zeros((2, 2, 2), dtype=np.int16), np.eye(4))
        img.header["descrip"] = value.encode()
        target = ct.with_suffix(".nii.gz")
        nib.save(img, target)
        return target, value
    if category == "pixels":
        us_src = next(f for f in key["files"] if f["modality"] == "US")
        return ct, us_src["file"]  # handled by the caller
    ds.save_as(ct, enforce_file_format=True)
    return ct, value


CATEGORIES = [
    "attribute", "free text", "sequence", "private", "other-language", "file meta", "overlay",
    "uid", "path", "unparsed bytes", "json", "nifti header",
]  # fmt: skip


@pytest.mark.parametrize("category", CATEGORIES)
def test_each_planted_leak_is_found_and_masked(release, tmp_path, category):
    _, out, key = release
    dst = _copy(out, tmp_path)
    target, value = _insert(dst, key, category)
    result = verify.verify(dst, answer_key=key)
    new = [f for f in result.findings if f.category != "pixels"]
    assert new, category
    assert any(f.category == category and f.value == value for f in new), [
        (f.category, f.location) for f in new
    ]
    text = result.text() + json.dumps(result.to_json(), ensure_ascii=False)
    assert value not in text and verify.mask(value) in text


def test_burned_in_text_changed_is_reported_not_checked(release, tmp_path):
    src, out, key = release
    dst = _copy(out, tmp_path)
    for path in dst.rglob("*.dcm"):
        ds = pydicom.dcmread(path)
        if ds.Modality == "US":
            pixels = ds.pixel_array.copy()
            pixels[:20] = 0  # a crude mask over the text rows
            ds.PixelData = pixels.tobytes()
            ds.save_as(path, enforce_file_format=True)
    result = verify.verify(dst, answer_key=key)
    assert not result.findings
    assert any(n.startswith("pixels") for n in result.not_checked)


def test_consistency_checks_fail_when_broken(release, tmp_path):
    _, out, key = release
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
    result = verify.verify(dst, answer_key=key)
    assert not result.checks["pseudonyms"].ok
    assert not result.checks["intervals"].ok
    assert not result.checks["references"].ok


def test_exit_codes(release, tmp_path, capsys):
    src, out, _ = release
    assert cli.main(["verify", str(out), "--against", str(src)]) == 0
    report = tmp_path / "r.json"
    key_file = corpus.key_path(src)
    args = ["verify", str(out), "--answer-key", str(key_file), "--report", str(report)]
    assert cli.main(args) == 1
    assert json.loads(report.read_text())["leaks_by_category"] == {"pixels": 2}
    assert cli.main(["verify", str(out)]) == 2
    assert cli.main(["verify", str(tmp_path / "missing"), "--against", str(src)]) == 2
    assert cli.main(["verify", str(src), "--against", str(src)]) == 1
    printed = capsys.readouterr().out
    assert "MRN" not in printed and "Yamada" not in printed


def test_mask_and_needles():
    assert verify.mask("Yamada") == "Y***(6)"
    needles = verify.Needles({"Yamada": "name", "山田": "name", "MRN0001": "id"})
    data = "x=Yamada^Tarou=山田".encode("iso2022_jp") + b" mrn0001 MRN00012"
    assert [v for _, v in needles.find(data)] == ["Yamada", "山田", "MRN0001"]
    assert needles.mask_text("Yamada_Tarou/MRN0001.dcm") == "Y***(6)_Tarou/M***(7).dcm"


def test_cleaner_keeps_title_check_when_title_is_a_header_value():
    # "Dr" is a component of another person's name in the header; it must not hide Smith
    cleaner = Cleaner(["Dr", "Brown", "Alice"])
    assert cleaner.clean("Reviewed by Dr Smith on 20200101") is None
    assert cleaner.clean("Reviewed by Dr Brown") == "Reviewed by [REMOVED] [REMOVED]"
    assert cleaner.clean("Axial 1.25mm") == "Axial 1.25mm"


def test_scoring_table(release):
    src, out, key = release
    result = verify.verify(out, answer_key=key)
    col = scoring.score(result, seconds=2.0)
    assert col["leaks: pixels"] == 2 and col["leaks: total"] == 2
    assert col["patients with one pseudonym"] == "2 of 2"
    df = scoring.table({"imgshare": col, "raw": scoring.score(verify.verify(src, answer_key=key))})
    assert "leaks: free text" in df.index and "| imgshare |" in scoring.markdown(df)
    assert hashlib.sha256(scoring.markdown(df).encode()).hexdigest()
