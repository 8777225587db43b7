"""NIfTI-1, NIfTI-2, Analyze and MGH: detection, header fields, extensions, voxels, bad input."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest

from imgshare import batch, journal, samples, testing
from imgshare.dicom import config, keys
from imgshare.nifti import detect, dispatch, header, mgh
from imgshare.nifti.settings import Settings


@pytest.fixture
def cfg(tmp_path: Path) -> config.Config:
    return config.build(keys.create_key(tmp_path / "secret.key"))


def run(src: Path, dst: Path, cfg: config.Config) -> dict[str, dict]:
    rep = batch.run(src, dst, cfg)
    assert not list(dst.rglob("*" + ".imgshare-tmp")), "temporary files left behind"
    return {f["source"]: f for f in rep.files}


def nifti1(path: Path, shape=(4, 5, 3), **fields) -> Path:
    data = np.arange(np.prod(shape), dtype=np.int16).reshape(shape)
    img = nib.Nifti1Image(data, np.diag([2.0, 2.0, 3.0, 1.0]))
    for name, value in fields.items():
        img.header[name] = value
    path.parent.mkdir(parents=True, exist_ok=True)
    nib.save(img, path)
    return path


@pytest.mark.parametrize(
    "name, kind",
    [
        ("nifti/anatomical.nii", "nifti1"),
        ("nifti/example4d.nii.gz", "nifti1"),
        ("nifti/example_nifti2.nii.gz", "nifti2"),
        ("nifti/test.mgz", "mgh"),
        ("analyze/anatomical.hdr", "analyze"),
        ("dicom/CT_small.dcm", None),
    ],
)
def test_detect_by_content(name: str, kind: str | None) -> None:
    assert detect.sniff(samples.path(name)) == kind


def test_detect_ignores_the_extension(tmp_path: Path) -> None:
    odd = tmp_path / "scan.dat"
    odd.write_bytes(gzip.compress(samples.path("nifti/anatomical.nii").read_bytes()))
    assert detect.sniff(odd) == "nifti1"
    pair = nifti1(tmp_path / "pair.img")  # nibabel writes a NIfTI pair (.hdr + .img)
    assert detect.sniff(pair.with_suffix(".hdr")) == "nifti1-pair"
    assert detect.is_pair_image(pair)


@pytest.mark.parametrize("field", header.TEXT_FIELDS["nifti1"])
def test_every_nifti1_text_field_is_cleared(tmp_path: Path, cfg, field: str) -> None:
    size = header.DTYPES["nifti1"][field].itemsize
    src = nifti1(tmp_path / "src" / "PAT-1" / "scan.nii", **{field: b"Doe Jane 123"[:size]})
    files = run(tmp_path / "src", tmp_path / "out", cfg)
    entry = files["PAT-1/scan.nii"]
    assert field in entry["cleared"]
    out = nib.load(tmp_path / "out" / entry["output"]).header
    expected = header.DESCRIP.encode() if field == "descrip" else b""
    assert bytes(out[field]).rstrip(b"\x00") == expected
    assert b"Doe" not in (tmp_path / "out" / entry["output"]).read_bytes()
    assert src.is_file()


@pytest.mark.parametrize("field", header.TEXT_FIELDS["nifti2"])
def test_every_nifti2_text_field_is_cleared(tmp_path: Path, cfg, field: str) -> None:
    img = nib.Nifti2Image(np.zeros((3, 3, 3), np.float32), np.eye(4))
    size = header.DTYPES["nifti2"][field].itemsize
    img.header[field] = b"Doe Jane 123"[:size]
    (tmp_path / "src").mkdir()
    nib.save(img, tmp_path / "src" / "x.nii")
    entry = run(tmp_path / "src", tmp_path / "out", cfg)["x.nii"]
    assert entry["format"] == "nifti2" and field in entry["cleared"]
    assert b"Doe" not in (tmp_path / "out" / entry["output"]).read_bytes()


ANALYZE_TEXT = [f for f in header.TEXT_FIELDS["analyze"]] + ["originator"]


@pytest.mark.parametrize("field", ANALYZE_TEXT)
def test_every_analyze_text_field_is_cleared(tmp_path: Path, cfg, field: str) -> None:
    img = nib.AnalyzeImage(np.ones((3, 4, 5), np.int16), np.eye(4))
    raw = bytearray(img.header.binaryblock)
    dtype = header.DTYPES["analyze"]
    offset, size = dtype.fields[field][1], dtype[field].itemsize
    raw[offset : offset + size] = b"Doe Jane 123"[:size].ljust(size, b"\x00")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.hdr").write_bytes(bytes(raw))
    (tmp_path / "src" / "a.img").write_bytes(np.ones((3, 4, 5), np.int16).tobytes("F"))
    files = run(tmp_path / "src", tmp_path / "out", cfg)
    assert field in files["a.hdr"]["cleared"]
    assert b"Doe" not in (tmp_path / "out" / files["a.hdr"]["output"]).read_bytes()
    assert files["a.img"]["status"] == "processed"


def test_spm_origin_in_originator_is_kept(tmp_path: Path) -> None:
    img = nib.AnalyzeImage(np.ones((3, 4, 5), np.int16), np.eye(4))
    raw = bytearray(img.header.binaryblock)
    offset = header.DTYPES["analyze"].fields["originator"][1]
    raw[offset : offset + 10] = struct.pack("<5h", 2, 3, 4, 0, 0)
    image = header.parse_pair(bytes(raw), b"\x01\x00" * 60, "analyze")
    assert "originator" not in header.clean(image)["cleared"]


@pytest.mark.parametrize("code", sorted(header.EXTENSION_NAMES))
def test_every_extension_type_is_removed_by_default(tmp_path: Path, cfg, code: int) -> None:
    img = nib.Nifti1Image(np.zeros((2, 2, 2), np.uint8), np.eye(4))
    img.header.extensions.append(nib.nifti1.Nifti1Extension(code, b"Doe Jane MRN 42"))
    (tmp_path / "src").mkdir()
    nib.save(img, tmp_path / "src" / "x.nii")
    entry = run(tmp_path / "src", tmp_path / "out", cfg)["x.nii"]
    assert entry["extensions_removed"] == [f"{code} ({header.EXTENSION_NAMES[code]})"]
    out = tmp_path / "out" / entry["output"]
    assert b"Doe" not in out.read_bytes()
    assert len(nib.load(out).header.extensions) == 0


def test_allowed_extension_is_kept(tmp_path: Path) -> None:
    img = nib.Nifti1Image(np.zeros((2, 2, 2), np.uint8), np.eye(4))
    img.header.extensions.append(nib.nifti1.Nifti1Extension(32, b"<CIFTI/>"))
    img.header.extensions.append(nib.nifti1.Nifti1Extension(6, b"Doe"))
    raw = img.header.binaryblock + b"".join([])  # header only; write via nibabel
    path = tmp_path / "x.nii"
    nib.save(img, path)
    data, _, done = dispatch.image_bytes(path, Settings(frozenset({32})))
    assert done["extensions_kept"] == ["32 (cifti)"]
    assert done["extensions_removed"] == ["6 (comment)"]
    assert b"<CIFTI/>" in data and b"Doe" not in data and raw


def test_extension_codes_come_from_the_recipe(tmp_path: Path, monkeypatch) -> None:
    from imgshare.dicom import config, keys

    key = keys.create_key(tmp_path / "k")
    recipe = tmp_path / "r.yaml"
    recipe.write_text("nifti:\n  keep_extensions: [32, 44]\n")
    assert config.build(key, recipe=recipe).nifti.keep_extensions == frozenset({32, 44})
    monkeypatch.setenv("IMGSHARE_NIFTI_KEEP_EXTENSIONS", "6")  # no longer read
    assert config.build(key).nifti.keep_extensions == frozenset()
    recipe.write_text("nifti:\n  keep_extensions: [cifti]\n")
    with pytest.raises(config.RecipeError, match="keep_extensions"):
        config.build(key, recipe=recipe)
    recipe.write_text("nifti:\n  keep_extension: [32]\n")
    with pytest.raises(config.RecipeError, match="unknown nifti setting"):
        config.build(key, recipe=recipe)


SAMPLES = ["nifti/anatomical.nii", "nifti/example4d.nii.gz", "nifti/example_nifti2.nii.gz"]


@pytest.mark.parametrize("name", SAMPLES)
def test_voxels_and_geometry_preserved_bit_for_bit(tmp_path: Path, cfg, name: str) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / Path(name).name).write_bytes(samples.path(name).read_bytes())
    entry = run(src, tmp_path / "out", cfg)[Path(name).name]
    before, after = src / Path(name).name, tmp_path / "out" / entry["output"]
    from imgshare.nifti import compare

    assert compare.same_voxels_and_geometry(before, after) == {
        "voxel bytes": True, "geometry fields": True, "affine": True,
    }  # fmt: skip
    a, b = nib.load(before), nib.load(after)
    assert a.header.get_data_dtype() == b.header.get_data_dtype()
    assert np.array_equal(a.dataobj, b.dataobj)
    for field in ("qform_code", "sform_code", "xyzt_units", "slice_code", "slice_duration"):
        assert a.header[field] == b.header[field]


def test_slice_timing_fields_preserved(tmp_path: Path, cfg) -> None:
    img = nib.Nifti1Image(np.zeros((4, 4, 6, 3), np.int16), np.eye(4))
    img.header.set_dim_info(slice=2)
    img.header.set_xyzt_units("mm", "sec")
    img.header["pixdim"][4] = 2.0
    img.header.set_slice_duration(0.3)
    img.header["slice_code"], img.header["slice_start"], img.header["slice_end"] = 3, 0, 5
    img.header["toffset"] = 1.5
    (tmp_path / "src").mkdir()
    nib.save(img, tmp_path / "src" / "bold.nii.gz")
    entry = run(tmp_path / "src", tmp_path / "out", cfg)["bold.nii.gz"]
    raw_a, _, _ = dispatch.read_bytes(tmp_path / "src" / "bold.nii.gz")
    raw_b, _, _ = dispatch.read_bytes(tmp_path / "out" / entry["output"])
    a, b = header.parse_single(raw_a, "nifti1"), header.parse_single(raw_b, "nifti1")
    assert header.geometry(a.header) == header.geometry(b.header)
    assert nib.load(tmp_path / "out" / entry["output"]).header.get_slice_times() == (
        img.header.get_slice_times()
    )


def test_analyze_pair_voxels_and_geometry(tmp_path: Path, cfg) -> None:
    src = tmp_path / "src"
    src.mkdir()
    for ext in ("hdr", "img"):
        (src / f"a.{ext}").write_bytes(samples.path(f"analyze/anatomical.{ext}").read_bytes())
    files = run(src, tmp_path / "out", cfg)
    out_hdr = tmp_path / "out" / files["a.hdr"]["output"]
    out_img = tmp_path / "out" / files["a.img"]["output"]
    assert out_img.with_suffix(".hdr") == out_hdr
    a, b = nib.load(src / "a.hdr"), nib.load(out_hdr)
    assert np.array_equal(a.affine, b.affine)
    assert out_img.read_bytes() == (src / "a.img").read_bytes()[: len(out_img.read_bytes())]
    assert np.array_equal(a.dataobj, b.dataobj)


def test_mgh_keeps_header_voxels_and_scan_parameters_drops_tags(tmp_path: Path, cfg) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "t.mgz").write_bytes(samples.path("nifti/test.mgz").read_bytes())
    entry = run(src, tmp_path / "out", cfg)["t.mgz"]
    raw_a = gzip.decompress((src / "t.mgz").read_bytes())
    raw_b = gzip.decompress((tmp_path / "out" / entry["output"]).read_bytes())
    a, b = mgh.parse(raw_a), mgh.parse(raw_b)
    assert a.header == b.header and a.data == b.data and a.scan_parameters == b.scan_parameters
    assert a.tags and not b.tags
    assert entry["extensions_removed"][0].startswith("trailing tags")
    assert np.array_equal(
        nib.load(src / "t.mgz").affine, nib.load(tmp_path / "out" / entry["output"]).affine
    )  # noqa: E501


def test_gzip_output_is_deterministic_and_unnamed(tmp_path: Path, cfg) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "x.nii.gz").write_bytes(samples.path("nifti/example_nifti2.nii.gz").read_bytes())
    first = run(src, tmp_path / "o1", cfg)["x.nii.gz"]
    second = run(src, tmp_path / "o2", cfg)["x.nii.gz"]
    a = (tmp_path / "o1" / first["output"]).read_bytes()
    assert a == (tmp_path / "o2" / second["output"]).read_bytes()
    assert a[3] & 0x08 == 0 and a[4:8] == b"\x00\x00\x00\x00"  # no FNAME, mtime 0
    assert any("gzip header named" in n for n in first["notes"])


def test_names_carry_no_identifiers_and_use_the_subject_map(tmp_path: Path) -> None:
    nifti1(tmp_path / "src" / "PAT-001" / "Doe_Jane_20200315.nii")
    subjects = tmp_path / "map.csv"
    subjects.write_text("original_id,subject_id,date_offset_days\nPAT-001,TRIAL-0042,-23\n")
    cfg = config.build(keys.create_key(tmp_path / "k"), subject_map=subjects)
    nifti1(tmp_path / "src" / "PAT-999" / "other.nii")
    files = run(tmp_path / "src", tmp_path / "out", cfg)
    out = files["PAT-001/Doe_Jane_20200315.nii"]["output"]
    assert out.startswith("TRIAL-0042/") and "Doe" not in out and "2020" not in out
    assert files["PAT-999/other.nii"]["status"] == "failed"
    assert "subject map" in files["PAT-999/other.nii"]["reason"]


def test_mixed_tree_dicom_path_unchanged(tmp_path: Path, cfg) -> None:
    testing.save(testing.ct(), tmp_path / "src" / "ct.dcm")
    nifti1(tmp_path / "src" / "scan.nii")
    (tmp_path / "src" / "notes.txt").write_text("hello")
    files = run(tmp_path / "src", tmp_path / "out", cfg)
    assert files["ct.dcm"]["status"] == "processed" and files["ct.dcm"]["output"].endswith(".dcm")
    assert files["scan.nii"]["format"] == "nifti1"
    assert files["notes.txt"]["status"] == "skipped"


def _bad_inputs(root: Path) -> dict[str, str]:
    root.mkdir(parents=True)
    good = samples.path("nifti/anatomical.nii").read_bytes()
    (root / "good.nii").write_bytes(good)
    whole = gzip.compress(good)
    (root / "truncated.nii.gz").write_bytes(whole[: len(whole) // 2])
    (root / "short_voxels.nii").write_bytes(good[:-100])
    wrong = bytearray(good)
    wrong[344:348] = b"xyz\x00"
    (root / "wrong_magic.nii").write_bytes(bytes(wrong))
    (root / "garbage.nii").write_bytes(b"\x00\x01" * 300)
    low = bytearray(good)
    low[108:112] = struct.pack(">f", 100.0)
    (root / "vox_inside_header.nii").write_bytes(bytes(low))
    high = bytearray(good)
    high[108:112] = struct.pack(">f", 1e6)
    (root / "vox_beyond_end.nii").write_bytes(bytes(high))
    ext = bytearray(good[:348]) + b"\x01\x00\x00\x00" + struct.pack(">ii", 64, 6) + good[360:]
    (root / "bad_extension.nii").write_bytes(bytes(ext))
    (root / "pair.hdr").write_bytes(samples.path("analyze/anatomical.hdr").read_bytes())
    (root / "pair.img").write_bytes(samples.path("analyze/anatomical.img").read_bytes()[:1000])
    (root / "orphan.img").write_bytes(b"\x00" * 64)
    mgz = gzip.decompress(samples.path("nifti/test.mgz").read_bytes())
    (root / "short.mgh").write_bytes(mgz[:300])
    return {
        "good.nii": "",
        "truncated.nii.gz": "truncated gzip stream",
        "short_voxels.nii": "voxel data truncated",
        "wrong_magic.nii": "wrong magic",
        "garbage.nii": "wrong magic",
        "vox_inside_header.nii": "inconsistent vox_offset",
        "vox_beyond_end.nii": "inconsistent vox_offset",
        "bad_extension.nii": "inconsistent extensions",
        "pair.hdr": "mismatched .hdr/.img",
        "pair.img": "mismatched .hdr/.img",
        "orphan.img": "without its header",
        "short.mgh": "voxel data truncated",
    }


def test_bad_inputs_fail_with_one_line_and_nothing_written(tmp_path: Path, cfg) -> None:
    expected = _bad_inputs(tmp_path / "bad")
    files = run(tmp_path / "bad", tmp_path / "out", cfg)
    assert set(files) == set(expected)
    for name, reason in expected.items():
        entry = files[name]
        if not reason:
            assert entry["status"] == "processed"
            continue
        assert entry["status"] == "failed", (name, entry)
        assert reason in entry["reason"] and "\n" not in entry["reason"], (name, entry)
        assert "output" not in entry
    written = [p for p in (tmp_path / "out").rglob("*") if p.is_file() and p.name != journal.NAME]
    assert len(written) == 1


def test_dicom_engine_error_type_is_shared() -> None:
    from imgshare.dicom.engine import DeidError

    with pytest.raises(DeidError, match="truncated"):
        header.parse_single(b"\x5c\x01\x00\x00" + b"\x00" * 100, "nifti1")
