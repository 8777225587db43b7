"""Batches and the command line: safety of the input, atomic output, bad input, the report."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import stat
import subprocess
import sys
from pathlib import Path

import pydicom
import pytest
from dicom_helpers import ct, save

from imgshare import batch, cli, journal, samples, testing
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
    # the written report names sources by keyed hash: the folder "Doe_Jane" is not in it
    assert "Doe" not in (tmp_path / "r.json").read_text() and "Doe" not in text
    assert all(len(f["source_id"]) == 32 and "source" not in f for f in report["files"])


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
         str(tmp_path / "rep.json"), "--show-paths"],
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


def test_different_files_sharing_a_sop_instance_uid_both_fail(
    tmp_path: Path, key_file: Path
) -> None:
    """Two different images claiming one identity: neither goes out, not the first of them."""
    src = tmp_path / "src"
    first = ct(sop_uid="1.2.826.0.1.3680043.8.498.1")
    second = ct(sop_uid="1.2.826.0.1.3680043.8.498.1", patient_id="PAT-002")
    save(first, src / "a.dcm")
    save(second, src / "b.dcm")
    save(ct(), src / "c.dcm")
    cfg = config.build(key_file)
    rep = batch.run(src, tmp_path / "out", cfg)
    status = {f["source"]: f["status"] for f in rep.files}
    assert status == {"a.dcm": "failed", "b.dcm": "failed", "c.dcm": "processed"}
    assert all("SOP Instance UID shared" in f["reason"] for f in rep.files[:2])
    assert len(list((tmp_path / "out").rglob("*.dcm"))) == 1
    # and a resumed run does not count the taken-back output as done
    again = batch.run(src, tmp_path / "out", cfg)
    assert again.done_before == 1 and again.counts["failed"] == 2


def test_a_failed_write_leaves_no_empty_folders(
    tmp_path: Path, key_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from imgshare.dicom import fastwrite

    src = tmp_path / "src"
    save(ct(), src / "a.dcm")

    def broken(fh, ds):  # the disk fills up half-way through the file
        fh.write(b"x" * 10)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(fastwrite, "write", broken)
    rep = batch.run(src, tmp_path / "out", config.build(key_file))
    assert rep.counts["failed"] == 1 and "No space left" in rep.files[0]["reason"]
    assert [p for p in (tmp_path / "out").rglob("*")] == []


def test_report_and_stderr_carry_no_source_path(tmp_path: Path, key_file: Path) -> None:
    src = tmp_path / "src" / "Doe_Jane_1951"
    testing.write_bad_inputs(src)
    result = subprocess.run(
        [sys.executable, "-m", "imgshare.cli", "deidentify", str(tmp_path / "src"),
         str(tmp_path / "out"), "--key-file", str(key_file), "--report",
         str(tmp_path / "rep.json")],
        capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 1
    for text in (result.stderr, result.stdout, (tmp_path / "rep.json").read_text(),
                 (tmp_path / "rep.txt").read_text()):  # fmt: skip
        # whole tokens: keyed UIDs and hashes are long digit and hex runs that may hold "1951"
        assert "Doe" not in text and "Jane" not in text and "charset.dcm" not in text
        assert not re.search(r"(?<![0-9a-f.])1951(?![0-9a-f.])", text)
    # the name used is the keyed hash of the relative path, recomputable with the key
    key = bytes.fromhex(key_file.read_text())
    rel = "Doe_Jane_1951/charset.dcm"
    expected = hmac.new(key, f"journal\x00{rel}".encode(), hashlib.sha256).hexdigest()[:32]
    assert f"imgshare: failed: {expected}: unknown Specific Character Set" in result.stderr


def test_journal_lives_beside_the_destination_and_locks_it(tmp_path: Path, key_file: Path) -> None:
    src = corpus(tmp_path / "src")
    out = tmp_path / "out"
    cfg = config.build(key_file)
    batch.run(src, out, cfg)
    assert all(p.suffix == ".dcm" for p in out.rglob("*") if p.is_file())
    log = journal.path_for(out)
    assert log.is_file() and not log.resolve().is_relative_to(tmp_path)
    holder = journal.Journal(out.resolve(), cfg)  # a run in progress
    try:
        with pytest.raises(batch.UsageError, match="another imgshare run"):
            batch.run(src, out, cfg)
    finally:
        holder.close()
    assert batch.run(src, out, cfg).done_before == 6


def test_fingerprint_covers_every_setting_and_the_key(
    tmp_path: Path, key_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = corpus(tmp_path / "src")
    out = tmp_path / "out"
    batch.run(src, out, config.build(key_file))
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text("nifti:\n  keep_extensions: [32]\n")  # a NIfTI setting
    with pytest.raises(batch.UsageError, match="other settings"):
        batch.run(src, out, config.build(key_file, recipe=recipe))
    recipe.write_text("pixels:\n  ocr_all: true\n")  # a pixel setting
    with pytest.raises(batch.UsageError, match="other settings"):
        batch.run(src, out, config.build(key_file, recipe=recipe))
    other = keys.create_key(tmp_path / "other.key")
    with pytest.raises(batch.UsageError, match="other settings"):
        batch.run(src, out, config.build(other))
    assert batch.run(src, out, config.build(key_file)).done_before == 6


def test_key_files_that_are_refused(tmp_path: Path, key_file: Path) -> None:
    src = corpus(tmp_path / "src")
    loose = tmp_path / "loose.key"
    loose.write_text(key_file.read_text())
    loose.chmod(0o644)
    garbage = tmp_path / "image.key"
    garbage.write_bytes(samples.path("dicom/CT_small.dcm").read_bytes()[:2000])
    garbage.chmod(0o600)
    inside = tmp_path / "out" / "k.key"
    inside.parent.mkdir()
    inside.write_text(key_file.read_text())
    inside.chmod(0o600)
    for key, words in [(loose, "chmod 600"), (garbage, "not a key file"),
                       (inside, "inside the destination")]:  # fmt: skip
        result = subprocess.run(
            [sys.executable, "-m", "imgshare.cli", "deidentify", str(src), str(tmp_path / "out"),
             "--key-file", str(key)], capture_output=True, text=True)  # fmt: skip
        assert result.returncode == 2, result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and words in lines[0] and "codec" not in lines[0], lines
    assert not list((tmp_path / "out").rglob("*.dcm"))


def test_a_dying_worker_fails_only_its_own_file(tmp_path: Path, key_file: Path) -> None:
    """A worker killed by the system (here: SIGKILL on one file, as the OOM killer does)
    breaks the pool; its file fails with a reason, every other file is processed."""
    from dicom_helpers import crash_on_poison

    src = tmp_path / "src"
    for i in range(12):
        save(ct(), src / (f"poison{i}.dcm" if i == 5 else f"f{i:02d}.dcm"))
    cfg = config.build(key_file)
    dst = tmp_path / "out"
    jobs = [(str(p), rel) for p, rel in batch.find_files(src)]
    results = list(batch.pool_results(jobs, (cfg, dst, False), 2, crash_on_poison))
    assert [r["source"] for r in results] == [rel for _, rel in jobs]
    status = {r["source"]: r["status"] for r in results}
    assert status.pop("poison5.dcm") == "failed"
    assert set(status.values()) == {"processed"}
    died = next(r for r in results if r["source"] == "poison5.dcm")
    assert died["reason"] == batch.WORKER_DIED


def test_unexpected_errors_exit_3_with_one_line(
    tmp_path: Path, key_file: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    src = corpus(tmp_path / "src")

    def boom(*args, **kwargs):
        raise RuntimeError("disk controller on fire\nsecond line")

    monkeypatch.setattr(batch, "run", boom)
    code = cli.main(["deidentify", str(src), str(tmp_path / "o"), "--key-file", str(key_file)])
    err = capsys.readouterr().err
    assert code == cli.EXIT_INTERNAL == 3
    assert err.count("\n") == 1 and "RuntimeError" in err and "Traceback" not in err


def test_inspect_into_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    ds = ct()
    items = []
    for _ in range(3000):
        item = pydicom.Dataset()
        item.ReferencedSOPClassUID = ds.SOPClassUID
        item.ReferencedSOPInstanceUID = "1.2.826.0.1.3680043.8.498.77"
        items.append(item)
    ds.ReferencedImageSequence = pydicom.Sequence(items)
    path = save(ds, tmp_path / "big.dcm")
    result = subprocess.run(f"{sys.executable} -m imgshare.cli inspect {path} | head -n 2",
                            shell=True, capture_output=True, text=True)  # fmt: skip
    assert len(result.stdout.splitlines()) == 2
    assert result.stderr == "", result.stderr


def test_progress_lines_when_stderr_is_not_a_terminal(
    tmp_path: Path, key_file: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    src = corpus(tmp_path / "src")
    monkeypatch.setattr(batch, "PROGRESS_EVERY", 0.0)
    batch.run(src, tmp_path / "out", config.build(key_file), progress=True)
    lines = [x for x in capsys.readouterr().err.splitlines() if "files/s" in x]
    assert lines and lines[-1].startswith("imgshare: 6/6 files (100%)")


def test_subjects_by_patient_id_and_issuer(tmp_path: Path, key_file: Path) -> None:
    """One Patient ID from two issuers is two patients; files without a Patient ID never
    share a pseudonym: each study gets its own, and the report says so."""
    src = tmp_path / "src"
    site_a, site_b, site_a2 = ct("12345"), ct("12345"), ct("12345")
    site_a.IssuerOfPatientID = site_a2.IssuerOfPatientID = "SITE-A"
    site_b.IssuerOfPatientID = "SITE-B"
    first, second = ct(""), ct("")
    for name, ds in [("a", site_a), ("b", site_b), ("a2", site_a2), ("n1", first),
                     ("n2", second)]:  # fmt: skip
        save(ds, src / f"{name}.dcm")
    rep = batch.run(src, tmp_path / "out", config.build(key_file))
    released = {f["source"]: f["output"].split("/")[0] for f in rep.files}
    assert released["a.dcm"] == released["a2.dcm"] != released["b.dcm"]
    assert released["n1.dcm"] != released["n2.dcm"]
    assert "no Patient ID in 2 file(s)" in rep.text()
    table = tmp_path / "map.csv"
    table.write_text("original_id,issuer_of_patient_id,subject_id,date_offset_days\n"
                     "12345,SITE-A,TRIAL-01,-5\n12345,SITE-B,TRIAL-02,-9\n")  # fmt: skip
    mapped = batch.run(src, tmp_path / "mapped", config.build(key_file, subject_map=table))
    subject = {f["source"]: f.get("output", "").split("/")[0] for f in mapped.files}
    assert subject["a.dcm"] == subject["a2.dcm"] == "TRIAL-01" and subject["b.dcm"] == "TRIAL-02"
    assert {f["status"] for f in mapped.files if f["source"].startswith("n")} == {"failed"}


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


def test_inspect_and_inspect_values_agree_on_an_implicit_file(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """--values decodes every element first; the plan must not change because of it."""
    from pydicom.data import get_testdata_file

    path = get_testdata_file("MR_small_implicit.dcm")
    plans = []
    for extra in ([], ["--values"]):
        assert cli.main(["inspect", path, *extra]) == 0
        lines = capsys.readouterr().out.splitlines()
        plans.append([line.split("  = ")[0].rstrip() for line in lines])
    assert plans[0] == plans[1]
    assert any("PixelData" in line and " K " in line for line in plans[0])
