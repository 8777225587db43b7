"""Pixels: burned-in text (OCR, masks, write-back), Clean Graphics, and defacing."""

from __future__ import annotations

import copy
import warnings

import numpy as np
import pydicom
import pytest
from pydicom import Dataset

from imgshare import samples
from imgshare.dicom import engine, io
from imgshare.dicom.config import Config
from imgshare.dicom.engine import DeidError, identifying_values
from imgshare.dicom.text import Cleaner
from imgshare.pixels import clean, frames, ocr, regions, settings, synth, triage
from imgshare.testing import ct

KEY = b"p" * 32
needs_ocr = pytest.mark.skipif(not ocr.available(), reason="Tesseract is not installed")
BURNED_IN = ["dicom/us_greyscale_burned_in.dcm", "dicom/us_rgb_burned_in.dcm"]


def read(name: str) -> Dataset:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pydicom.dcmread(samples.path(name))


def readable_identifiers(ds: Dataset, cleaner: Cleaner) -> list[str]:
    """Identifying words the OCR engine can read in any frame of ``ds``."""
    px = frames.decode(ds)
    out = []
    for frame in px.frames:
        words = ocr.classify(ocr.read_words(frames.for_ocr(frame, ds)), cleaner)
        out += [w.text for w in words if w.identifying]
    return out


def test_triage_follows_the_risk_rules() -> None:
    us = read("dicom/us_rgb_burned_in.dcm")
    assert triage.triage(us).may_have_text  # ultrasound, flag absent
    ctds = read("dicom/CT_small.dcm")
    assert not triage.triage(ctds).may_have_text
    ctds.BurnedInAnnotation = "NO"
    assert not triage.triage(ctds).may_have_text
    assert triage.triage(ctds, ocr_all=True).may_have_text
    ctds.BurnedInAnnotation = "YES"
    assert triage.triage(ctds).may_have_text


@needs_ocr
@pytest.mark.parametrize("name", BURNED_IN)
def test_no_identifying_text_readable_after_the_engine(name: str, tmp_path) -> None:
    source = read(name)
    cleaner = Cleaner(identifying_values(source))
    assert readable_identifiers(source, cleaner), "the sample should show identifiers"
    out = copy.deepcopy(source)
    ctx = engine.apply(out, Config(key=KEY, options=("clean-pixel-data",)))
    assert any("clean pixel data" in n for n in ctx.notes)
    assert readable_identifiers(out, cleaner) == []
    written = pydicom.dcmread(io.write_temp(out, tmp_path))
    assert written.BurnedInAnnotation == "NO"
    assert written.file_meta.TransferSyntaxUID == pydicom.uid.ExplicitVRLittleEndian
    assert written.pixel_array.shape == source.pixel_array.shape


@needs_ocr
def test_detection_rate_on_synthetic_text() -> None:
    """Text in several fonts, sizes, contrasts and colours at known places."""
    results = []
    for seed in range(8):
        rgb = seed % 2 == 1
        img, planted = synth.draw(rgb=rgb, seed=seed, n=10)
        ds = synth.dataset([img])
        cleaner = Cleaner(identifying_values(ds))
        clean.clean_pixels(ds, cleaner, settings.Settings())
        after = ds.pixel_array
        results += [synth.covered(p, img, after) >= 0.95 for p in planted]
        assert readable_identifiers(ds, cleaner) == []
    rate = sum(results) / len(results)
    print(f"detection rate: {sum(results)}/{len(results)} = {rate:.1%}")
    assert rate >= 0.85


@needs_ocr
def test_every_frame_of_a_multiframe_image_is_read() -> None:
    imgs = [synth.draw(rgb=True, seed=s, n=4)[0] for s in (11, 12, 11)]
    ds = synth.dataset(imgs)
    cleaner = Cleaner(identifying_values(ds))
    report = clean.clean_pixels(ds, cleaner, settings.Settings())
    assert report.frames == 3 and report.frames_read == 2  # the repeated frame read once
    assert ds.NumberOfFrames == 3
    assert readable_identifiers(ds, cleaner) == []


@needs_ocr
def test_compressed_ycbcr_input_is_stored_as_rgb() -> None:
    ds = read("dicom/ctbrain1.dcm")
    report = clean.clean_pixels(ds)
    assert report.cleaned
    assert ds.PhotometricInterpretation == "RGB" and ds.PlanarConfiguration == 0
    assert ds.file_meta.TransferSyntaxUID == pydicom.uid.ExplicitVRLittleEndian
    assert ds.LossyImageCompression == "01"
    assert any("lossy" in n for n in report.notes)


def test_policies_refuse_and_known_regions() -> None:
    ds = read("dicom/us_greyscale_burned_in.dcm")
    with pytest.raises(DeidError, match="refuse"):
        clean.clean_pixels(ds, settings=settings.Settings(burned_in="refuse"))
    report = clean.clean_pixels(ds, settings=settings.Settings(burned_in="known-regions"))
    assert report.known_regions == 1 and report.words == 0
    assert ds.pixel_array[:28].max() == 0  # the banner is black
    other = read("dicom/examples_palette.dcm")
    with pytest.raises(DeidError, match="no known region"):
        clean.clean_pixels(other, settings=settings.Settings(burned_in="known-regions"))


