"""A tiny BIDS dataset with identifiers planted where real datasets hide them.

Why: the chapter, the notebook and the tests need one small dataset that shows every place
a BIDS release can leak: subject and session labels in names (a hospital number, a date),
a converter's sidecar with the patient's name, ID, birth date, institution and device
serial number, ``acq_time`` in ``*_scans.tsv``, age and sex in ``participants.tsv``, the
NIfTI ``descrip``, ``aux_file`` and ``db_name`` fields, and header extensions holding a
comment and a fragment of a DICOM header. All identifiers are made up.
"""

from __future__ import annotations

import json
from pathlib import Path

import nibabel as nib
import numpy as np

#: The planted identifiers, for tests and the chapter to search for in the output.
PLANTED = {
    "subject_label": "H0012345",
    "session_label": "20200315",
    "name": "Doe^Jane",
    "patient_id": "H0012345",
    "birth_date": "19510829",
    "institution": "Example General Hospital",
    "serial": "SN-4455",
    "descrip": "Doe Jane 2020-03-15 scan",
    "aux_file": "H0012345.mat",
    "comment": "subject Jane Doe, MRN H0012345",
}


def _image(shape: tuple[int, ...], seed: int, descrip: str) -> nib.Nifti1Image:
    data = np.random.default_rng(seed).integers(0, 1000, shape).astype(np.int16)
    affine = np.array([[-2.0, 0, 0, 90], [0, 2.0, 0, -126], [0, 0, 2.5, -72], [0, 0, 0, 1]])
    img = nib.Nifti1Image(data, affine)
    hdr = img.header
    hdr.set_xyzt_units("mm", "sec")
    hdr.set_qform(affine, code=1)
    hdr.set_sform(affine, code=1)
    hdr["descrip"] = descrip.encode()
    hdr["aux_file"] = PLANTED["aux_file"].encode()
    hdr["db_name"] = b"Doe_Jane"
    hdr.extensions.append(nib.nifti1.Nifti1Extension(6, PLANTED["comment"].encode()))
    dicom_fragment = b"\x10\x00\x10\x00PN\x08\x00Doe^Jane"  # (0010,0010) Patient's Name
    hdr.extensions.append(nib.nifti1.Nifti1Extension(2, dicom_fragment))
    if len(shape) == 4:
        hdr.set_dim_info(slice=2)
        hdr["pixdim"][4] = 2.0
        hdr.set_slice_duration(0.5)
        hdr["slice_code"] = 1  # sequential increasing
        hdr["slice_start"], hdr["slice_end"] = 0, shape[2] - 1
    return img


def _sidecar(extra: dict[str, object]) -> dict[str, object]:
    base = {
        "Modality": "MR",
        "MagneticFieldStrength": 3,
        "Manufacturer": "ExampleVendor",
        "ManufacturersModelName": "Imager 3T",
        "InstitutionName": PLANTED["institution"],
        "InstitutionAddress": "1 High Street, Exampletown",
        "DeviceSerialNumber": PLANTED["serial"],
        "StationName": "MRI01",
        "PatientName": PLANTED["name"],
        "PatientID": PLANTED["patient_id"],
        "PatientBirthDate": "1951-08-29",
        "PatientSex": "F",
        "PatientAge": 68,
        "AccessionNumber": "ACC20200315",
        "StudyInstanceUID": "1.2.826.0.1.3680043.8.498.1",
        "SeriesDescription": "T1 for Doe Jane",
        "ProtocolName": "t1_mprage",
        "AcquisitionDateTime": "2020-03-15T10:15:30.000000",
        "AcquisitionTime": "10:15:30.000000",
        "RepetitionTime": 2.3,
        "EchoTime": 0.00298,
        "FlipAngle": 9,
        "ConversionSoftware": "dcm2niix",
        "ScannerOperatorNote": "called Jane on 0123 456 7890",
    }
    base.update(extra)
    return base


