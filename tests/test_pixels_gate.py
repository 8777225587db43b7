"""The release gate: pixels that may identify are held back unless an option treats them.

Every file here is made by the test (a header from imgshare.testing.ct with the class and
modality set), except the last test, which runs on data/samples and names, from each
sample's MANIFEST description and header, what a plain run must hold back.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.uid import ExplicitVRLittleEndian

from imgshare import batch, cli, journal, samples
from imgshare.dicom import config, keys
from imgshare.testing import ct

US = "1.2.840.10008.5.1.4.1.1.6.1"
SC = "1.2.840.10008.5.1.4.1.1.7"
PHOTO = "1.2.840.10008.5.1.4.1.1.77.1.4"
CR = "1.2.840.10008.5.1.4.1.1.1"
MR = "1.2.840.10008.5.1.4.1.1.4"


def image(path: Path, sop: str, modality: str, **attrs) -> Path:
    ds = ct()
    ds.SOPClassUID, ds.Modality = sop, modality
    for kw in ("BodyPartExamined", "BurnedInAnnotation", "StudyDescription"):
        if kw in ds:
            delattr(ds, kw)
    for kw, value in attrs.items():
        setattr(ds, kw, value)
    ds.file_meta = pydicom.dataset.FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    for kw in ("RescaleIntercept", "RescaleSlope"):
        if kw in ds:
            delattr(ds, kw)
    ds.set_pixel_data(np.zeros((16, 16), np.uint8), "MONOCHROME2", 8, generate_instance_uid=True)
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path, enforce_file_format=True)
    return path


#: file -> (class, modality, attributes, the option that must treat it or None)
CASES = {
    "us.dcm": (US, "US", {}, "clean-pixel-data"),
    "us_flag_no.dcm": (US, "US", {"BurnedInAnnotation": "NO"}, "clean-pixel-data"),
    "sc.dcm": (SC, "OT", {}, "clean-pixel-data"),
    "photo.dcm": (PHOTO, "XC", {}, "clean-pixel-data"),
    "mr_flag_yes.dcm": (MR, "MR", {"BurnedInAnnotation": "YES"}, "clean-pixel-data"),
    "mr_head.dcm": (MR, "MR", {"BodyPartExamined": "HEAD"}, "clean-recognizable-visual-features"),
    "mr_brain_study.dcm": (
        MR,
        "MR",
        {"StudyDescription": "MRI BRAIN W/O"},
        "clean-recognizable-visual-features",
    ),  # fmt: skip
    "mr_knee.dcm": (MR, "MR", {"BodyPartExamined": "KNEE"}, None),
    "cr_flag_no.dcm": (CR, "CR", {"BurnedInAnnotation": "NO"}, None),
}


@pytest.fixture
def made(tmp_path: Path) -> Path:
    for name, (sop, modality, attrs, _) in CASES.items():
        image(tmp_path / "src" / name, sop, modality, **attrs)
    return tmp_path / "src"


@pytest.fixture
def key(tmp_path: Path) -> Path:
    return keys.create_key(tmp_path / "k")


def deidentify(src: Path, dst: Path, key: Path, *extra: str) -> tuple[int, dict]:
    report = dst.parent / (dst.name + ".json")
    code = cli.main(["deidentify", str(src), str(dst), "--key-file", str(key), "--no-progress",
                     "--show-paths", "--report", str(report), *extra])  # fmt: skip
    return code, json.loads(report.read_text())


def names_of(rep: dict, status: str) -> set[str]:
    return {f["source"] for f in rep["files"] if f["status"] == status}


def test_plain_run_holds_back_what_may_identify(made: Path, key: Path, tmp_path: Path) -> None:
    code, rep = deidentify(made, tmp_path / "out", key)
    held = {n for n, case in CASES.items() if case[3]}
    assert code == 1
    assert names_of(rep, "failed") == held
    assert names_of(rep, "processed") == set(CASES) - held
    for f in rep["files"]:
        if f["status"] == "failed":
            assert f"--option {CASES[f['source']][3]}" in f["reason"]
            assert "--release-unreviewed-pixels" in f["reason"]
    assert not list((tmp_path / "out").rglob("*.dcm"))[len(set(CASES) - held) :]


def test_the_treating_option_lets_the_face_cases_through(made: Path, key: Path, tmp_path) -> None:
    """One slice of a head is not a volume: under the option it goes with a note."""
    code, rep = deidentify(made, tmp_path / "out", key,
                           "--option", "clean-recognizable-visual-features")  # fmt: skip
    faces = {n for n, c in CASES.items() if c[3] == "clean-recognizable-visual-features"}
    assert faces <= names_of(rep, "processed")
    for f in rep["files"]:
        if f["source"] in faces:
            assert any("no face can be rendered" in n for n in f["notes"])
            out = pydicom.dcmread(tmp_path / "out" / f["output"])
            assert out.RecognizableVisualFeatures == "NO"


def test_release_flag_releases_unreviewed_and_says_so(made: Path, key: Path, tmp_path) -> None:
    code, rep = deidentify(made, tmp_path / "out", key, "--release-unreviewed-pixels")
    assert code == 0 and names_of(rep, "processed") == set(CASES)
    assert rep["settings"]["release_unreviewed_pixels"] is True
    flagged = {f["source"] for f in rep["files"]
               if any(n.startswith("RELEASED UNREVIEWED") for n in f.get("notes", []))}  # fmt: skip
    assert flagged == {n for n, c in CASES.items() if c[3]}
    text = (tmp_path / "out.txt").read_text()
    assert "RELEASED UNREVIEWED" in text


def test_settings_live_in_the_recipe_report_and_fingerprint(key: Path, tmp_path, monkeypatch):
    recipe = tmp_path / "r.yaml"
    recipe.write_text("pixels:\n  burned_in: refuse\n  ocr_all: true\n")
    monkeypatch.setenv("IMGSHARE_BURNED_IN", "known-regions")  # no longer read
    cfg = config.build(key, recipe=recipe)
    assert cfg.pixels.burned_in == "refuse" and cfg.pixels.ocr_all and cfg.pixels.verify
    plain = config.build(key)
    assert journal.fingerprint(cfg) != journal.fingerprint(plain)
    assert journal.fingerprint(config.build(key, release_unreviewed=True)) != journal.fingerprint(
        plain
    )
    rep = batch.run(tmp_path / "r.yaml", tmp_path / "out", cfg)
    assert rep.to_json()["settings"]["pixels"]["burned_in"] == "refuse"
    for bad in ("pixels:\n  burned_in: blur\n", "pixels:\n  ocr: true\n",
                "pixels:\n  verify: 'no'\n"):  # fmt: skip
        recipe.write_text(bad)
        with pytest.raises(config.RecipeError):
            config.build(key, recipe=recipe)


def test_a_resumed_run_with_other_pixel_settings_is_refused(made: Path, key: Path, tmp_path):
    recipe = tmp_path / "r.yaml"
    recipe.write_text("pixels:\n  burned_in: refuse\n")
    batch.run(made, tmp_path / "out", config.build(key, ["clean-pixel-data"], recipe=recipe))
    recipe.write_text("pixels:\n  burned_in: known-regions\n")
    with pytest.raises(batch.UsageError, match="other settings"):
        batch.run(made, tmp_path / "out", config.build(key, ["clean-pixel-data"], recipe=recipe))


#: What a plain run must hold back among the samples, and the option named in the reason:
#: from each sample's MANIFEST description and header (class, modality, Burned In
#: Annotation, Body Part Examined) and, for NIfTI, its size in millimetres.
SAMPLES_HELD = {
    "dicom/us_greyscale_burned_in.dcm": "clean-pixel-data",  # ultrasound, flag YES
    "dicom/us_rgb_burned_in.dcm": "clean-pixel-data",  # ultrasound with burned-in text
    "dicom/examples_palette.dcm": "clean-pixel-data",  # ultrasound, palette colour
    "dicom/JPEG2000_UNC.dcm": "clean-pixel-data",  # secondary capture (screen, WSD)
    "dicom/ctbrain1.dcm": "clean-pixel-data",  # head CT stored as a secondary capture
    "dicom/emri_small.dcm": "clean-recognizable-visual-features",  # MR of the head
    "nifti/mean_reg2mean.nii.gz": "clean-recognizable-visual-features",  # a full head
    "nifti/facemask.nii.gz": "clean-recognizable-visual-features",  # head-sized volume
}


def test_plain_run_on_the_samples(key: Path, tmp_path: Path) -> None:
    code, rep = deidentify(samples.samples_dir(), tmp_path / "out", key)
    failed = {f["source"]: f["reason"] for f in rep["files"] if f["status"] == "failed"}
    assert code == 1
    assert set(failed) == set(SAMPLES_HELD)
    for name, option in SAMPLES_HELD.items():
        assert f"--option {option}" in failed[name]


def test_hand_listed_sop_classes_are_the_ones_pydicom_names() -> None:
    """The triage's typed-in SOP Class UIDs, read back through pydicom's UID dictionary."""
    from pydicom.uid import UID

    from imgshare.pixels import triage

    words = {  # label word -> what pydicom's name must contain
        "computed radiography": "Computed Radiography", "digital X-ray": "Digital X-Ray",
        "mammography": "Mammography", "intra-oral": "Intra-Oral", "enhanced X-ray angiography":
        "Enhanced XA", "X-ray angiography": "Angiographic", "enhanced X-ray fluoroscopy":
        "Enhanced XRF", "X-ray fluoroscopy": "Radiofluoroscopic", "tomosynthesis":
        "Tomosynthesis", "PDF": "Encapsulated PDF", "CDA": "Encapsulated CDA",
    }  # fmt: skip
    for uid, label in {**triage.POSSIBLE_CLASSES, **triage.ENCAPSULATED}.items():
        name = UID(uid).name
        assert name.endswith("Storage") or " Storage - " in name, (uid, name)
        word = next(w for w in words if w in label)
        assert words[word] in name, (uid, label, name)
