"""The readers behind the knowledge pages, checked against dcmdump, pydicom's own registry and
the batch run's record of which output came from which source."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import bibtexparser
import pandas as pd
import pydicom
import pytest
from conftest import ROOT
from pydicom.uid import UID

from imgshare import batch, samples
from imgshare.book import comparison, knowledge
from imgshare.dicom import keys

DCMDUMP = shutil.which("dcmdump")
needs_dcmdump = pytest.mark.skipif(DCMDUMP is None, reason="dcmdump (dcmtk) is not installed")
CATALOGUE = ROOT / "book" / "knowledge" / "data" / "transfer_syntaxes.csv"
LINE = re.compile(r"^\(([0-9a-f]{4}),([0-9a-f]{4})\) \w\w \[([^\]]*)\]")


def _dump(path: Path) -> dict[tuple[int, int], str]:
    """Top-level elements as dcmdump prints them (an independent reader of the file)."""
    out = subprocess.run([DCMDUMP, str(path)], capture_output=True, text=True, check=True).stdout
    found = {}
    for line in out.splitlines():
        match = LINE.match(line)  # nested items are indented, so only top level matches
        if match:
            found[(int(match[1], 16), int(match[2], 16))] = match[3]
    return found


@needs_dcmdump
@pytest.mark.parametrize("name", ["CT_small.dcm", "emri_small.dcm", "examples_palette.dcm"])
def test_uid_leaks_are_the_header_dates_dcmdump_finds_in_the_uid(name: str) -> None:
    path = samples.path(f"dicom/{name}")
    dump = _dump(path)
    study_uid, study_date = dump[(0x0020, 0x000D)], dump[(0x0008, 0x0020)]
    found = {
        leak.value
        for leak in knowledge.uid_leaks(pydicom.dcmread(path))
        if leak.uid_keyword == "StudyInstanceUID" and "StudyDate" in leak.value_keyword
    }
    assert found == ({study_date} if study_date in study_uid else set())


@needs_dcmdump
def test_the_ct_sample_study_uid_carries_its_study_date_and_time() -> None:
    dump = _dump(samples.path("dicom/CT_small.dcm"))
    leaks = knowledge.uid_leaks(pydicom.dcmread(samples.path("dicom/CT_small.dcm")))
    values = {(leak.uid_keyword, leak.value) for leak in leaks}
    assert ("StudyInstanceUID", dump[(0x0008, 0x0020)]) in values
    assert ("StudyInstanceUID", dump[(0x0008, 0x0030)][:6]) in values


def test_released_uids_carry_no_header_date(tmp_path: Path) -> None:
    key = keys.create_key(tmp_path / "k.key")
    batch.deidentify_tree(samples.samples_dir() / "dicom" / "series-ct", tmp_path / "out", [], key)
    for released in (tmp_path / "out").rglob("*.dcm"):
        ds = pydicom.dcmread(released)
        assert str(ds.StudyInstanceUID).startswith("2.25.")
        assert knowledge.uid_leaks(ds) == []


def test_dates_in_uid() -> None:
    assert knowledge.dates_in_uid("1.3.6.1.4.1.5962.1.2.1.20040119072730.12322") == ["20040119"]
    assert knowledge.dates_in_uid("1.2.3.20041399000000") == []  # no 13th month
    assert knowledge.dates_in_uid("1.2.3.12345678") == []  # year 1234


@needs_dcmdump
def test_private_blocks_match_dcmdump() -> None:
    path = samples.path("dicom/CT_small.dcm")
    dump = _dump(path)
    creators = {
        (g, e & 0xFF): v.strip() for (g, e), v in dump.items() if g % 2 and 0x10 <= e <= 0xFF
    }
    counts: dict[tuple[int, int], int] = {}
    for g, e in dump:
        if g % 2 and e >= 0x1000:
            counts[(g, e >> 8)] = counts.get((g, e >> 8), 0) + 1
    blocks = knowledge.private_blocks(pydicom.dcmread(path))
    assert {(b.group, b.block): b.creator for b in blocks} == creators
    # dcmdump hides long values as (no value) or [..]; count only elements it printed
    for b in blocks:
        assert b.elements >= counts.get((b.group, b.block), 0)
    assert any(b.creator == "GEMS_PATI_01" for b in blocks)


def test_catalogue_names_are_the_registry_names() -> None:
    table = comparison.load(CATALOGUE)
    for uid, name in zip(table["uid"], table["name in the standard"], strict=True):
        registry = UID(uid).name  # pydicom's copy of the PS3.6 registry
        assert registry.startswith(name.split(" (")[0].split(",")[0]), (uid, name, registry)
    assert set(table["loss"]) <= {"none", "lossless", "lossy", "lossy (bounded)", "either"}


def test_every_sample_transfer_syntax_is_in_the_catalogue() -> None:
    table = comparison.load(CATALOGUE)
    paths = [s.path for s in samples.manifest() if s.format == "DICOM"]
    rows = knowledge.transfer_syntax_table(paths, table)
    assert rows and all(r["loss (standard)"] != "not in the catalogue" for r in rows)
    by_file = {r["file"]: r for r in rows}
    assert by_file["rtstruct.dcm"]["loss (standard)"] == "unknown"  # no meta header
    assert by_file["ctbrain1.dcm"]["loss (standard)"] == "lossy"
    # decompressed, yet it keeps the record of its lossy past (PS3.3 C.7.6.1.1.5)
    assert by_file["JPEG2000_UNC.dcm"]["transfer syntax"] == "Explicit VR Little Endian"
    assert by_file["JPEG2000_UNC.dcm"]["Lossy Image Compression (file)"] == "01"


def test_relinking_by_pixels_recovers_the_source(tmp_path: Path) -> None:
    key = keys.create_key(tmp_path / "k.key")
    src = samples.samples_dir() / "dicom" / "series-ct"
    report = batch.deidentify_tree(src, tmp_path / "out", ["retain-long-modified-dates"], key)
    truth = {Path(f["output"]).name: Path(f["source"]).name for f in report.files}
    released = sorted((tmp_path / "out").rglob("*.dcm"))
    originals = sorted(src.glob("*.dcm"))
    exact = knowledge.relink(released, originals)
    assert {r["released"]: r["matched"] for r in exact} == truth
    assert {r["how"] for r in exact} == {"exact"}

    changed = [knowledge.perturbed_copy(p, tmp_path / "p" / p.name, i) for i, p in
               enumerate(released)]  # fmt: skip
    assert all(knowledge.pixel_sha256(a) != knowledge.pixel_sha256(b)
               for a, b in zip(changed, released, strict=True))  # fmt: skip
    near = knowledge.relink(changed, originals)
    assert {r["released"]: r["matched"] for r in near} == truth
    assert all(r["how"].startswith("nearest") for r in near)


def test_only_whole_values_count_as_leaks() -> None:
    ds = pydicom.Dataset()
    ds.StudyDate, ds.StudyTime = "20040119", "072730.123"
    ds.StudyInstanceUID = "1.2.3.2004.119.7273"  # parts of the values, never a whole one
    assert knowledge.uid_leaks(ds) == []
    ds.StudyInstanceUID = "1.2.3.20040119072730"
    assert {leak.value for leak in knowledge.uid_leaks(ds)} == {"20040119", "072730"}


TABLES_WITH_SOURCES = [
    p for p in sorted(ROOT.glob("book/*/data/*.csv")) if "sources" in p.open().readline()
]


@pytest.mark.parametrize(
    "path", TABLES_WITH_SOURCES, ids=lambda p: f"{p.parent.parent.name}/{p.name}"
)
def test_table_sources_are_in_the_bibliography(path: Path) -> None:
    """A key in a table's sources column that the bibliography lacks renders as a broken
    citation only when the page runs; catch it here."""
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    library = bibtexparser.parse_string((ROOT / "references.bib").read_text())
    known = {entry.key for entry in library.entries}
    cited = {k.strip() for cell in table["sources"] for k in cell.split(";") if k.strip()}
    assert cited and cited <= known, sorted(cited - known)


@pytest.mark.parametrize("name", ["transfer_syntaxes.csv", "repository_requirements.csv"])
def test_knowledge_tables_are_complete(name: str) -> None:
    comparison.load(ROOT / "book" / "knowledge" / "data" / name)
