"""Batches and the command line: safety of the input, atomic output, bad input, the report."""

from __future__ import annotations

import hashlib
import json
import stat
import subprocess
import sys
from pathlib import Path

import pydicom
import pytest
from dicom_helpers import ct, save

from imgshare import batch, cli, samples, testing
from imgshare.dicom import config, io, keys


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    return keys.create_key(tmp_path / "secret.key")


def tree_hash(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def corpus(root: Path) -> Path:
    """Two patients, two studies for one of them, plus samples and bad files."""
    a1 = ct("PAT-A", "Doe^Jane", "20200101")
    a2 = ct("PAT-A", "Doe^Jane", "20200601")
    b1 = ct("PAT-B", "Roe^Richard", "20210303")
    for i, ds in enumerate([a1, a2, b1]):
        save(ds, root / "Doe_Jane" / f"img{i}.dcm")
    for name in ["dicom/CT_small.dcm", "dicom/rtstruct.dcm", "dicom/liver_1frame.dcm"]:
        (root / "samples").mkdir(parents=True, exist_ok=True)
        (root / "samples" / Path(name).name).write_bytes(samples.path(name).read_bytes())
    return root


def test_tree_is_processed_and_input_untouched(tmp_path: Path, key_file: Path) -> None:
    src = corpus(tmp_path / "src")
    before = tree_hash(src)
    rep = batch.run(src, tmp_path / "out", config.build(key_file), report=tmp_path / "r.json")
    assert tree_hash(src) == before
    assert rep.counts == {"found": 6, "processed": 6, "skipped": 0, "failed": 0}
    outputs = list((tmp_path / "out").rglob("*.dcm"))
    assert len(outputs) == 6
    for path in outputs:
        assert "Doe" not in str(path) and "PAT-" not in str(path)
        raw = path.read_bytes()
        assert raw[:128] == b"\x00" * 128 and raw[128:132] == b"DICM"
        ds = pydicom.dcmread(path)
        assert "SourceApplicationEntityTitle" not in ds.file_meta
        assert b"HOSPITAL_PACS_7" not in raw and b"Doe" not in raw
    text = (tmp_path / "r.txt").read_text()
    assert "processed 6" in text
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["counts"]["found"] == 6
    assert all(
        "Doe" not in json.dumps(f) or f["source"].startswith("Doe_Jane") for f in report["files"]
    )  # noqa: E501


def test_same_patient_same_pseudonym_and_intervals(tmp_path: Path, key_file: Path) -> None:
    src = corpus(tmp_path / "src")
    cfg = config.build(key_file, ["retain-long-modified-dates"])
    batch.run(src, tmp_path / "out", cfg)
    subjects: dict[str, list[str]] = {}
    for path in (tmp_path / "out").rglob("*.dcm"):
        ds = pydicom.dcmread(path)
        subjects.setdefault(str(ds.PatientID), []).append(ds.StudyDate)
    pseudonym = keys.pseudonym(cfg.key, "PAT-A")
    dates = sorted(subjects[pseudonym])
    import datetime as dt

    days = [dt.datetime.strptime(d, "%Y%m%d").date() for d in dates]
    assert (days[1] - days[0]).days == 152  # 2020-01-01 to 2020-06-01


def test_subject_map_from_csv(tmp_path: Path, key_file: Path) -> None:
    src = corpus(tmp_path / "src")
    (src / "samples").rename(tmp_path / "elsewhere")
    table = tmp_path / "map.csv"
    table.write_text("original_id,subject_id,date_offset_days\nPAT-A,STUDY-001,-10\n")
    rep = batch.deidentify_tree(src, tmp_path / "out", ["retain-long-modified-dates"],
                                key_file, subjects=table)  # fmt: skip
    assert rep.counts["processed"] == 2 and rep.counts["failed"] == 1
    failed = [f for f in rep.files if f["status"] == "failed"][0]
    assert "subject map" in failed["reason"] and "PAT-B" not in failed["reason"]
    ids = {pydicom.dcmread(p).PatientID for p in (tmp_path / "out").rglob("*.dcm")}
    assert ids == {"STUDY-001"}


@pytest.mark.parametrize(
    "content",
    [
        "original_id,subject_id\nA,B\n",
        "original_id,subject_id,date_offset_days\nA,B,ten\n",
        "original_id,subject_id,date_offset_days\nA,B,1\nA,C,2\n",
        "original_id,subject_id,date_offset_days\nA,B,1\nC,B,2\n",
    ],
)
def test_bad_subject_maps_are_refused(tmp_path: Path, key_file: Path, content: str) -> None:
    table = tmp_path / "map.csv"
    table.write_text(content)
    with pytest.raises(ValueError):
        config.build(key_file, subject_map=table)


def test_deterministic_across_workers_and_runs(tmp_path: Path, key_file: Path) -> None:
    src = corpus(tmp_path / "src")
    cfg = config.build(key_file, ["retain-long-modified-dates", "clean-descriptors"])
    batch.run(src, tmp_path / "one", cfg, workers=1)
    batch.run(src, tmp_path / "two", cfg, workers=2)
    batch.run(src, tmp_path / "again", cfg, workers=1)
    assert tree_hash(tmp_path / "one") == tree_hash(tmp_path / "two")
    assert tree_hash(tmp_path / "one") == tree_hash(tmp_path / "again")


def test_key_never_appears_in_outputs(tmp_path: Path, key_file: Path) -> None:
    src = corpus(tmp_path / "src")
    batch.run(src, tmp_path / "out", config.build(key_file), report=tmp_path / "out.json")
    secret = key_file.read_text().strip()
    raw = bytes.fromhex(secret)
    for path in [*(tmp_path / "out").rglob("*"), tmp_path / "out.json", tmp_path / "out.txt"]:
        if path.is_file():
            data = path.read_bytes()
            assert secret.encode() not in data and raw not in data


def test_keygen_is_owner_only_and_never_overwrites(tmp_path: Path) -> None:
    path = tmp_path / "k.key"
    assert cli.main(["keygen", str(path)]) == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert cli.main(["keygen", str(path)]) == 2


def test_bad_input_gives_one_clear_line_each(tmp_path: Path, key_file: Path) -> None:
    expected = testing.write_bad_inputs(tmp_path / "src")
    result = subprocess.run(
        [sys.executable, "-m", "imgshare.cli", "deidentify", str(tmp_path / "src"),
         str(tmp_path / "out"), "--key-file", str(key_file), "--report",
         str(tmp_path / "rep.json")],
        capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    report = json.loads((tmp_path / "rep.json").read_text())
    status = {f["source"]: f["status"] for f in report["files"]}
    assert status == expected
    for f in report["files"]:
        if f["status"] != "processed":
            assert f["reason"] and "\n" not in f["reason"]
        if f["status"] == "failed":
            line = f"imgshare: failed: {f['source']}: {f['reason']}"
            assert line in result.stderr.splitlines()
    notes = {f["source"]: f.get("notes", []) for f in report["files"]}
    assert any("preamble" in n for n in notes["bare.dcm"])
    huge_out = next(f for f in report["files"] if f["source"] == "huge_private.dcm")["output"]
    assert (tmp_path / "out" / huge_out).stat().st_size < 1024 * 1024  # the blob is gone
    assert not list((tmp_path / "out").rglob("*" + io.TMP_SUFFIX))


def test_paths_are_checked(tmp_path: Path, key_file: Path) -> None:
    src = corpus(tmp_path / "src")
    args = ["deidentify", str(src), "--key-file", str(key_file)]
    assert cli.main([*args[:2], str(src), *args[2:]]) == 2  # DST is SRC
    assert cli.main([*args[:2], str(src / "inside"), *args[2:]]) == 2
    assert cli.main([*args[:2], str(tmp_path / "o"), *args[2:], "--option", "nope"]) == 2
    assert cli.main(["deidentify", str(src), str(tmp_path / "o"), "--key-file",
                     str(tmp_path / "missing.key")]) == 2  # fmt: skip
    assert not (src / "inside").exists()


def test_interrupted_run_leaves_no_partial_files(tmp_path: Path, key_file: Path) -> None:
    src = corpus(tmp_path / "src")
    out = tmp_path / "out"
    stale = out / "x" / (".half" + io.TMP_SUFFIX)
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"half a file")
    rep = batch.run(src, out, config.build(key_file))
    assert not stale.exists() and rep.counts["processed"] == 6
    # a write that fails part-way leaves nothing behind
    ds = ct()
    ds.PixelData = None
    ds.add_new(0x7FE00010, "OW", object())  # not writable
    with pytest.raises(Exception):  # noqa: B017
        io.write_temp(ds, tmp_path / "w")
    assert not list((tmp_path / "w").glob("*"))


def test_duplicate_instances_are_reported_not_overwritten(tmp_path: Path, key_file: Path) -> None:
    src = tmp_path / "src"
    ds = ct()
    save(ds, src / "a.dcm")
    save(ds, src / "b.dcm")
    rep = batch.run(src, tmp_path / "out", config.build(key_file))
    assert rep.counts == {"found": 2, "processed": 1, "skipped": 1, "failed": 0}
    assert "duplicate" in rep.files[1]["reason"]


def test_recipes_yaml_and_toml(tmp_path: Path, key_file: Path) -> None:
    yml = tmp_path / "r.yaml"
    yml.write_text("options: [clean-descriptors]\noverrides:\n  BodyPartExamined: X\n")
    toml = tmp_path / "r.toml"
    toml.write_text('options = ["clean-descriptors"]\n[overrides]\nBodyPartExamined = "X"\n')
    for recipe in (yml, toml):
        cfg = config.build(key_file, recipe=recipe)
        assert cfg.options == ("clean-descriptors",) and cfg.overrides == {0x00180015: "X"}
        assert cfg.recipe_sha256 == hashlib.sha256(recipe.read_bytes()).hexdigest()
    bad = tmp_path / "bad.yaml"
    bad.write_text("optoins: []\n")
    with pytest.raises(config.RecipeError):
        config.build(key_file, recipe=bad)


def test_inspect_prints_the_plan(capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["inspect", str(samples.path("dicom/CT_small.dcm")), "--option",
                     "clean-descriptors"])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0
    assert "PatientName" in out and "Table E.1-1" in out and "actions:" in out
    assert "CompressedSamples^CT1" not in out  # values only with --values
