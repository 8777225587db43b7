"""verify on BIDS: values from sidecars, tables, NIfTI headers and labels, not DICOM alone.

The first verify searched "0 identifying values" in a BIDS release with a name and a record
number left in participants.tsv, and passed it. The dataset and both releases here are
written by the test.
"""

from __future__ import annotations

import json
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest

from imgshare.verify import cli, mask, verify

SUBJECTS = {"H0012345": ("Doe^Jane", "MRN-88123", "TRIAL01"),
            "H0067890": ("Roe^Richard", "MRN-88456", "TRIAL02")}  # fmt: skip
SESSION = "20200315"


def _nifti(path: Path, descrip: str, comment: str | None) -> None:
    img = nib.Nifti1Image(np.arange(4 * 4 * 3, dtype=np.int16).reshape(4, 4, 3), np.eye(4))
    img.header["descrip"] = descrip.encode()
    if comment:
        img.header.extensions.append(nib.nifti1.Nifti1Extension(6, comment.encode()))
    path.parent.mkdir(parents=True, exist_ok=True)
    nib.save(img, path)


def _dataset(root: Path, release: bool, leave_in_table: bool = False) -> Path:
    """The source (release=False) or a release by hand (labels replaced, text removed)."""
    (root).mkdir(parents=True, exist_ok=True)
    (root / "dataset_description.json").write_text(
        json.dumps({"Name": "verify test", "BIDSVersion": "1.10.0"})
    )
    rows = ["participant_id\tage\tsex" + ("" if release and not leave_in_table else "\tname\tmrn")]
    for label, (name, mrn, trial) in SUBJECTS.items():
        sub = trial if release else label
        ses = "1" if release else SESSION
        stem = f"sub-{sub}_ses-{ses}"
        base = root / f"sub-{sub}" / f"ses-{ses}"
        cells = [f"sub-{sub}", "68", "F"]
        if not release or leave_in_table:
            cells += [name, mrn]
        rows.append("\t".join(cells))
        _nifti(base / "anat" / f"{stem}_T1w.nii.gz", "" if release else f"{name} {SESSION}",
               None if release else f"subject {name}, {mrn}")  # fmt: skip
        sidecar = {"Modality": "MR", "RepetitionTime": 2.3, "TaskName": "rest"}
        if not release:
            sidecar |= {"PatientName": name, "PatientID": mrn, "InstitutionName": "Example Clinic",
                        "AcquisitionDateTime": "2020-03-15T10:15:30"}  # fmt: skip
        (base / "anat" / f"{stem}_T1w.json").write_text(json.dumps(sidecar))
        when = "2019-02-08T10:15:30" if release else "2020-03-15T10:15:30"
        (base / f"{stem}_scans.tsv").write_text(
            f"filename\tacq_time\nanat/{stem}_T1w.nii.gz\t{when}\n"
        )
    (root / "participants.tsv").write_text("\n".join(rows) + "\n")
    return root


@pytest.fixture
def bids(tmp_path: Path) -> Path:
    return _dataset(tmp_path / "src", release=False)


def test_the_sources_give_values_from_tables_sidecars_headers_and_labels(bids, tmp_path):
    result = verify(bids, against=bids)
    assert result.searched > 20
    where = {f.category for f in result.findings}
    assert {"table", "json", "nifti header", "path"} <= where
    assert not result.passed


def test_a_proper_bids_release_passes(bids, tmp_path):
    out = _dataset(tmp_path / "out", release=True)
    result = verify(out, against=bids)
    assert result.passed, result.text()
    assert cli.main([str(out), "--against", str(bids)]) == 0


def test_a_name_and_record_number_left_in_the_table_fail(bids, tmp_path, capsys):
    out = _dataset(tmp_path / "out", release=True, leave_in_table=True)
    result = verify(out, against=bids)
    left = {(f.file, f.category) for f in result.findings}
    assert left == {("participants.tsv", "table")}
    values = {f.value for f in result.findings}
    for name, mrn, _ in SUBJECTS.values():
        assert mrn in values and any(v in name for v in values), mask(mrn)
    assert cli.main([str(out), "--against", str(bids)]) == 1
    printed = capsys.readouterr().out
    for name, mrn, _ in SUBJECTS.values():
        assert mrn not in printed and name.split("^")[0] not in printed


def test_a_date_left_in_a_scans_table_and_a_label_left_in_a_path_fail(bids, tmp_path):
    out = _dataset(tmp_path / "out", release=True)
    scans = next(out.rglob("*_scans.tsv"))
    scans.write_text(scans.read_text().replace("2019-02-08", "2020-03-15"))
    moved = out / "sub-TRIAL01" / "notes-H0012345.txt"
    moved.write_text("nothing here\n")
    result = verify(out, against=bids)
    found = {(f.category, f.kind) for f in result.findings}
    assert ("table", "date") in found and ("path", "label") in found
    assert not result.passed
