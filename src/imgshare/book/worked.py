"""The worked request run end to end with the SDTM preset, for the anonymisation-report page.

Why a helper: the page shows the report, not the steps (the worked-request chapter shows
those); running the same steps here keeps the page short and the report generated.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from imgshare import trial
from imgshare.batch import Report, deidentify_tree
from imgshare.dicom import keys
from imgshare.verify import verify

RECIPE = {
    "description": "Request 2026-017: CT of trial ONC-001 for RECIST research, aligned "
    "with the 2024 clinical release (SDTM)",
    "options": [
        "retain-long-modified-dates",
        "retain-patient-characteristics",
        "clean-descriptors",
        "retain-safe-private",
    ],
    "preset": {"name": "sdtm", "sponsor": "Example Pharma", "protocol_id": trial.STUDYID},
}


@dataclass
class Release:
    trial: trial.Trial
    released: trial.Clinical
    recipe: Path
    report: Report
    verification: Any
    consistency: Any
    images: Path


def release_with_preset(work: str | Path, n_subjects: int = 4) -> Release:
    """Make the synthetic trial, release its CT with the SDTM preset, verify and check it."""
    work = Path(work)
    t = trial.make_trial(work / "sponsor", n_subjects=n_subjects)
    subject_map = work / "sponsor" / "subject_map.csv"
    t.subject_map.to_csv(subject_map, index=False)
    key_file = keys.create_key(work / "sponsor" / "key.bin")
    released = trial.deidentify_clinical(t.clinical, t.subject_map, keys.load_key(key_file))
    recipe = work / "sponsor" / "recipe.yaml"
    recipe.write_text(yaml.safe_dump(RECIPE, sort_keys=False))
    images = work / "release" / "images"
    report = deidentify_tree(
        t.images, images, key_file=key_file, subjects=subject_map, recipe=recipe
    )
    journal = images / ".imgshare-journal.jsonl"
    if journal.exists():
        journal.replace(work / "sponsor" / journal.name)
    trial.write_clinical(released, work / "release" / "clinical")
    result = verify(work / "release", against=t.images)
    consistency = trial.check_consistency(released, images, original=t.clinical)
    return Release(t, released, recipe, report, result, consistency, images)
