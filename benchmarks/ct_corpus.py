"""Generate a CT corpus for benchmarks: N slices of 512x512 16-bit with realistic headers.

Why generated: the benchmark needs thousands of realistic files and must run offline; the
headers follow the shape of a CT export (patient, study, series, equipment, acquisition,
a request sequence, and private groups of two vendors), with made-up values only.

    python benchmarks/ct_corpus.py OUT --files 2000 [--patients 20] [--seed 1]
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

import numpy as np
from pydicom import Dataset, Sequence
from pydicom.dataset import FileMetaDataset
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid

ROOT = "1.2.826.0.1.3680043.8.498."


def make_slice(rng: random.Random, patient: int, study: int, index: int, pixels: bytes) -> Dataset:
    def uid(*parts: object) -> str:
        return generate_uid(ROOT, [str(p) for p in parts])

    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
    ds.SOPClassUID = CTImageStorage
    ds.SOPInstanceUID = uid("sop", patient, study, index)
    ds.StudyDate = ds.SeriesDate = ds.AcquisitionDate = ds.ContentDate = f"2023{study + 1:02d}15"
    ds.StudyTime = ds.SeriesTime = "093000"
    ds.AcquisitionTime = ds.ContentTime = f"0930{index % 60:02d}"
    ds.AccessionNumber = f"ACC{patient:04d}{study:02d}"
    ds.Modality = "CT"
    ds.Manufacturer = "ExampleVendor"
    ds.InstitutionName = "Example University Hospital"
    ds.InstitutionAddress = "1 Example Road, Exampletown"
    ds.ReferringPhysicianName = "Referrer^Rita"
    ds.StationName = "CT-EXAMPLE-01"
    ds.StudyDescription = f"CT CHEST ABDOMEN PELVIS for Patient{patient:04d}"
    ds.SeriesDescription = "AXIAL 1.0 B30f"
    ds.OperatorsName = "Operator^Otto"
    ds.ManufacturerModelName = "Example CT 128"
    ds.PatientName = f"Patient{patient:04d}^Test^{rng.choice('ABCDEFG')}"
    ds.PatientID = f"MRN{patient:06d}"
    ds.PatientBirthDate = f"19{40 + patient % 50:02d}0{1 + patient % 9}1{patient % 9}"
    ds.PatientSex = rng.choice(["F", "M"])
    ds.PatientAge = f"0{40 + patient % 50}Y"
    ds.PatientWeight = str(50 + patient % 40)
    ds.BodyPartExamined = "CHEST"
    ds.SliceThickness = "1.0"
    ds.KVP = "120"
    ds.DeviceSerialNumber = "SN123456"
    ds.SoftwareVersions = "VB20A"
    ds.ProtocolName = "CAP routine"
    ds.ReconstructionDiameter = "380"
    ds.GantryDetectorTilt = "0"
    ds.ExposureTime = "500"
    ds.XRayTubeCurrent = "200"
    ds.ConvolutionKernel = "B30f"
    ds.PatientPosition = "HFS"
    ds.StudyInstanceUID = uid("study", patient, study)
    ds.SeriesInstanceUID = uid("series", patient, study)
    ds.StudyID = str(study + 1)
    ds.SeriesNumber = 2
    ds.InstanceNumber = index + 1
    ds.ImagePositionPatient = [-190.0, -190.0, -index * 1.0]
    ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
    ds.FrameOfReferenceUID = uid("frame", patient, study)
    ds.SliceLocation = str(-index * 1.0)
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows = ds.Columns = 512
    ds.PixelSpacing = [0.742, 0.742]
    ds.BitsAllocated = 16
    ds.BitsStored = 12
    ds.HighBit = 11
    ds.PixelRepresentation = 0
    ds.WindowCenter = "40"
    ds.WindowWidth = "400"
    ds.RescaleIntercept = "-1024"
    ds.RescaleSlope = "1"
    request = Dataset()
    request.RequestedProcedureID = f"RP{patient:05d}"
    request.RequestedProcedureDescription = "CT CAP"
    request.ScheduledProcedureStepID = f"SPS{patient:05d}"
    ds.RequestAttributesSequence = Sequence([request])
    block = ds.private_block(0x0019, "EXAMPLE_CT_PRIVATE", create=True)
    block.add_new(0x10, "LO", f"Patient{patient:04d} scan notes")
    block.add_new(0x11, "DS", "1.5")
    block.add_new(0x12, "OB", bytes(512))
    block2 = ds.private_block(0x0029, "EXAMPLE_CSA_HEADER", create=True)
    block2.add_new(0x10, "OB", bytes(rng.getrandbits(8) for _ in range(2048)))
    ds.PixelData = pixels
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = ds.SOPClassUID
    meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.SourceApplicationEntityTitle = "EXAMPLE_PACS"
    ds.file_meta = meta
    return ds


def generate(out: Path, files: int, patients: int = 20, seed: int = 1) -> list[Path]:
    """Write the corpus: patients x 2 studies, slices spread evenly. Returns the paths."""
    rng = random.Random(seed)
    noise = np.random.default_rng(seed)
    y, x = np.mgrid[0:512, 0:512]
    body = ((x - 256) ** 2 + (y - 256) ** 2) < 200**2
    paths = []
    per_study = max(1, files // (patients * 2))
    index = 0
    for patient in range(patients):
        for study in range(2):
            for i in range(per_study):
                if index >= files:
                    break
                image = np.where(body, 1000 + noise.integers(0, 80, (512, 512)), 0)
                ds = make_slice(rng, patient, study, i, image.astype(np.uint16).tobytes())
                path = out / f"patient{patient:04d}" / f"study{study}" / f"slice{i:04d}.dcm"
                path.parent.mkdir(parents=True, exist_ok=True)
                ds.save_as(path, enforce_file_format=True)
                paths.append(path)
                index += 1
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--patients", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    paths = generate(args.out, args.files, args.patients, args.seed)
    print(f"wrote {len(paths)} files to {args.out}")


if __name__ == "__main__":
    main()
