"""The sample data match MANIFEST.csv byte for byte, and the registry finds them."""

from __future__ import annotations

import pytest

from imgshare import samples


def test_every_sample_matches_the_manifest() -> None:
    assert samples.verify() == []


def test_manifest_records_provenance() -> None:
    for sample in samples.manifest():
        assert sample.source_package and sample.licence and sample.source_path, sample.file
        assert len(sample.sha256) == 64


def test_samples_stay_small() -> None:
    total = sum(s.bytes for s in samples.manifest())
    assert total < 25 * 1024 * 1024, f"samples take {total / 2**20:.1f} MB; the limit is 25 MB"


def test_required_modalities_are_present() -> None:
    modalities = {s.modality for s in samples.manifest()}
    wanted = {
        "CT",
        "MR",
        "CR",
        "US",
        "NM",
        "RTSTRUCT",
        "RTPLAN",
        "RTDOSE",
        "SEG",
        "SR",
        "ECG",
        "MG",
        "PT",
        "XA",
        "SM",
    }
    assert wanted <= modalities, wanted - modalities
    formats = {s.format for s in samples.manifest()}
    assert {"DICOM", "NIfTI-1", "NIfTI-2", "Analyze 7.5", "MGH"} <= formats


def test_path_by_name() -> None:
    assert samples.path("CT_small.dcm") == samples.path("dicom/CT_small.dcm")
    with pytest.raises(KeyError):
        samples.path("no-such-file.dcm")
