"""Helpers behind the landscape chapters: coordinates, the modality grid, the model, categories."""

from __future__ import annotations

import glob

import numpy as np
import pydicom

from imgshare import samples
from imgshare.book import categories, coords, gallery, infomodel


def _series() -> list[str]:
    return sorted(glob.glob(str(samples.samples_dir() / "dicom/series-ct/*.dcm")))


def test_series_affine_follows_the_standard() -> None:
    affine = coords.dicom_affine(_series())
    first = coords.sort_slices(_series())[0]
    # the first voxel sits at Image Position (Patient) of the most inferior slice
    assert np.allclose(affine[:3, 3], [float(v) for v in first.ImagePositionPatient])
    assert np.isclose(affine[0, 0], 0.488281) and np.isclose(affine[2, 2], 2.5)
    assert coords.axis_codes(coords.lps_to_ras(affine)) == ("L", "P", "S")
    assert coords.plane(first) == "axial"


def test_sorting_ignores_file_order() -> None:
    table = coords.geometry_table(list(reversed(_series())))
    assert list(table["along normal (mm)"]) == sorted(table["along normal (mm)"])
    assert list(table.InstanceNumber) == [10, 9, 8, 7, 6]


def test_lps_to_ras_flips_x_and_y_only() -> None:
    point = coords.to_world(coords.lps_to_ras(np.eye(4)), [1, 2, 3])
    assert np.allclose(point, [-1, -2, 3])


def test_modality_grid_has_one_panel_per_sample() -> None:
    import matplotlib

    matplotlib.use("Agg")
    chosen = gallery.grid_samples()
    assert len({s.modality for s in chosen}) == len(chosen)
    assert {s.modality for s in chosen if s.synthetic == "yes"} == {"MG", "PT", "XA", "SM"}
    fig = gallery.modality_grid()
    assert len([ax for ax in fig.axes if ax.get_title()]) == len(chosen)


def test_information_model_census_on_the_ct_series() -> None:
    assert infomodel.summary(_series()) == {
        "Patient": 1,
        "Study": 1,
        "Series": 1,
        "Instance": 5,
    }
    texts = " ".join(t.get_text() for t in infomodel.figure().axes[0].texts)
    for level in ("Patient", "Study", "Series", "Instance", "SOPInstanceUID"):
        assert level in texts, level


def test_categories_cover_the_ct_header() -> None:
    table = categories.categorise(samples.path("dicom/CT_small.dcm"))
    by_keyword = dict(zip(table.keyword, table.category, strict=True))
    assert by_keyword["PatientName"] == "patient"
    assert by_keyword["StudyInstanceUID"] == "study"
    assert by_keyword["Manufacturer"] == "equipment"
    assert by_keyword["ImagePositionPatient"] == "geometry"
    assert by_keyword["PixelData"] == "pixel data"
    assert by_keyword["TransferSyntaxUID"] == "file meta"
    assert categories.category(0x00091001, "") == "private"
    assert set(table.category) <= set(categories.CATEGORIES)


def test_rtstruct_without_preamble_needs_force() -> None:
    import pytest

    with pytest.raises(pydicom.errors.InvalidDicomError):
        pydicom.dcmread(samples.path("dicom/rtstruct.dcm"))
    assert pydicom.dcmread(samples.path("dicom/rtstruct.dcm"), force=True).Modality == "RTSTRUCT"


def test_headers_side_by_side_and_preamble() -> None:
    from imgshare.book import headers

    table = headers.side_by_side(
        {
            "NIfTI": samples.path("nifti/anatomical.nii"),
            "MGH": samples.path("nifti/test.mgz"),
            "Analyze": samples.path("analyze/anatomical.hdr"),
        },
        ["descrip", "patient_id", "tr", "(affine)"],
    )
    assert table.loc["patient_id", "NIfTI"] == "—"
    assert table.loc["patient_id", "Analyze"] != "—"
    assert table.loc["tr", "MGH"] != "—"
    assert headers.preamble(samples.path("dicom/CT_small.dcm"))["DICOM Part 10 file"]
    assert not headers.preamble(samples.path("dicom/rtstruct.dcm"))["DICOM Part 10 file"]