def make_bids(root: Path, subjects: tuple[str, ...] = ("H0012345", "H0067890")) -> Path:
    """Write the dataset under ``root`` and return it. Two subjects, one dated session each."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "dataset_description.json").write_text(
        json.dumps({"Name": "imgshare synthetic BIDS", "BIDSVersion": "1.10.0",
                    "DatasetType": "raw", "License": "CC0", "Authors": ["imgshare"]}, indent=2)
    )  # fmt: skip
    (root / "README").write_text("A synthetic dataset with planted identifiers (all made up).\n")
    (root / "task-rest_bold.json").write_text(json.dumps({"TaskName": "rest"}, indent=2))
    rows = ["participant_id\tage\tsex\tgroup\tmrn"]
    for i, label in enumerate(subjects):
        rows.append(f"sub-{label}\t{68 - i}\t{'FM'[i % 2]}\tpatient\tMRN-{label}")
        ses = PLANTED["session_label"]
        base = root / f"sub-{label}" / f"ses-{ses}"
        stem = f"sub-{label}_ses-{ses}"
        (base / "anat").mkdir(parents=True, exist_ok=True)
        (base / "func").mkdir(parents=True, exist_ok=True)
        nib.save(_image((8, 8, 6), i, PLANTED["descrip"]), base / "anat" / f"{stem}_T1w.nii.gz")
        (base / "anat" / f"{stem}_T1w.json").write_text(json.dumps(_sidecar({}), indent=2))
        bold = _image((8, 8, 6, 4), 10 + i, PLANTED["descrip"])
        nib.save(bold, base / "func" / f"{stem}_task-rest_bold.nii.gz")
        sidecar = _sidecar({"TaskName": "rest", "SliceTiming": [0.0, 1.0, 0.5, 1.5, 0.25, 1.25],
                            "RepetitionTime": 2.0, "ProtocolName": "bold_rest"})  # fmt: skip
        (base / "func" / f"{stem}_task-rest_bold.json").write_text(json.dumps(sidecar, indent=2))
        (base / f"{stem}_scans.tsv").write_text(
            "filename\tacq_time\toperator\n"
            f"anat/{stem}_T1w.nii.gz\t2020-03-15T10:15:30\tDr Smith\n"
            f"func/{stem}_task-rest_bold.nii.gz\t2020-03-15T10:32:00\tDr Smith\n"
        )
    (root / "participants.tsv").write_text("\n".join(rows) + "\n")
    (root / "participants.json").write_text(
        json.dumps({"age": {"Description": "age at scan", "Units": "year"},
                    "mrn": {"Description": "hospital record number"}}, indent=2)
    )  # fmt: skip
    return root


def add_release_traps(root: Path, label: str = "H0012345") -> dict[str, str]:
    """Add to a dataset from :func:`make_bids` the files a first release got wrong: a
    phenotype table with a name and a record number, a top-level sidecar with a date, and a
    diffusion series with its gradient tables. Returns what was planted, by file."""
    ses = PLANTED["session_label"]
    (root / "phenotype").mkdir(exist_ok=True)
    (root / "phenotype" / "medical.tsv").write_text(
        f"participant_id\tpatient_name\tmrn\tgroup\nsub-{label}\tJane Doe\tMRN-{label}\tpatient\n"
    )
    (root / "phenotype" / "medical.json").write_text(
        json.dumps({"patient_name": {"Description": "name"}, "group": {"Description": "arm"}})
    )
    top = json.loads((root / "task-rest_bold.json").read_text())
    top["AcquisitionDateTime"] = "2020-03-15T10:00:00"
    (root / "task-rest_bold.json").write_text(json.dumps(top, indent=2))
    dwi = root / f"sub-{label}" / f"ses-{ses}" / "dwi"
    dwi.mkdir(parents=True, exist_ok=True)
    stem = f"sub-{label}_ses-{ses}_dwi"
    nib.save(_image((8, 8, 6, 3), 20, PLANTED["descrip"]), dwi / f"{stem}.nii.gz")
    (dwi / f"{stem}.json").write_text(json.dumps(_sidecar({}), indent=2))
    (dwi / f"{stem}.bval").write_text("0 1000 1000\n")
    (dwi / f"{stem}.bvec").write_text("0 1 0\n0 0 1\n0 0 0\n")
    return {
        "phenotype/medical.tsv": "a name and a record number",
        "task-rest_bold.json": "an acquisition date with no subject to shift it by",
        f"dwi/{stem}.bval": "b-values (numbers only)",
    }
