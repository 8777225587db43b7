"""describe: read-only header tables and pictures for every sample format."""

from __future__ import annotations

import pytest

from imgshare import samples
from imgshare.book import describe


def test_dicom_elements_walks_sequences() -> None:
    rows = describe.dicom_elements(samples.path("dicom/rtstruct.dcm"))
    assert any(r["depth"] >= 2 for r in rows), "nested sequence items should be listed"
    assert any(r["keyword"] == "PatientName" for r in rows)


def test_file_meta_is_listed() -> None:
    rows = describe.dicom_elements(samples.path("dicom/CT_small.dcm"))
    assert any(r["path"].startswith("(0002,") for r in rows)


def test_bulk_data_is_summarised() -> None:
    rows = describe.dicom_elements(samples.path("dicom/CT_small.dcm"))
    pixel = next(r for r in rows if r["keyword"] == "PixelData")
    assert pixel["value"].startswith("<") and "bytes" in pixel["value"]


@pytest.mark.parametrize(
    "name",
    [
        "nifti/anatomical.nii",
        "nifti/example_nifti2.nii.gz",
        "nifti/test.mgz",
        "analyze/anatomical.hdr",
    ],
)
def test_volume_headers_and_pictures(name: str) -> None:
    rows = describe.nifti_header(samples.path(name))
    assert any(r["field"] == "(affine)" for r in rows)
    assert describe.picture(samples.path(name)).ndim == 2


@pytest.mark.parametrize(
    "name",
    [
        "dicom/CT_small.dcm",
        "dicom/RG3_J2KI.dcm",
        "dicom/emri_small.dcm",
        "synthetic/sm_synthetic.dcm",
    ],
)
def test_dicom_pictures(name: str) -> None:
    assert describe.picture(samples.path(name)).ndim in (2, 3)
