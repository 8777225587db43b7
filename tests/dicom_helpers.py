"""Helpers for the engine's tests: the synthetic builders, and finding an element by path."""

from __future__ import annotations

import os
import re
import signal

from pydicom import Dataset

from imgshare.testing import ct, save  # noqa: F401 (re-exported for the tests)

PATH_PART = re.compile(r"\(([0-9A-F]{4}),([0-9A-F]{4})\)(?:\[(\d+)\])?")


def find(ds: Dataset, path: str):
    """The element at a decision path such as '(0008,1140)[0].(0008,1155)', or None."""
    current = ds
    parts = PATH_PART.findall(path)
    for i, (group, element, index) in enumerate(parts):
        tag = int(group + element, 16)
        if tag not in current:
            return None
        elem = current[tag]
        if i == len(parts) - 1:
            return elem
        if index == "" or elem.VR != "SQ" or int(index) >= len(elem.value):
            return None
        current = elem.value[int(index)]
    return None


def content_item(value_type: str, **values) -> Dataset:
    """A structured-content item of VALUE_TYPE holding VALUES (keyword=value)."""
    item = Dataset()
    item.ValueType = value_type
    for keyword, value in values.items():
        setattr(item, keyword, value)
    return item


def crash_on_poison(jobs: list[tuple[str, str]]) -> list[dict]:
    """A worker's chunk function that dies as the out-of-memory killer kills (SIGKILL) on a
    file named 'poison…', and otherwise does the batch's work."""
    from imgshare import batch

    for _, rel in jobs:
        if "poison" in rel:
            os.kill(os.getpid(), signal.SIGKILL)
    return batch.process_chunk(jobs)
