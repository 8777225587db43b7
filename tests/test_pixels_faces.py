"""Faces from the command line, judged by a face detector the defacer does not use.

The head is made by a generator (pydeface's full-head sample rotated, shifted, scaled and
resampled); the face region and the head beyond 15 mm of it come from the generator's
record (the sample's face mask carried with the same known transform), not from the
defacer's registration. The detector is OpenCV's Haar cascades on surface renders from five
angles (imgshare.pixels.facecheck), which no defacing module imports.
"""

from __future__ import annotations

import ast
import json
import time
import warnings
from pathlib import Path

import numpy as np
import pydicom
import pytest

from imgshare import cli
from imgshare.dicom import keys
from imgshare.pixels import facecheck, movedhead

sitk = pytest.importorskip("SimpleITK")
OPTION = "clean-recognizable-visual-features"


@pytest.fixture(scope="module")
def moved() -> movedhead.Moved:
    return movedhead.make()


@pytest.fixture(scope="module")
def key(tmp_path_factory) -> Path:
    return keys.create_key(tmp_path_factory.mktemp("key") / "k")


def run(src: Path, dst: Path, key: Path, *extra: str) -> tuple[int, dict]:
    report = dst.with_suffix(".json")
    code = cli.main(["deidentify", str(src), str(dst), "--key-file", str(key), "--no-progress",
                     "--report", str(report), *extra])  # fmt: skip
    return code, json.loads(report.read_text())


def test_defacing_code_does_not_use_the_detector() -> None:
    """The judge must be independent: no defacing module imports the detector or OpenCV."""
    root = Path(facecheck.__file__).parent
    for name in ("deface.py", "series.py", "series_batch.py", "faces.py"):
        tree = ast.parse((root / name).read_text())
        imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        imported |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        names = {a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) for a in n.names}
        assert "cv2" not in imported and "facecheck" not in names | imported, name


def test_the_detector_finds_the_moved_face(moved) -> None:
    views = facecheck.check(moved.image, moved.threshold)
    assert facecheck.faces_found(views) >= 3, [len(v.faces) for v in views]


def test_generator_regions_are_sound(moved) -> None:
    tissue = moved.face & moved.head
    far = movedhead.beyond(moved)
    assert tissue.sum() > 20_000 and far.sum() > 10 * tissue.sum()
    assert not (far & moved.face).any()


