"""The fast writer gives exactly the bytes pydicom writes, for every DICOM sample."""

from __future__ import annotations

import copy
import io
import warnings

import pydicom
import pytest

from imgshare import samples
from imgshare.dicom import engine, fastwrite
from imgshare.dicom import io as dio
from imgshare.dicom.config import Config

DICOM = [s.file for s in samples.manifest() if s.format == "DICOM"]


@pytest.mark.parametrize("name", DICOM)
@pytest.mark.parametrize("options", [(), ("clean-descriptors", "retain-long-modified-dates")])
def test_same_bytes_as_pydicom(name: str, options: tuple[str, ...]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds, _ = dio.read(samples.path(name))
        engine.apply(ds, Config(key=b"f" * 32, options=options))
        syntax = ds.file_meta.get("TransferSyntaxUID") if hasattr(ds, "file_meta") else None
        ds.file_meta = dio.file_meta(ds, syntax or "1.2.840.10008.1.2")
        theirs, ours = io.BytesIO(), io.BytesIO()
        copy.deepcopy(ds).save_as(theirs, enforce_file_format=True)
        fastwrite.write(ours, ds)
    assert ours.getvalue() == theirs.getvalue()
    assert pydicom.dcmread(io.BytesIO(ours.getvalue())).SOPInstanceUID == ds.SOPInstanceUID
