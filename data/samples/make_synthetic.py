"""Write the synthetic and derived samples: modalities with no public sample that ships offline.

Why: mammography, PET, X-ray angiography and whole-slide microscopy have no small public
file in a pinned package, yet the book must show their headers. These files are made here,
deterministically, and look fake on purpose (names such as ``SYNTHETIC^MAMMO``, dates in
2000), so nobody mistakes them for a person. The Analyze pair is derived from nibabel's
``anatomical.nii`` because nibabel ships only an Analyze header without its image file.

Run after fetch_samples.py: ``python data/samples/make_synthetic.py``.
"""

from __future__ import annotations

from pathlib import Path

import nibabel as nib
import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

HERE = Path(__file__).resolve().parent
ROOT_PREFIX = "1.2.826.0.1.3680043.8.498."  # pydicom's UID root, for generated UIDs

# destination, modality, format, description
SYNTHETIC: list[tuple[str, str, str, str]] = [
    (
        "synthetic/mg_synthetic.dcm",
        "MG",
        "DICOM",
        "synthetic digital mammogram (For Presentation), visibly fake identifiers",
    ),
    (
        "synthetic/pt_synthetic.dcm",
        "PT",
        "DICOM",
        "synthetic PET slice with SUV-style attributes, visibly fake identifiers",
    ),
    (
        "synthetic/xa_synthetic.dcm",
        "XA",
        "DICOM",
        "synthetic X-ray angiography cine, 8 frames, visibly fake identifiers",
    ),
    (
        "synthetic/sm_synthetic.dcm",
        "SM",
        "DICOM",
        "synthetic whole-slide microscopy tile (RGB), visibly fake identifiers",
    ),
    (
        "analyze/anatomical.hdr",
        "MR",
        "Analyze 7.5",
        "Analyze header converted with nibabel from nifti/anatomical.nii",
    ),
    (
        "analyze/anatomical.img",
        "MR",
        "Analyze 7.5",
        "Analyze image converted with nibabel from nifti/anatomical.nii",
    ),
]


def uid(*parts: str) -> str:
    """A deterministic UID, so regenerating the samples gives the same bytes."""
    return generate_uid(prefix=ROOT_PREFIX, entropy_srcs=["imgshare-samples", *parts])


def base(modality: str, sop_class: str, name: str) -> Dataset:
    """Patient, study, series and equipment modules filled with obviously fake values."""
    ds = Dataset()
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = uid(name, "instance")
    ds.StudyInstanceUID = uid(name, "study")
    ds.SeriesInstanceUID = uid(name, "series")
    ds.FrameOfReferenceUID = uid(name, "frame")
    ds.PatientName = f"SYNTHETIC^{name.upper()}"
    ds.PatientID = f"SYN-{name.upper()}-0001"
    ds.PatientBirthDate = "19500101"
    ds.PatientSex = "O"
    ds.PatientAge = "050Y"
    ds.StudyDate = ds.SeriesDate = ds.ContentDate = "20000101"
    ds.StudyTime = ds.SeriesTime = ds.ContentTime = "120000"
    ds.AccessionNumber = "SYNACC0001"
    ds.StudyID = "SYN1"
    ds.SeriesNumber = 1
    ds.InstanceNumber = 1
    ds.Modality = modality
    ds.Manufacturer = "imgshare synthetic"
    ds.InstitutionName = "Synthetic Hospital"
    ds.ReferringPhysicianName = "SYNTHETIC^REFERRER"
    ds.StudyDescription = f"Synthetic {modality} sample made by imgshare"
    ds.BurnedInAnnotation = "NO"
    ds.SpecificCharacterSet = "ISO_IR 100"
    return ds


def pixels(ds: Dataset, array: np.ndarray, photometric: str = "MONOCHROME2") -> None:
    """Attach uncompressed pixel data and the Image Pixel module that describes it."""
    frames = array.shape[0] if array.ndim == (4 if photometric == "RGB" else 3) else 1
    ds.SamplesPerPixel = 3 if photometric == "RGB" else 1
    ds.PhotometricInterpretation = photometric
    if photometric == "RGB":
        ds.PlanarConfiguration = 0
    ds.Rows, ds.Columns = array.shape[-3:-1] if photometric == "RGB" else array.shape[-2:]
    bits = array.dtype.itemsize * 8
    ds.BitsAllocated = bits
    ds.BitsStored = bits
    ds.HighBit = bits - 1
    ds.PixelRepresentation = 0
    if frames > 1:
        ds.NumberOfFrames = frames
    ds.PixelData = array.tobytes()


