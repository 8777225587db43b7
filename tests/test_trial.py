"""The worked request: synthetic trial, clinical de-identification, image release, checks."""

from __future__ import annotations

from pathlib import Path

import pydicom
import pytest
import yaml

from imgshare import release_report, trial
from imgshare.batch import deidentify_tree
from imgshare.book import usecases
from imgshare.dicom import keys
from imgshare.verify import verify

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    root = tmp_path_factory.mktemp("trial")
    t = trial.make_trial(root, n_subjects=3)
    t.subject_map.to_csv(root / "subject_map.csv", index=False)
    keys.create_key(root / "key.bin")
    key = keys.load_key(root / "key.bin")
    recipe = root / "recipe.yaml"
    recipe.write_text(
        yaml.safe_dump({"options": ["retain-long-modified-dates", "clean-descriptors"]})
    )
    rep = deidentify_tree(
        t.images, root / "release" / "images", key_file=root / "key.bin",
        subjects=root / "subject_map.csv", recipe=recipe,
    )  # fmt: skip
    clinical = trial.deidentify_clinical(t.clinical, t.subject_map, key)
    return t, clinical, root, key, rep, recipe


def test_trial_images_match_visit_dates(released) -> None:
    t, *_ = released
    tr = t.clinical.tr
    assert len(t.clinical.dm) == 3 and set(tr.VISIT) == {v for v, _, _ in trial.VISITS}
    for row in tr.itertuples():
        path = next(t.images.rglob("*.dcm"))
        hits = [
            p for p in t.images.glob(f"{row.USUBJID}/*/*.dcm")
            if pydicom.dcmread(p, stop_before_pixels=True).SOPInstanceUID == row.IMGSOPUID
        ]  # fmt: skip
        assert len(hits) == 1 and path.exists()
        assert pydicom.dcmread(hits[0]).StudyDate == row.TRDTC.replace("-", "")


def test_clinical_release_uses_map_and_key(released) -> None:
    t, clinical, root, key, _, _ = released
    first = t.subject_map.iloc[0]
    assert first.subject_id in set(clinical.dm.USUBJID)
    assert not set(t.subject_map.original_id) & set(clinical.tr.USUBJID)
    assert "SUBJID" not in clinical.dm
    released = {
        str(pydicom.dcmread(p, stop_before_pixels=True).SOPInstanceUID)
        for p in (root / "release" / "images").rglob("*.dcm")
    }  # the UIDs of the released images, read back from the files
    assert set(clinical.tr.IMGSOPUID) <= released
    assert not set(clinical.tr.IMGSOPUID) & set(t.clinical.tr.IMGSOPUID)


def test_consistency_holds_after_release(released) -> None:
    t, clinical, root, *_ = released
    table = trial.check_consistency(clinical, root / "release" / "images", original=t.clinical)
    assert len(table) == len(t.clinical.tr) and table.ok.all()
    assert table.study_day_kept.all()


def test_consistency_catches_a_wrong_date_and_a_missing_image(released) -> None:
    _, clinical, root, *_ = released
    broken = trial.Clinical(clinical.dm, clinical.tu, clinical.tr.copy(), clinical.rs)
    broken.tr.loc[0, "TRDTC"] = "1999-01-01"
    broken.tr.loc[1, "IMGSOPUID"] = "2.25.1"
    table = trial.check_consistency(broken, root / "release" / "images")
    assert not table.date_matches[0] and not table.image_found[1]
    assert table.ok.sum() == len(table) - 2


def test_verification_finds_nothing(released) -> None:
    t, _, root, *_ = released
    result = verify(root / "release", against=t.images)
    assert result.passed, result.text()


def test_report_renders_without_identifiers(released) -> None:
    t, clinical, root, _, rep, recipe = released
    result = verify(root / "release", against=t.images)
    text = release_report.render(rep.to_json(), result.to_json(), recipe, {"passed": 1, "total": 1})
    assert "Clean Descriptors Option" in text and "nothing identifying found" in text
    for value in list(t.subject_map.original_id) + list(t.clinical.dm.RFSTDTC):
        assert value not in text


def test_use_case_scores_and_options() -> None:
    table = usecases.load(ROOT / "book" / "use-cases" / "data" / "use_cases.csv")
    assert table.impact.between(1, 5).all() and table.complexity.between(1, 5).all()
    assert list(table.priority) == sorted(table.priority, reverse=True)
    assert usecases.options_for({"clinical_dates": True, "structured": True}) == [
        "retain-long-modified-dates", "clean-structured-content", "clean-graphics",
    ]  # fmt: skip
    with pytest.raises(KeyError):
        usecases.options_for({"nonsense": True})
