"""A synthetic CT series of any length, for throughput measurements and tests.

Why: the shipped samples are a few small files; transfer speed only shows on a trial-sized
series (hundreds of 512 x 512 slices of 16-bit pixels, about 0.5 MB each). The files are
generated, carry visibly fake identifiers, and are never committed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def make_ct_series(
    folder: Path | str, slices: int = 200, size: int = 512, seed: int = 0
) -> list[Path]:
    """Write ``slices`` CT images (``size`` x ``size``, 16-bit) of one series; return paths."""
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:size, :size]
    centre = size / 2
    body = ((yy - centre) / (0.42 * size)) ** 2 + ((xx - centre) / (0.36 * size)) ** 2 < 1
    study, series, frame = generate_uid(), generate_uid(), generate_uid()
    paths = []
    for index in range(slices):
        noise = rng.normal(0, 20, (size, size))
        pixels = np.where(body, 1040 + noise, 24 + noise / 4).astype(np.uint16)
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = CTImageStorage
        meta.MediaStorageSOPInstanceUID = generate_uid()
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds = Dataset()
        ds.file_meta = meta
        ds.SOPClassUID = CTImageStorage
        ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
        ds.PatientName = "SYNTHETIC^CORPUS"
        ds.PatientID = "SYN-CT-0001"
        ds.PatientBirthDate = "19000101"
        ds.PatientSex = "O"
        ds.StudyDate = ds.SeriesDate = "20000101"
        ds.StudyTime = "120000"
        ds.AccessionNumber = "SYN0001"
        ds.ReferringPhysicianName = "NOBODY^SYNTHETIC"
        ds.StudyID = "1"
        ds.Modality = "CT"
        ds.Manufacturer = "imgshare synthetic corpus"
        ds.StudyInstanceUID, ds.SeriesInstanceUID = study, series
        ds.FrameOfReferenceUID = frame
        ds.SeriesNumber, ds.InstanceNumber = 1, index + 1
        ds.ImagePositionPatient = [0, 0, float(index)]
        ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
        ds.SliceThickness = 1.0
        ds.PixelSpacing = [0.7, 0.7]
        ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
        ds.Rows = ds.Columns = size
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
        ds.RescaleIntercept, ds.RescaleSlope = -1024, 1
        ds.PixelData = pixels.tobytes()
        path = folder / f"CT{index:05d}.dcm"
        ds.save_as(path, enforce_file_format=True)
        paths.append(path)
    return paths
