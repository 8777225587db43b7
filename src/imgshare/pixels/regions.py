"""Regions to blank without reading them: known device layouts and ultrasound regions.

Why both: OCR misses text, but a device draws its banner in the same place on every image,
so a rule per device model and image size (kept as data in ``known_regions.yaml``) blanks it
whatever the OCR reads. Ultrasound images describe where the clinical picture is (the
Sequence of Ultrasound Regions); everything outside it is annotation and can go.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
import yaml
from pydicom import Dataset

Box = tuple[int, int, int, int]  # x, y, width, height


@dataclass(frozen=True)
class Rule:
    name: str
    match: dict
    regions: tuple[Box, ...]


@cache
def rules() -> tuple[Rule, ...]:
    """The rules of known_regions.yaml."""
    text = resources.files("imgshare.pixels").joinpath("known_regions.yaml").read_text()
    data = yaml.safe_load(text) or {}
    return tuple(
        Rule(r["name"], dict(r["match"]), tuple(tuple(int(v) for v in b) for b in r["regions"]))
        for r in data.get("rules", [])
    )


def _agrees(rule: Rule, ds: Dataset) -> bool:
    for key, want in rule.match.items():
        if key in ("rows", "columns"):
            if int(ds.get(key.capitalize(), -1)) != int(want):
                return False
        elif key == "modality":
            if str(ds.get("Modality", "")).strip().upper() != str(want).upper():
                return False
        else:
            attr = {"manufacturer": "Manufacturer", "model": "ManufacturerModelName"}[key]
            if str(want).lower() not in str(ds.get(attr, "") or "").lower():
                return False
    return True


def known_regions(ds: Dataset) -> list[tuple[str, Box]]:
    """The rectangles of every rule that applies to ``ds``, with the rule's name."""
    return [(r.name, box) for r in rules() if _agrees(r, ds) for box in r.regions]


def ultrasound_regions(ds: Dataset) -> list[Box]:
    """The Sequence of Ultrasound Regions as rectangles (x, y, width, height)."""
    out = []
    for item in ds.get("SequenceOfUltrasoundRegions", []) or []:
        x0, y0 = int(item.RegionLocationMinX0), int(item.RegionLocationMinY0)
        x1, y1 = int(item.RegionLocationMaxX1), int(item.RegionLocationMaxY1)
        out.append((x0, y0, x1 - x0 + 1, y1 - y0 + 1))
    return out


def outside(boxes: list[Box], shape: tuple[int, int]) -> np.ndarray:
    """A mask that is True outside every box."""
    keep = np.zeros(shape, dtype=bool)
    for x, y, w, h in boxes:
        keep[max(y, 0) : y + h, max(x, 0) : x + w] = True
    return ~keep


def mask_of(boxes: list[Box], shape: tuple[int, int], pad: int = 0) -> np.ndarray:
    """A mask that is True inside the boxes, each grown by ``pad`` pixels."""
    mask = np.zeros(shape, dtype=bool)
    for x, y, w, h in boxes:
        mask[max(y - pad, 0) : y + h + pad, max(x - pad, 0) : x + w + pad] = True
    return mask
