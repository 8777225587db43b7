"""Sort the attributes of a DICOM file into the categories a reviewer thinks in.

Why: a privacy review asks different questions of patient, study, series, equipment,
acquisition, image and private attributes. DICOM groups attributes into modules per
information entity, but a file does not say which module an attribute came from; this is a
small, explicit rule (group number first, then a few keyword lists) that puts every
top-level attribute of the samples in one category. It is a reading aid, not the standard's
own module table.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

CATEGORIES = [
    "file meta",
    "patient",
    "clinical trial",
    "study",
    "series",
    "equipment",
    "acquisition",
    "geometry",
    "image",
    "pixel data",
    "overlay or curve",
    "workflow",
    "private",
    "other",
]

_STUDY = {
    "StudyDate",
    "StudyTime",
    "AccessionNumber",
    "ReferringPhysicianName",
    "StudyDescription",
    "StudyInstanceUID",
    "StudyID",
    "PhysiciansOfRecord",
    "NameOfPhysiciansReadingStudy",
    "AdmittingDiagnosesDescription",
    "IssuerOfAccessionNumberSequence",
    "ProcedureCodeSequence",
    "RequestingPhysician",
    "RequestedProcedureDescription",
}
_SERIES = {
    "SeriesDate",
    "SeriesTime",
    "Modality",
    "SeriesDescription",
    "SeriesInstanceUID",
    "SeriesNumber",
    "PerformingPhysicianName",
    "OperatorsName",
    "ProtocolName",
    "BodyPartExamined",
    "PatientPosition",
    "Laterality",
    "AnatomicRegionSequence",
    "ViewPosition",
}
_EQUIPMENT = {
    "Manufacturer",
    "InstitutionName",
    "InstitutionAddress",
    "StationName",
    "InstitutionalDepartmentName",
    "ManufacturerModelName",
    "DeviceSerialNumber",
    "SoftwareVersions",
    "DateOfLastCalibration",
    "TimeOfLastCalibration",
    "SpatialResolution",
    "DetectorID",
}
_GEOMETRY = {
    "ImagePositionPatient",
    "ImageOrientationPatient",
    "FrameOfReferenceUID",
    "PositionReferenceIndicator",
    "SliceLocation",
    "PixelSpacing",
    "SliceThickness",
    "SpacingBetweenSlices",
    "PatientOrientation",
    "ImageLaterality",
}


def category(tag: int, keyword: str) -> str:
    """The category of one top-level attribute, from its tag and keyword."""
    group = tag >> 16
    if keyword in _GEOMETRY:
        return "geometry"
    if keyword in _SERIES:
        return "series"
    if keyword in _STUDY:
        return "study"
    if keyword in _EQUIPMENT:
        return "equipment"
    if group == 0x0002:
        return "file meta"
    if group % 2 == 1:
        return "private"
    if group == 0x0010:
        return "patient"
    if group == 0x0012:
        return "clinical trial"
    if group == 0x0018:
        return "acquisition"
    if group in (0x0008, 0x0020, 0x0028):
        return "image"
    if group == 0x7FE0:
        return "pixel data"
    if 0x5000 <= group <= 0x60FF:
        return "overlay or curve"
    if group in (0x0032, 0x0040):
        return "workflow"
    return "other"


def categorise(source: Any):
    """Every top-level attribute of a file (file meta included) with its category, as rows."""
    import pandas as pd
    import pydicom

    ds = source if isinstance(source, pydicom.Dataset) else pydicom.dcmread(source, force=True)
    elements = list(getattr(ds, "file_meta", None) or []) + list(ds)
    rows = []
    for elem in elements:
        keyword = elem.keyword or ("(private)" if elem.tag.is_private else "")
        if elem.VR == "SQ":
            value = f"sequence of {len(elem.value)} item(s)"
        elif elem.VR in {"OB", "OW", "OF", "OD", "OL", "OV", "UN"}:
            value = f"<{len(elem.value or b'')} bytes>"
        else:
            value = str(elem.value)[:48]
        rows.append(
            {
                "category": category(int(elem.tag), keyword),
                "tag": f"({elem.tag.group:04X},{elem.tag.element:04X})",
                "keyword": keyword,
                "VR": elem.VR,
                "value": value,
            }
        )
    return pd.DataFrame(rows)


def counts(source: Any) -> dict[str, int]:
    """How many top-level attributes of a file fall in each category."""
    table = categorise(source)
    return dict(Counter(table["category"]))
