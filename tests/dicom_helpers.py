"""Builders of small synthetic DICOM files for the engine's tests (fake identifiers only)."""

from __future__ import annotations

import re
from pathlib import Path

from pydicom import Dataset, Sequence
from pydicom.dataset import FileMetaDataset
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid

PATH_PART = re.compile(r"\(([0-9A-F]{4}),([0-9A-F]{4})\)(?:\[(\d+)\])?")


def ct(
    patient_id: str = "PAT-001",
    name: str = "Doe^Jane^Q",
    study_date: str = "20200315",
    study_uid: str | None = None,
    sop_uid: str | None = None,
) -> Dataset:
    """A CT slice with identifying attributes at the top level and in sequences."""
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
    ds.Rows = ds.Columns = 4
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated = ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 0
    ds.PixelData = bytes(range(32))
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


def find(ds: Dataset, path: str):
    """The element at a decision path such as '(0008,1140)[0].(0008,1155)', or None."""
    current = ds
    parts = PATH_PART.findall(path)
    for i, (group, element, index) in enumerate(parts):
        tag = int(group + element, 16)
        if tag not in current:
            return None
        elem = current[tag]
        if i == len(parts) - 1:
            return elem
        if index == "" or elem.VR != "SQ" or int(index) >= len(elem.value):
            return None
        current = elem.value[int(index)]
    return None