def test_nifti_head_is_held_back_released_by_the_flag_or_defaced(moved, key, tmp_path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    sitk.WriteImage(sitk.Cast(moved.image, sitk.sitkInt16), str(src / "head.nii.gz"))
    before = sitk.GetArrayFromImage(sitk.ReadImage(str(src / "head.nii.gz")))

    code, rep = run(src, tmp_path / "plain", key)
    (entry,) = rep["files"]
    assert code == 1 and entry["status"] == "failed" and OPTION in entry["reason"]

    code, rep = run(src, tmp_path / "flag", key, "--release-unreviewed-pixels")
    (entry,) = rep["files"]
    assert code == 0 and entry["status"] == "processed"
    assert any("RELEASED UNREVIEWED" in n for n in entry["notes"])
    assert rep["settings"]["release_unreviewed_pixels"] is True
    released = sitk.ReadImage(str(tmp_path / "flag" / entry["output"]))
    assert np.array_equal(sitk.GetArrayFromImage(released), before)  # untreated, as flagged

    start = time.perf_counter()
    code, rep = run(src, tmp_path / "opt", key, "--option", OPTION)
    seconds = time.perf_counter() - start
    (entry,) = rep["files"]
    assert code == 0 and entry["status"] == "processed", entry
    out = sitk.ReadImage(str(tmp_path / "opt" / entry["output"]))
    after = sitk.GetArrayFromImage(out)
    assert after.shape == before.shape and out.GetSpacing() == pytest.approx(
        moved.image.GetSpacing()
    )
    tissue, far = moved.face & moved.head, movedhead.beyond(moved)
    changed = float((after[tissue] != before[tissue]).mean())
    kept = float((after[far] == before[far]).mean())
    views = facecheck.check(out, moved.threshold)
    print(f"NIfTI: face tissue changed {changed:.1%}, head beyond 15 mm kept {kept:.2%}, "
          f"faces found in {facecheck.faces_found(views)} of {len(views)} renders, "
          f"{seconds:.1f} s for the run")  # fmt: skip
    assert changed >= 0.95 and kept >= 0.99
    assert facecheck.faces_found(views) == 0, [(v.yaw, v.pitch, v.faces) for v in views]


def _volume(paths: list[Path]) -> tuple[np.ndarray, list[pydicom.Dataset]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        slices = [pydicom.dcmread(p) for p in paths]
    slices.sort(key=lambda d: float(d.ImagePositionPatient[2]))
    return np.stack([d.pixel_array for d in slices]), slices


def test_dicom_head_series_is_defaced_once_from_the_command_line(moved, key, tmp_path) -> None:
    from imgshare.pixels import series

    spacing = 2.0
    inputs = series.write_series(moved.image, tmp_path / "in" / "head", spacing=spacing)
    before, slices = _volume(inputs)
    # The generator's face region on the series' grid (axis-aligned, from the first slice).
    grid = sitk.Image([int(slices[0].Columns), int(slices[0].Rows), len(slices)], sitk.sitkUInt8)
    grid.SetSpacing((spacing, spacing, spacing))
    grid.SetOrigin(tuple(float(v) for v in slices[0].ImagePositionPatient))
    face_img = sitk.GetImageFromArray(moved.face.astype(np.uint8))
    face_img.CopyInformation(moved.image)
    face = sitk.GetArrayFromImage(sitk.Resample(face_img, grid, sitk.Transform(),
                                                sitk.sitkNearestNeighbor, 0)) > 0  # fmt: skip
    head = before > movedhead.head_threshold(before)
    from scipy.ndimage import distance_transform_edt

    far = head & (distance_transform_edt(~face, sampling=(spacing,) * 3) > 15)

    code, rep = run(tmp_path / "in", tmp_path / "plain", key)
    assert code == 1 and rep["counts"]["failed"] == len(inputs)
    assert all(OPTION in f["reason"] for f in rep["files"])

    start = time.perf_counter()
    code, rep = run(tmp_path / "in", tmp_path / "out", key, "--option", OPTION)
    seconds = time.perf_counter() - start
    assert code == 0 and rep["counts"]["processed"] == len(inputs), rep["files"][:2]
    assert rep["settings"]["faces"]["series defaced"] == 1
    outputs = sorted((tmp_path / "out").rglob("*.dcm"))
    after, released = _volume(outputs)
    assert all(d.RecognizableVisualFeatures == "NO" for d in released)
    tissue = face & head
    changed = float((after[tissue] != before[tissue]).mean())
    kept = float((after[far] == before[far]).mean())
    volume = sitk.GetImageFromArray(after.astype(np.float32))
    volume.CopyInformation(grid)
    views = facecheck.check(volume, movedhead.head_threshold(before))
    before_img = sitk.GetImageFromArray(before.astype(np.float32))
    before_img.CopyInformation(grid)
    seen_before = facecheck.faces_found(
        facecheck.check(before_img, movedhead.head_threshold(before))
    )
    seen_after = facecheck.faces_found(views)
    print(f"DICOM series ({len(inputs)} slices): face tissue changed {changed:.1%}, beyond "
          f"15 mm kept {kept:.2%}, faces found before {seen_before}, after {seen_after} of "
          f"{len(views)}; {seconds:.1f} s for the run")  # fmt: skip
    assert seen_before >= 3
    assert changed >= 0.95 and kept >= 0.99
    assert facecheck.faces_found(views) == 0
    assert not (tmp_path / "out" / ".imgshare-defaced").exists()  # the work folder went


def test_registration_is_the_same_on_every_run() -> None:
    """Multi-threaded ITK registration varied from run to run; a release must not."""
    from imgshare.pixels import deface, movedhead

    head = movedhead.make()
    first, second = (
        deface.register(deface._coarse(head.image), deface._coarse_template()).GetParameters()
        for _ in range(2)
    )
    assert first == second
