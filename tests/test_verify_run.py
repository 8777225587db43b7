"""verify as a whole on small mixed sources: which sources give values, what the report says.

Each value here is planted in exactly one kind of source file, so a finding proves that that
kind of source was read.
"""

from __future__ import annotations

import json
from pathlib import Path

import nibabel as nib
import numpy as np
import pydicom
from verify_helpers import BASIC, Releaser, image, write

from imgshare.verify import verify

U = "1.2.826.0.1.3680043.8.498.88"
CHECKS = {
    "files released": ("source files with a released file", False),
    "paired": ("released files matched to one source file", True),
    "valid": ("released files that are still DICOM instances (UIDs present)", True),
    "pixel data": ("released images with their pixel data, of the size their attributes declare",
                   True),
    "pseudonyms": ("patients with one released ID, shared with no other patient", True),
    "intervals": ("intervals between a patient's studies kept (where dates are retained)", True),
    "references": ("references that resolve within the release (none broken)", True),
    "references kept": ("references of the sources still in the release", False),
    "research": ("attribute values kept where the declared options keep them", True),
}  # fmt: skip


def _sources(root: Path) -> Path:
    """One DICOM file, a NIfTI image, a sidecar, a table and a descriptive file."""
    write(image("PAT-00123", "Doe^Jane", study=U + ".1", series=U + ".1.1", sop=U + ".1.1.1"),
          root / "dicom" / "a.dcm")  # fmt: skip
    img = nib.Nifti1Image(np.zeros((2, 2, 2), dtype=np.int16), np.eye(4))
    img.header["descrip"] = b"HEADER-ONLY-7731"
    nib.save(img, root / "anat.nii.gz")
    (root / "anat.json").write_text(json.dumps({"InstitutionName": "SIDECAR ONLY CLINIC"}))
    (root / "participants.tsv").write_text("participant_id\tmrn\nsub-01\tTABLE-ONLY-5512\n")
    (root / "dataset_description.json").write_text(json.dumps({"Name": "Descriptive Name Only"}))
    return root


def _release(src: Path, out: Path, *codes: str) -> Path:
    ds = Releaser(codes or (BASIC,)).release(pydicom.dcmread(src / "dicom" / "a.dcm"))
    write(ds, out / "a.dcm")
    return out


def test_every_kind_of_source_gives_its_values(tmp_path: Path):
    src = _sources(tmp_path / "src")
    out = _release(src, tmp_path / "out")
    (out / "notes.json").write_text(json.dumps({"a": "HEADER-ONLY-7731", "b": "SIDECAR ONLY CLINIC",
                                                "c": "TABLE-ONLY-5512",
                                                "d": "Descriptive Name Only"}))  # fmt: skip
    result = verify(out, against=src)
    assert {f.value for f in result.findings} == {
        "HEADER-ONLY-7731", "SIDECAR ONLY CLINIC", "TABLE-ONLY-5512",
    }  # fmt: skip
    assert {f.location for f in result.findings} == {"$.a", "$.b", "$.c"}


def test_the_checks_their_names_and_which_ones_gate(tmp_path: Path):
    src = _sources(tmp_path / "src")
    result = verify(_release(src, tmp_path / "out"), against=src)
    assert {k: (c.name, c.gate) for k, c in result.checks.items()} == CHECKS
    assert result.passed and result.not_checked == []


def test_notes_on_unreadable_sources_and_undeclared_options(tmp_path: Path):
    src = _sources(tmp_path / "src")
    (src / "broken.json").write_text("{")
    (src / "broken.dcm").write_bytes(b"\x00" * 132)
    out = tmp_path / "out"
    ds = Releaser().release(pydicom.dcmread(src / "dicom" / "a.dcm"))
    del ds.DeidentificationMethodCodeSequence
    write(ds, out / "a.dcm")
    result = verify(out, against=src)
    assert result.not_checked == [
        "sources: 2 source file(s) could not be read; values they hold were not searched for",
        "options: 1 released DICOM file(s) declare no De-identification Method Code Sequence "
        "(0012,0064); they are judged under the Basic Profile alone",
    ]


def test_an_answer_key_alone_searches_but_checks_nothing(tmp_path: Path):
    src = _sources(tmp_path / "src")
    out = _release(src, tmp_path / "out")
    (out / "readme.txt").write_text("subject KEY-VALUE-99 was here\n")
    key = {"identifiers": [{"value": "KEY-VALUE-99", "kind": "id"}],
           "pixel_text": [{"file": "x", "rows": [0, 1], "image": [4, 4, 16],
                           "region_sha256": "0" * 64}]}  # fmt: skip
    result = verify(out, answer_key=key)
    assert [(f.file, f.kind, f.category) for f in result.findings] == [
        ("readme.txt", "id", "other file")
    ]
    assert result.checks == {}
    assert result.not_checked == [
        "pixels: 1 burned-in text region(s) changed; whether text remains needs OCR (the Clean "
        "Pixel Data option's own check, or a second reader)",
        "release structure, pixel data and kept values: give --against SRC",
    ]
    path = tmp_path / "key.json"
    path.write_text(json.dumps(key), encoding="utf-8")
    assert {f.value for f in verify(out, answer_key=path).findings} == {"KEY-VALUE-99"}


def test_empty_release_and_nothing_to_search_say_so(tmp_path: Path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "nothing").mkdir()
    result = verify(tmp_path / "empty", against=tmp_path / "nothing")
    assert result.problems == [
        "the release is empty: no file to check",
        "nothing to search for: the sources gave no identifying value",
    ]


def test_an_unreadable_release_file_is_named_masked(tmp_path: Path):
    src = _sources(tmp_path / "src")
    out = _release(src, tmp_path / "out")
    (out / "PAT-00123.dcm").write_bytes(b"\x00" * 128 + b"DICM")
    result = verify(out, against=src)
    assert result.problems == [
        "unreadable: P***(9).dcm (dicom: no data set after the file meta information)"
    ]
