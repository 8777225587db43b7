"""Synthetic DICOM files for tests, chapters and benchmarks: fake identifiers only.

Why in the package: the tests, the de-identification chapter and the trainers' notebooks
all need the same small files with identifiers planted where real archives hide them, and
the same set of broken files to show how a batch handles bad input.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydicom import Dataset, Sequence
from pydicom.data import get_testdata_file
from pydicom.dataset import FileMetaDataset
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid


def ct(
    patient_id: str = "PAT-001",
    name: str = "Doe^Jane^Q",
    study_date: str = "20200315",
    study_uid: str | None = None,
    sop_uid: str | None = None,
    size: int = 4,
) -> Dataset:
    """A CT slice (size x size, 16-bit) with identifiers at the top level and in sequences."""
    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.SOPClassUID = CTImageStorage
    ds.SOPInstanceUID = sop_uid or generate_uid()
    ds.StudyInstanceUID = study_uid or generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    ds.FrameOfReferenceUID = generate_uid()
    ds.PatientName = name
    ds.PatientID = patient_id
    ds.PatientBirthDate = "19510829"
    ds.PatientSex = "F"
    ds.PatientAge = "068Y"
    ds.PatientWeight = "61"
    ds.PatientAddress = "1 High Street, Exampletown"
    ds.OtherPatientIDs = "MRN-778899"
    ds.AccessionNumber = "ACC20200315"
    ds.StudyDate = ds.SeriesDate = ds.AcquisitionDate = ds.ContentDate = study_date
    ds.StudyTime = ds.SeriesTime = ds.ContentTime = "101530"
    ds.StudyDescription = "CT chest for Doe, Jane, 15/03/2020, call 0123 456 7890"
    ds.SeriesDescription = "Axial 1.25mm"
    ds.ImageComments = "Reviewed by Dr Smith"
    ds.InstitutionName = "Example General Hospital"
    ds.StationName = "CTSCAN01"
    ds.DeviceSerialNumber = "SN-4455"
    ds.ReferringPhysicianName = "Smith^John"
    ds.Modality = "CT"
    ds.Manufacturer = "ExampleVendor"
    ds.BodyPartExamined = "CHEST"
    ds.SliceThickness = "1.25"
    ds.KVP = "120"
    ds.ImagePositionPatient = [-100, -100, 50]
    ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
    ds.PixelSpacing = [0.7, 0.7]
    ds.Rows = ds.Columns = size
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated = ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 0
    ds.PixelData = bytes(range(32)) if size == 4 else bytes(2 * size * size)
    item = Dataset()
    item.ReferencedSOPClassUID = CTImageStorage
    item.ReferencedSOPInstanceUID = generate_uid()
    ds.ReferencedImageSequence = Sequence([item])
    request = Dataset()
    request.RequestingPhysician = "Brown^Alice"
    request.RequestedProcedureDescription = "CT chest"
    request.AccessionNumber = "ACC20200315"
    ds.RequestAttributesSequence = Sequence([request])
    return ds


def save(ds: Dataset, path: Path, source_ae: str = "HOSPITAL_PACS_7") -> Path:
    """Write with file meta that names a source AE title (which must not survive)."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = ds.SOPClassUID
    meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.SourceApplicationEntityTitle = source_ae
    ds.file_meta = meta
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path, enforce_file_format=True)
    return path


def write_bad_inputs(root: Path) -> dict[str, str]:
    """Write one file of each kind of bad input; return file name -> expected status."""
    root.mkdir(parents=True, exist_ok=True)
    save(ct(), root / "good.dcm")
    (root / "empty.dcm").write_bytes(b"")
    (root / "notes.txt").write_text("not an image")
    whole = (root / "good.dcm").read_bytes()
    (root / "truncated.dcm").write_bytes(whole[: len(whole) - 20])
    (root / "corrupt.dcm").write_bytes(whole[:132] + os.urandom(400))
    bare = Path(get_testdata_file("rtstruct.dcm"))  # no preamble, no file meta
    (root / "bare.dcm").write_bytes(bare.read_bytes())
    charset = ct()
    charset.SpecificCharacterSet = "ISO_IR 999"
    save(charset, root / "charset.dcm")
    deep = ct()
    item = deep
    for _ in range(60):
        child = Dataset()
        item.ReferencedSeriesSequence = Sequence([child])
        item = child
    save(deep, root / "deep.dcm")
    huge = ct()
    block = huge.private_block(0x0029, "ACME_BLOB", create=True)
    block.add_new(0x10, "OB", b"\x00" * (8 * 1024 * 1024))
    save(huge, root / "huge_private.dcm")
    (root / "wrong_vr.dcm").write_bytes(Path(get_testdata_file("badVR.dcm")).read_bytes())
    return {
        "empty.dcm": "skipped",
        "notes.txt": "skipped",
        "truncated.dcm": "failed",
        "corrupt.dcm": "failed",
        "bare.dcm": "processed",
        "charset.dcm": "failed",
        "deep.dcm": "failed",
        "huge_private.dcm": "processed",
        "wrong_vr.dcm": "failed",
        "good.dcm": "processed",
    }
