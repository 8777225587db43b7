"""BIDS: sidecar keys under the DICOM options, tables, names and paths, validity, bad input."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from imgshare import batch, profile
from imgshare.dicom import config, keys
from imgshare.nifti import bidscheck, names, sidecar, synthetic, tables


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    return keys.create_key(tmp_path / "secret.key")


def cfg_with(key_file: Path, *options: str, subjects: Path | None = None) -> config.Config:
    return config.build(key_file, list(options), subjects)


ALL_RETAIN = (
    "retain-long-full-dates", "retain-patient-characteristics", "retain-device-identity",
    "retain-uids", "retain-institution-identity", "clean-descriptors",
)  # fmt: skip


def test_every_key_is_classified_with_a_source() -> None:
    table = sidecar.key_table()
    assert set(table["sources"]) == {"bids", "dcm2niix", "table"}
    for key, entry in table["keys"].items():
        assert entry["class"] in sidecar.CLASSES, key
        assert entry["source"] in ("bids", "dcm2niix", "both"), key
    for column, entry in table["columns"].items():
        assert entry["rule"] in ("subject", "session", "path", "datetime", "option", "safe")
        if entry["rule"] == "option":
            assert entry["option"] in profile.OPTIONS, column


@pytest.mark.parametrize("options", [(), ALL_RETAIN])
@pytest.mark.parametrize("key", ["PatientName", "PatientID", "PatientBirthDate", "AccessionNumber"])
def test_direct_identifiers_always_removed(key: str, options: tuple[str, ...]) -> None:
    assert sidecar.action(key, options) == "remove"


@pytest.mark.parametrize(
    "key, option",
    [
        ("InstitutionName", "retain-institution-identity"),
        ("InstitutionAddress", "retain-institution-identity"),
        ("InstitutionalDepartmentName", "retain-institution-identity"),
        ("DeviceSerialNumber", "retain-device-identity"),
        ("StationName", "retain-device-identity"),
        ("PatientSex", "retain-patient-characteristics"),
        ("PatientAge", "retain-patient-characteristics"),
        ("PatientWeight", "retain-patient-characteristics"),
    ],
)
def test_option_keys_kept_only_under_their_option(key: str, option: str) -> None:
    assert sidecar.action(key, ()) == "remove"
    assert sidecar.action(key, (option,)) == "keep"


def test_dates_follow_the_longitudinal_options(key_file: Path) -> None:
    data = {"AcquisitionDateTime": "2020-03-15T10:15:30.5", "AcquisitionTime": "10:15:30"}
    basic, done = sidecar.clean(data, cfg_with(key_file), -10)
    assert basic == {} and set(done["keys_removed"]) == set(data)
    shifted, done = sidecar.clean(data, cfg_with(key_file, "retain-long-modified-dates"), -10)
    assert shifted == {
        "AcquisitionDateTime": "2020-03-05T10:15:30.5",
        "AcquisitionTime": "10:15:30",
    }  # noqa: E501
    assert done["keys_shifted"] == ["AcquisitionDateTime"]
    full, _ = sidecar.clean(data, cfg_with(key_file, "retain-long-full-dates"), -10)
    assert full == data
    bad, done = sidecar.clean({"AcquisitionDateTime": "yesterday"},
                              cfg_with(key_file, "retain-long-modified-dates"), -10)  # fmt: skip
    assert bad == {} and done["keys_removed"] == ["AcquisitionDateTime"]


def test_uids_replaced_like_dicom_or_kept(key_file: Path) -> None:
    cfg = cfg_with(key_file)
    out, done = sidecar.clean({"StudyInstanceUID": "1.2.3", "SeriesInstanceUID": "1.2.4"}, cfg, 0)
    assert out["StudyInstanceUID"] == keys.uid(cfg.key, "1.2.3")
    assert done["keys_replaced"] == ["StudyInstanceUID", "SeriesInstanceUID"]
    kept, _ = sidecar.clean({"StudyInstanceUID": "1.2.3"}, cfg_with(key_file, "retain-uids"), 0)
    assert kept == {"StudyInstanceUID": "1.2.3"}


def test_unlisted_keys_removed_and_named(key_file: Path) -> None:
    out, done = sidecar.clean(
        {"RepetitionTime": 2.0, "OperatorNote": "Jane"}, cfg_with(key_file), 0
    )  # noqa: E501
    assert out == {"RepetitionTime": 2.0}
    assert done == {"keys_unlisted": ["OperatorNote"]}


def test_clean_descriptors_cleans_text(key_file: Path) -> None:
    data = {"PatientName": "Doe^Jane", "SeriesDescription": "T1 for Jane Doe 2020-03-15"}
    out, done = sidecar.clean(data, cfg_with(key_file, "clean-descriptors"), 0)
    assert "Doe" not in out["SeriesDescription"] and "2020" not in out["SeriesDescription"]
    assert done["keys_cleaned"] == ["SeriesDescription"]
    removed, _ = sidecar.clean(data, cfg_with(key_file), 0)
    assert removed == {}


def test_intended_for_paths_renamed(key_file: Path) -> None:
    cfg = cfg_with(key_file)

    def rename(value: str) -> str:
        return names.bids_rename(value, cfg)[0]

    data = {"IntendedFor": ["bids::sub-H001/func/sub-H001_task-rest_bold.nii.gz"]}
    out, _ = sidecar.clean(data, cfg, 0, rename)
    released = names.alnum(keys.pseudonym(cfg.key, "H001"))
    assert out["IntendedFor"] == [f"bids::sub-{released}/func/sub-{released}_task-rest_bold.nii.gz"]


def test_subject_and_session_labels(tmp_path: Path, key_file: Path) -> None:
    subjects = tmp_path / "map.csv"
    subjects.write_text("original_id,subject_id,date_offset_days\nH001,TRIAL-0042,-23\n")
    cfg = cfg_with(key_file, subjects=subjects)
    out, who = names.bids_rename("sub-H001/ses-baseline/anat/sub-H001_ses-baseline_T1w.nii.gz", cfg)
    assert out == "sub-TRIAL0042/ses-baseline/anat/sub-TRIAL0042_ses-baseline_T1w.nii.gz"
    assert who is not None and who.offset == -23
    dated, _ = names.bids_rename("sub-H001/ses-20200315/sub-H001_ses-20200315_scans.tsv", cfg)
    assert "20200315" not in dated and dated.count("ses-s") == 2
    with pytest.raises(Exception, match="subject map"):
        names.bids_rename("sub-H999/anat/sub-H999_T1w.nii.gz", cfg)
    no_map = cfg_with(key_file)
    out, _ = names.bids_rename("sub-H001/anat/sub-H001_T1w.nii.gz", no_map)
    assert out.startswith("sub-" + names.alnum(keys.pseudonym(no_map.key, "H001")) + "/")


def test_participants_and_scans_tables(tmp_path: Path, key_file: Path) -> None:
    subjects = tmp_path / "map.csv"
    subjects.write_text("original_id,subject_id,date_offset_days\nH001,T42,-10\n")
    text = "participant_id\tage\tsex\tgroup\tmrn\nsub-H001\t68\tF\tpatient\tMRN1\nsub-H002\t70\tM\tx\tMRN2\n"  # noqa: E501
    cfg = cfg_with(key_file, subjects=subjects)
    out, done = tables.clean_table(text, cfg, None, lambda p: p)
    assert out == "participant_id\tgroup\nsub-T42\tpatient\n"
    assert done["columns_removed"] == ["age", "sex", "mrn"]
    assert "1 row(s) dropped" in done["notes"][0]
    kept, _ = tables.clean_table(text, cfg_with(key_file, "retain-patient-characteristics",
                                                subjects=subjects), None, lambda p: p)  # fmt: skip
    assert kept.splitlines()[1] == "sub-T42\t68\tF\tpatient"
    scans = "filename\tacq_time\toperator\nanat/sub-H001_T1w.nii.gz\t2020-03-15T10:15:30\tSmith\n"
    who = names.subject("H001", cfg, bids=True)

    def rename(value: str) -> str:
        return names.bids_rename(value, cfg)[0]

    basic, done = tables.clean_table(scans, cfg, who, rename)
    assert basic == "filename\nanat/sub-T42_T1w.nii.gz\n"
    assert done["columns_removed"] == ["acq_time", "operator"]
    cfg_dates = cfg_with(key_file, "retain-long-modified-dates", subjects=subjects)
    shifted, _ = tables.clean_table(scans, cfg_dates, who, rename)
    assert shifted.splitlines()[1] == "anat/sub-T42_T1w.nii.gz\t2020-03-05T10:15:30"


def test_synthetic_dataset_released_without_planted_identifiers(
    tmp_path: Path, key_file: Path
) -> None:
    src = synthetic.make_bids(tmp_path / "bids")
    cfg = cfg_with(key_file, "retain-long-modified-dates")
    rep = batch.run(src, tmp_path / "out", cfg)
    assert rep.counts["failed"] == 0
    skipped = [f["source"] for f in rep.files if f["status"] == "skipped"]
    assert skipped == ["README"], skipped  # free text is never released unseen
    planted = [v for k, v in synthetic.PLANTED.items() if k not in ("descrip",)]
    planted += ["Doe", "Jane", "Smith", "MRN", "0123 456", "2020-03-15"]
    for path in (tmp_path / "out").rglob("*"):
        rel = path.relative_to(tmp_path / "out").as_posix()
        assert not any(p in rel for p in planted), rel
        if path.is_file():
            raw = path.read_bytes()
            if raw[:2] == b"\x1f\x8b":
                raw = gzip.decompress(raw)
            text = raw.decode("latin-1")
            assert not [p for p in planted if p in text], (rel, [p for p in planted if p in text])
    entry = next(f for f in rep.files if f["source"].endswith("_T1w.json"))
    assert "PatientName" in entry["keys_removed"] and entry["keys_shifted"] == [
        "AcquisitionDateTime"
    ]  # noqa: E501
    image = next(f for f in rep.files if f["source"].endswith("_T1w.nii.gz"))
    assert image["cleared"] == ["db_name", "descrip", "aux_file"]
    assert image["extensions_removed"] == ["6 (comment)", "2 (dicom)"]
    assert bidscheck.structural_problems(tmp_path / "out") == []


@pytest.mark.requires("bids-validator")
def test_released_dataset_passes_the_bids_validator(tmp_path: Path, key_file: Path) -> None:
    src = synthetic.make_bids(tmp_path / "bids")
    batch.run(src, tmp_path / "out", cfg_with(key_file))
    result = bidscheck.run_validator(tmp_path / "out")
    assert result["errors"] == {}
    assert len(result["subjects"]) == 2


def test_structural_checks_find_broken_layouts(tmp_path: Path) -> None:
    src = synthetic.make_bids(tmp_path / "bids")
    assert bidscheck.structural_problems(src) == []
    anat = next(src.rglob("anat"))
    next(anat.glob("*_T1w.json")).rename(anat / "T1w.json")
    (src / "participants.tsv").write_text("participant_id\nsub-X\n")
    problems = bidscheck.structural_problems(src)
    assert any("name does not start" in p for p in problems)
    assert any("participants.tsv" in p for p in problems)


def test_invalid_sidecar_fails_alone(tmp_path: Path, key_file: Path) -> None:
    src = synthetic.make_bids(tmp_path / "bids")
    broken = next(src.rglob("*_T1w.json"))
    broken.write_text('{"RepetitionTime": 2.0,')
    array = next(src.rglob("*_bold.json"))
    array.write_text("[1, 2]")
    rep = batch.run(src, tmp_path / "out", cfg_with(key_file))
    failed = {f["source"]: f["reason"] for f in rep.files if f["status"] == "failed"}
    assert len(failed) == 2
    assert all(r.startswith("invalid JSON sidecar") for r in failed.values())
    assert rep.counts["processed"] == rep.counts["found"] - 2 - rep.counts["skipped"]
    outputs = {p.name for p in (tmp_path / "out").rglob("*.json")}
    assert not any(n.endswith(("_T1w.json", "_bold.json")) and "H00" in n for n in outputs)


def test_invalid_table_fails_alone(tmp_path: Path, key_file: Path) -> None:
    src = synthetic.make_bids(tmp_path / "bids")
    (src / "participants.tsv").write_text("participant_id\tage\nsub-H0012345\n\tx\ty\n")
    rep = batch.run(src, tmp_path / "out", cfg_with(key_file))
    entry = next(f for f in rep.files if f["source"] == "participants.tsv")
    assert entry["status"] == "failed" and "invalid TSV" in entry["reason"]
    assert not (tmp_path / "out" / "participants.tsv").exists()


def test_sidecar_json_written_only_with_known_keys(tmp_path: Path, key_file: Path) -> None:
    src = synthetic.make_bids(tmp_path / "bids")
    batch.run(src, tmp_path / "out", cfg_with(key_file, *ALL_RETAIN))
    for path in (tmp_path / "out").rglob("sub-*_T1w.json"):
        data = json.loads(path.read_text())
        assert all(sidecar.classify(k) != "unlisted" for k in data)
        assert data["InstitutionName"] == synthetic.PLANTED["institution"]
        assert "PatientName" not in data


# --- Issue 17: every table, dates without a subject, gradient tables, converter sidecars ---

MAP = "original_id,subject_id,date_offset_days\nH001,T42,-10\n"


def _bids(root: Path) -> Path:
    """A minimal BIDS dataset with the cases the issue found (all values planted here)."""
    (root / "phenotype").mkdir(parents=True)
    (root / "dataset_description.json").write_text('{"Name": "x", "BIDSVersion": "1.10.0"}')
    (root / "phenotype" / "medical.tsv").write_text(
        "participant_id\tpatient_name\tmrn\tgroup\nsub-H001\tJane Doe\tMRN-77123\tpatient\n"
    )
    (root / "phenotype" / "notes.tsv").write_text("remark\tcaller\nseen Jane Doe\tDr Who\n")
    top = {"TaskName": "rest", "AcquisitionDateTime": "2020-03-15T10:15:30", "EchoTime": 0.03}
    (root / "task-rest_bold.json").write_text(json.dumps(top))
    dwi = root / "sub-H001" / "dwi"
    dwi.mkdir(parents=True)
    (dwi / "sub-H001_dwi.bval").write_text("0 1000 1000\n")
    (dwi / "sub-H001_dwi.bvec").write_text("0 1 0\n0 0 1\n0 0 0\n")
    side = {"AcquisitionDateTime": "2020-03-15T10:15:30", "PatientName": "Doe^Jane"}
    (dwi / "sub-H001_dwi.json").write_text(json.dumps(side))
    return root


def test_every_table_relabelled_dates_never_shifted_by_zero_gradients_kept(
    tmp_path: Path, key_file: Path
) -> None:
    src = _bids(tmp_path / "src")
    subjects = tmp_path / "map.csv"
    subjects.write_text(MAP)
    cfg = cfg_with(key_file, "retain-long-modified-dates", subjects=subjects)
    rep = batch.run(src, tmp_path / "out", cfg)
    by = {f["source"]: f for f in rep.files}
    out = tmp_path / "out"
    released = b"".join(p.read_bytes() for p in out.rglob("*") if p.is_file())
    for planted in (b"Jane", b"Doe", b"MRN-77123", b"H001"):
        assert planted not in released, planted
    medical = (out / by["phenotype/medical.tsv"]["output"]).read_text()
    assert medical == "participant_id\tgroup\nsub-T42\tpatient\n"
    assert by["phenotype/notes.tsv"]["status"] == "failed"
    assert "none of the known columns" in by["phenotype/notes.tsv"]["reason"]
    top = json.loads((out / "task-rest_bold.json").read_text())
    assert "AcquisitionDateTime" not in top and top["EchoTime"] == 0.03  # not shifted by 0
    dwi = json.loads((out / "sub-T42/dwi/sub-T42_dwi.json").read_text())
    assert dwi["AcquisitionDateTime"] == "2020-03-05T10:15:30"  # the subject's -10 days
    for suffix in ("bval", "bvec"):
        assert by[f"sub-H001/dwi/sub-H001_dwi.{suffix}"]["status"] == "processed"
        source = (src / f"sub-H001/dwi/sub-H001_dwi.{suffix}").read_bytes()
        assert (out / f"sub-T42/dwi/sub-T42_dwi.{suffix}").read_bytes() == source


def test_gradient_table_with_text_is_refused(tmp_path: Path, key_file: Path) -> None:
    src = _bids(tmp_path / "src")
    (src / "sub-H001" / "dwi" / "sub-H001_dwi.bval").write_text("0 1000 Jane Doe\n")
    rep = batch.run(src, tmp_path / "out", cfg_with(key_file))
    entry = next(f for f in rep.files if f["source"].endswith(".bval"))
    assert entry["status"] == "failed" and "more than numbers" in entry["reason"]


def test_converter_sidecar_outside_bids_travels_with_its_volume(
    tmp_path: Path, key_file: Path
) -> None:
    """What dcm2niix writes: scan.nii.gz, scan.json, scan.bval, scan.bvec in one folder."""
    import nibabel as nib
    import numpy as np

    folder = tmp_path / "src" / "H001"
    folder.mkdir(parents=True)
    nib.save(nib.Nifti1Image(np.zeros((4, 4, 3), np.int16), np.eye(4)), folder / "scan.nii.gz")
    (folder / "scan.json").write_text(json.dumps({
        "PatientName": "Doe^Jane", "EchoTime": 0.03, "AcquisitionDateTime": "2020-03-15T10:15:30"
    }))  # fmt: skip
    (folder / "scan.bval").write_text("0 1000\n")
    (folder / "scan.bvec").write_text("0 1\n0 0\n0 0\n")
    subjects = tmp_path / "map.csv"
    subjects.write_text(MAP)
    cfg = cfg_with(key_file, "retain-long-modified-dates", subjects=subjects)
    rep = batch.run(tmp_path / "src", tmp_path / "out", cfg)
    assert {f["status"] for f in rep.files} == {"processed"}, rep.files
    outputs = {f["source"].rsplit(".", 1)[-1]: f["output"] for f in rep.files}
    stems = {o.split(".", 1)[0] for o in outputs.values()}
    assert len(stems) == 1 and next(iter(stems)).startswith("T42/")  # renamed together
    side = json.loads((tmp_path / "out" / outputs["json"]).read_text())
    assert "PatientName" not in side and side["EchoTime"] == 0.03
    assert side["AcquisitionDateTime"] == "2020-03-05T10:15:30"
    assert (tmp_path / "out" / outputs["bval"]).read_text() == "0 1000\n"
