"""Sources and releases the verify tests make for themselves (no engine, no corpus).

A "release" here is de-identified by hand, the way the tests want it: a copy of each source
with the identifying attributes these tests planted replaced, UIDs renamed through a mapping
the test keeps, dates shifted by a fixed number of days, and the options recorded with their
PS3.16 CID 7050 codes written out literally.
"""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path

from pydicom import Dataset, Sequence
from pydicom.dataset import FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian

CT = "1.2.840.10008.5.1.4.1.1.2"
ROOT = "1.2.826.0.1.3680043.8.498."
#: PS3.16 CID 7050: Basic Profile, Retain Longitudinal (Modified Dates), Patient
#: Characteristics, Device Identity, Clean Descriptors.
BASIC, MODIFIED_DATES, PATIENT_CHARS, DEVICE, DESCRIPTORS = (
    "113100", "113107", "113108", "113109", "113105",
)  # fmt: skip
#: The attributes these tests plant identifying values in (their own list, by keyword).
PLANTED = (
    "PatientName", "PatientID", "PatientBirthDate", "AccessionNumber", "InstitutionName",
    "ReferringPhysicianName", "StationName", "StudyID", "OtherPatientIDs", "StudyDescription",
)  # fmt: skip


def image(
    pid: str,
    name: str,
    *,
    study: str,
    series: str,
    sop: str,
    number: int = 1,
    position: float = 0.0,
    pixels: bytes = b"\x00\x01" * 16,
    date: str = "20200110",
    charset: str | list[str] = "ISO_IR 100",
    modality: str = "CT",
) -> Dataset:
    """A 4x4 16-bit CT image of one patient, with identifiers in the planted attributes."""
    ds = Dataset()
    ds.SpecificCharacterSet = charset
    ds.SOPClassUID = CT
    ds.SOPInstanceUID = sop
    ds.StudyInstanceUID = study
    ds.SeriesInstanceUID = series
    ds.FrameOfReferenceUID = series + ".9"
    ds.Modality = modality
    ds.PatientName = name
    ds.PatientID = pid
    ds.PatientBirthDate = "19500101"
    ds.PatientSex = "F"
    ds.AccessionNumber = "ACC" + pid[-5:]
    ds.InstitutionName = "Example General Hospital"
    ds.ReferringPhysicianName = "Strangelove^Quentin"
    ds.StationName = "STATION-ALPHA7"
    ds.StudyID = "STUDY" + pid[-4:]
    ds.StudyDate = ds.SeriesDate = date
    ds.StudyTime = "101500"
    ds.StudyDescription = f"Scan for {name.split('^')[0]}"
    ds.SeriesNumber = 1
    ds.InstanceNumber = number
    ds.ImagePositionPatient = [0.0, 0.0, position]
    ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
    ds.PixelSpacing = [0.5, 0.5]
    ds.SliceThickness = "2.5"
    ds.KVP = "120"
    ds.Rows = ds.Columns = 4
    ds.BitsAllocated = ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 0
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.PixelData = pixels
    return ds


def write(ds: Dataset, path: Path, implicit: bool = False) -> Path:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = ds.SOPClassUID
    meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    meta.TransferSyntaxUID = "1.2.840.10008.1.2" if implicit else ExplicitVRLittleEndian
    meta.ImplementationClassUID = ROOT + "1"
    ds.file_meta = meta
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path, enforce_file_format=True)
    return path


class Releaser:
    """De-identifies datasets by hand: a subject per patient, a UID per UID, dates shifted."""

    def __init__(self, codes: tuple[str, ...] = (BASIC,), days: int = -400) -> None:
        self.codes = codes
        self.days = days
        self.uids: dict[str, str] = {}
        self.subjects: dict[str, str] = {}

    def uid(self, old: str) -> str:
        return self.uids.setdefault(old, f"2.25.{9000 + len(self.uids)}")

    def subject(self, pid: str) -> str:
        return self.subjects.setdefault(pid, f"TRIAL-{101 + len(self.subjects)}")

    def shift(self, da: str) -> str:
        day = dt.datetime.strptime(da, "%Y%m%d") + dt.timedelta(days=self.days)
        return day.strftime("%Y%m%d")

    def release(self, source: Dataset) -> Dataset:
        ds = copy.deepcopy(source)
        for keyword in PLANTED:
            if keyword in ds:
                delattr(ds, keyword)
        ds.PatientName = ds.PatientID = self.subject(str(source.PatientID))
        for keyword in ("SOPInstanceUID", "StudyInstanceUID", "SeriesInstanceUID",
                        "FrameOfReferenceUID"):  # fmt: skip
            if keyword in ds:
                setattr(ds, keyword, self.uid(str(source[keyword].value)))
        for keyword in ("StudyDate", "SeriesDate"):
            if keyword in ds:
                if MODIFIED_DATES in self.codes:
                    setattr(ds, keyword, self.shift(str(source[keyword].value)))
                else:
                    delattr(ds, keyword)
        if PATIENT_CHARS not in self.codes and "PatientSex" in ds:
            del ds.PatientSex
        if DEVICE in self.codes:
            ds.StationName = source.StationName
        ds.PatientIdentityRemoved = "YES"
        items = []
        for code in self.codes:
            item = Dataset()
            item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = code, "DCM", code
            items.append(item)
        ds.DeidentificationMethodCodeSequence = Sequence(items)
        return ds