def save(ds: Dataset, dest: str) -> None:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = ds.SOPClassUID
    meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = ROOT_PREFIX + "1"
    meta.ImplementationVersionName = "IMGSHARE_SAMPLES"
    ds.file_meta = meta
    path = HERE / dest
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path, enforce_file_format=True)
    print(f"wrote {dest}")


def grid(n: int, m: int) -> tuple[np.ndarray, np.ndarray]:
    return np.mgrid[0:n, 0:m].astype(np.float64)


def mammogram() -> None:
    ds = base("MG", "1.2.840.10008.5.1.4.1.1.1.2", "mammo")
    y, x = grid(256, 192)
    breast = ((x / 170.0) ** 2 + ((y - 128) / 120.0) ** 2) < 1
    texture = 0.5 + 0.25 * np.sin(x / 7.0) * np.cos(y / 11.0)
    img = np.where(breast, 900 + 600 * texture, 40).astype(np.uint16)
    pixels(ds, img)
    ds.ImageLaterality = "L"
    ds.ViewPosition = "CC"
    ds.PresentationIntentType = "FOR PRESENTATION"
    ds.ImageType = ["DERIVED", "PRIMARY"]
    ds.BodyPartExamined = "BREAST"
    ds.PixelSpacing = [0.1, 0.1]
    save(ds, "synthetic/mg_synthetic.dcm")


def pet() -> None:
    ds = base("PT", "1.2.840.10008.5.1.4.1.1.128", "pet")
    y, x = grid(64, 64)
    body = (((x - 32) / 26) ** 2 + ((y - 32) / 20) ** 2) < 1
    hot = np.exp(-(((x - 40) ** 2 + (y - 26) ** 2) / 12.0))
    img = (body * 300 + hot * 3000).astype(np.uint16)
    pixels(ds, img)
    ds.ImageType = ["ORIGINAL", "PRIMARY"]
    ds.Units = "BQML"
    ds.SeriesType = ["STATIC", "IMAGE"]
    ds.CorrectedImage = ["ATTN", "DECY"]
    ds.DecayCorrection = "START"
    ds.RescaleIntercept = 0
    ds.RescaleSlope = 1
    ds.PatientWeight = 70
    ds.PixelSpacing = [4.0, 4.0]
    ds.SliceThickness = 4.0
    ds.ImagePositionPatient = [-128.0, -128.0, 0.0]
    ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
    save(ds, "synthetic/pt_synthetic.dcm")


def angiography() -> None:
    ds = base("XA", "1.2.840.10008.5.1.4.1.1.12.1", "angio")
    y, x = grid(128, 128)
    frames = []
    for t in range(8):
        vessel = np.abs(y - (64 + 20 * np.sin(x / 18.0 + t / 3.0))) < 3
        frames.append(np.where(vessel, 60, 200).astype(np.uint8))
    pixels(ds, np.stack(frames))
    ds.ImageType = ["ORIGINAL", "PRIMARY", "SINGLE PLANE"]
    ds.FrameTime = 66.7
    ds.FrameIncrementPointer = (0x0018, 0x1063)
    ds.PositionerPrimaryAngle = 30
    ds.PositionerSecondaryAngle = 0
    save(ds, "synthetic/xa_synthetic.dcm")


def slide() -> None:
    ds = base("SM", "1.2.840.10008.5.1.4.1.1.77.1.6", "slide")
    y, x = grid(256, 256)
    nuclei = (np.sin(x / 5.0) * np.sin(y / 6.0)) > 0.8
    rgb = np.empty((256, 256, 3), dtype=np.uint8)
    rgb[..., 0] = np.where(nuclei, 90, 235)
    rgb[..., 1] = np.where(nuclei, 60, 170)
    rgb[..., 2] = np.where(nuclei, 160, 210)
    pixels(ds, rgb, "RGB")
    ds.ImageType = ["ORIGINAL", "PRIMARY", "VOLUME", "NONE"]
    ds.ContainerIdentifier = "SYN-SLIDE-0001"
    ds.TotalPixelMatrixColumns = 256
    ds.TotalPixelMatrixRows = 256
    ds.DimensionOrganizationType = "TILED_FULL"
    ds.NumberOfFrames = 1
    save(ds, "synthetic/sm_synthetic.dcm")


def analyze() -> None:
    img = nib.load(HERE / "nifti" / "anatomical.nii")
    out = nib.AnalyzeImage(np.asanyarray(img.dataobj), img.affine)
    (HERE / "analyze").mkdir(exist_ok=True)
    nib.save(out, HERE / "analyze" / "anatomical.hdr")
    print("wrote analyze/anatomical.hdr and .img")


if __name__ == "__main__":
    mammogram()
    pet()
    angiography()
    slide()
    analyze()