def test_ultrasound_regions_keep_the_clinical_picture() -> None:
    ds = read("dicom/us_rgb_burned_in.dcm")
    before = ds.pixel_array.copy()
    s = settings.Settings(burned_in="known-regions", us_regions=True)
    clean.clean_pixels(ds, settings=s)
    (x, y, w, h), after = regions.ultrasound_regions(ds)[0], ds.pixel_array
    assert after[:y].max() == 0 and after[:, x + w :].max() == 0
    inner = (slice(y + 1, y + h - 1), slice(x + 1, x + w - 1))
    assert np.array_equal(after[inner], before[inner])


def test_no_ocr_where_the_rules_say_no_text() -> None:
    ds = read("dicom/CT_small.dcm")
    before = ds.PixelData
    report = clean.clean_pixels(ds)
    assert not report.cleaned and ds.PixelData == before and "BurnedInAnnotation" not in ds


@needs_ocr
def test_clean_graphics_cleans_overlays_and_clears_high_bits() -> None:
    ds = ct()
    ds.Rows = ds.Columns = 64
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    pixels = np.full((64, 64), 100, dtype="<u2") | np.uint16(1 << 14)  # overlay in bit 14
    ds.PixelData = pixels.tobytes()
    ds.file_meta = pydicom.dataset.FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = pydicom.uid.ExplicitVRLittleEndian
    from PIL import Image, ImageDraw

    canvas = Image.new("L", (256, 128))
    ImageDraw.Draw(canvas).text(
        (10, 40), "DOE JANE 29/08/1951", font=synth.font("DejaVuSans.ttf", 20), fill=255
    )
    bitmap = np.asarray(canvas) > 128
    ds.add_new(0x60000010, "US", 128)
    ds.add_new(0x60000011, "US", 256)
    ds.add_new(0x60000100, "US", 1)
    ds.add_new(0x60000102, "US", 0)
    ds.add_new(0x60003000, "OW", np.packbits(bitmap.ravel(), bitorder="little").tobytes())
    ds.add_new(0x60004000, "LT", "Doe")
    ds.add_new(0x50000005, "US", 1)
    ds.IconImageSequence = pydicom.Sequence([Dataset()])
    ctx = engine.apply(ds, Config(key=KEY, options=("clean-graphics",)))
    assert 0x60003000 in ds and 0x50000005 not in ds and "IconImageSequence" not in ds
    assert "Doe" not in str(ds.get(0x60004000).value if 0x60004000 in ds else "")
    from imgshare.pixels import graphics

    assert graphics.overlay_bitmap(ds, 0x6000).sum() < bitmap.sum() * 0.2
    assert (np.frombuffer(ds.PixelData, "<u2") >> 12).max() == 0
    assert any("overlay 6000" in n for n in ctx.notes)


def test_recognizable_features_are_refused_until_defaced() -> None:
    ds = ct()
    ds.Modality, ds.BodyPartExamined = "MR", "HEAD"
    with pytest.raises(DeidError, match="deface"):
        engine.apply(
            copy.deepcopy(ds), Config(key=KEY, options=("clean-recognizable-visual-features",))
        )
    ds.RecognizableVisualFeatures = "NO"
    engine.apply(ds, Config(key=KEY, options=("clean-recognizable-visual-features",)))


@pytest.fixture(scope="module")
def defaced():
    sitk = pytest.importorskip("SimpleITK")
    from imgshare.pixels import deface

    tmpl, keep = deface.template()
    moved, transform = deface.moved_copy(tmpl)
    result = deface.deface(moved)
    face = deface.to_subject(sitk.Cast(keep == 0, sitk.sitkUInt8), moved, transform)
    brain = deface.to_subject(deface.brain_mask(tmpl), moved, transform)
    return moved, result, face, brain


def test_defaced_face_is_blank_and_brain_untouched(defaced) -> None:
    import SimpleITK as sitk

    from imgshare.pixels import deface

    moved, result, face, brain = defaced
    before, after = sitk.GetArrayFromImage(moved), sitk.GetArrayFromImage(result.image)
    f, b = sitk.GetArrayFromImage(face) > 0, sitk.GetArrayFromImage(brain) > 0
    head = before > deface.head_threshold(before)
    assert b.sum() > 100_000 and (f & head).sum() > 10_000
    assert (after[f & head] == 0).mean() > 0.95  # the true face region is blank
    assert np.array_equal(after[b], before[b])  # the brain is untouched
    left = deface.survival(moved, result.image, face, brain)
    assert left["face surface left"] < 0.1 and left["brain left"] == 1.0


def test_brain_region_does_not_reach_the_face() -> None:
    import SimpleITK as sitk

    from imgshare.pixels import deface

    tmpl, keep = deface.template()
    brain = sitk.GetArrayFromImage(deface.brain_mask(tmpl)) > 0
    assert not (brain & (sitk.GetArrayFromImage(keep) == 0)).any()


def test_dicom_series_is_defaced_and_passes_the_check(tmp_path) -> None:
    pytest.importorskip("SimpleITK")
    from imgshare.pixels import deface, series

    tmpl, _ = deface.template()
    series.write_series(tmpl, tmp_path / "in", spacing=3.0)
    result = series.deface_series(tmp_path / "in", tmp_path / "out")
    assert result.seconds > 0
    outs = sorted((tmp_path / "out").glob("*.dcm"))
    assert len(outs) == len(list((tmp_path / "in").glob("*.dcm")))
    ds = pydicom.dcmread(outs[len(outs) // 3])
    assert ds.RecognizableVisualFeatures == "NO"
    engine.apply(ds, Config(key=KEY, options=("clean-recognizable-visual-features",)))
