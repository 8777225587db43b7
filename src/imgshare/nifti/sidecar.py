"""BIDS sidecar JSON: each key classified, and the DICOM engine's options applied to it.

Why from the DICOM table: dcm2niix copies DICOM attributes into the sidecar under their
DICOM keywords, so the same options should decide the same way in both formats. A key that
carries a DICOM attribute listed in PS3.15 Table E.1-1 gets the table's action for the
chosen options (for example AcquisitionDateTime: shifted by the subject's offset under
Retain Longitudinal Temporal Information with Modified Dates, kept under Full Dates, removed
otherwise; InstitutionName kept only under Retain Institution Identity). Names, IDs, the
birth date and the accession number are removed whatever the options. Acquisition
parameters from the BIDS specification are kept. A key that is not in the list is removed
and named in the report, never guessed at. The list, with its sources, is
``sidecar_keys.yaml`` beside this module.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from functools import cache
from importlib.resources import files
from typing import Any

import yaml
from pydicom.datadict import tag_for_keyword

from imgshare import profile
from imgshare.dicom import keys
from imgshare.dicom.config import Config
from imgshare.dicom.text import Cleaner, date_variants, name_tokens, vocabulary

CLASSES = ("identifying", "quasi-identifying", "safe")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(.*)$")


@cache
def key_table() -> dict[str, Any]:
    """The classification file: ``sources``, ``keys`` and ``columns``."""
    return yaml.safe_load((files(__package__) / "sidecar_keys.yaml").read_text())


def classify(key: str) -> str:
    """identifying, quasi-identifying, safe, or 'unlisted' (removed)."""
    entry = key_table()["keys"].get(key)
    return entry["class"] if entry else "unlisted"


def action(key: str, options: tuple[str, ...]) -> str:
    """keep, remove, clean, shift, uid or path for a key under the chosen options."""
    entry = key_table()["keys"].get(key)
    if entry is None or entry.get("always") == "remove":
        return "remove"
    if entry.get("kind") == "bids-path":
        return "path"
    keyword = entry.get("dicom")
    row = profile.row_for(tag_for_keyword(keyword)) if keyword else None
    if row is None:
        return "keep" if entry["class"] == "safe" else "remove"
    act = profile.action_for(row, options)
    if act == "K":
        return "keep"
    if act == "C":
        kind = entry.get("kind")
        if kind == "time":
            return "keep"  # a time of day is kept when dates are shifted, as in DICOM
        return "shift" if kind in ("date", "datetime") else "clean"
    if act == "U":
        return "uid"
    return "remove"


def shift_iso(value: str, days: int) -> str | None:
    """Shift an ISO date or date-time (2020-03-15, 2020-03-15T10:15:30.5) by whole days."""
    match = _ISO_DATE.match(str(value).strip())
    if not match:
        return None
    year, month, day, rest = match.groups()
    if rest and not rest.startswith("T"):
        return None
    try:
        shifted = dt.date(int(year), int(month), int(day)) + dt.timedelta(days=days)
    except (ValueError, OverflowError):
        return None
    return shifted.isoformat() + rest


def identifying_values(data: dict[str, Any], extra: list[str] = ()) -> list[str]:
    """Values of the identifying keys of a sidecar, searched for in its free text."""
    values: list[str] = [v for v in extra if v]
    for key, value in data.items():
        if classify(key) != "identifying" or not isinstance(value, str) or not value:
            continue
        values.append(value)
        if key.endswith("Name"):
            values.extend(name_tokens(value))
        digits = value.replace("-", "")
        if key.endswith("Date") and len(digits) == 8:
            values.extend(date_variants(digits))
    return values


def clean(
    data: dict[str, Any],
    cfg: Config,
    offset: int | None,
    rename: Callable[[str], str] = lambda p: p,
    extra_identifiers: list[str] = (),
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The released sidecar and, by key name only, what happened to each key."""
    done: dict[str, list[str]] = {
        "keys_removed": [], "keys_unlisted": [], "keys_shifted": [], "keys_cleaned": [],
        "keys_replaced": [], "keys_kept": [],
    }  # fmt: skip
    cleaner: Cleaner | None = None
    out: dict[str, Any] = {}
    for key, value in data.items():
        act = action(key, cfg.options)
        if act == "keep":
            out[key] = value
            done["keys_kept"].append(key)
        elif act == "path":
            out[key] = [rename(v) for v in value] if isinstance(value, list) else rename(value)
            done["keys_replaced"].append(key)
        elif act == "uid" and isinstance(value, str):
            out[key] = keys.uid(cfg.key, value)
            done["keys_replaced"].append(key)
        elif act == "shift":
            # No known subject (a top-level sidecar): no offset to shift by, so removed.
            ok = isinstance(value, str) and offset is not None
            shifted = shift_iso(value, offset) if ok else None
            if shifted is None:
                done["keys_removed"].append(key)
            else:
                out[key] = shifted
                done["keys_shifted"].append(key)
        elif act == "clean" and isinstance(value, str | int | float):
            if cleaner is None:
                # the allow-list cleaner, as for DICOM descriptors under Clean Descriptors
                cleaner = Cleaner(identifying_values(data, list(extra_identifiers)), vocabulary())
            text = cleaner.clean(str(value)) if isinstance(value, str) else value
            if text is None or text == "":
                done["keys_removed"].append(key)
            else:
                out[key] = text
                done["keys_cleaned"].append(key)
        else:
            done["keys_unlisted" if classify(key) == "unlisted" else "keys_removed"].append(key)
    return out, {k: v for k, v in done.items() if v and k != "keys_kept"}


def table_rows() -> list[dict[str, str]]:
    """The classification as rows for the book: key, class, DICOM keyword, source."""
    return [
        {"key": k, "class": v["class"], "DICOM keyword": v.get("dicom", ""),
         "always removed": "yes" if v.get("always") else "", "source": v["source"]}
        for k, v in key_table()["keys"].items()
    ]  # fmt: skip
