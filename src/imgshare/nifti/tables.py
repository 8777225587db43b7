"""BIDS tables: participants.tsv, *_sessions.tsv, *_scans.tsv, and every other TSV.

Every table of a dataset gets the same column rules (``phenotype/*.tsv`` carries names and
record numbers as easily as participants.tsv does); a table none of whose columns is known is
refused with a reason rather than copied. Why: these small files are easy to overlook and
carry the most: every subject's label in one place, often with age and sex, and in
``*_scans.tsv`` the acquisition date and time of every image. Subject and session labels
are relabelled as in the file names, ``filename`` entries are renamed, ``acq_time`` follows
the same rule as AcquisitionDateTime (shifted only by a known subject's offset, otherwise
removed), columns such as age and sex are kept only under Retain Patient Characteristics,
and columns not in the list are removed (named in the report). A row whose subject is not
in the subject map is dropped, since that subject's images fail too.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

from imgshare.dicom.config import Config
from imgshare.dicom.errors import DeidError
from imgshare.nifti import names, sidecar


def read_tsv(text: str) -> tuple[list[str], list[list[str]]]:
    rows = list(csv.reader(io.StringIO(text), delimiter="\t"))
    if not rows or not rows[0]:
        raise DeidError("empty table: no header row")
    width = len(rows[0])
    body = [r for r in rows[1:] if r]
    bad = [i + 2 for i, r in enumerate(body) if len(r) != width]
    if bad:
        raise DeidError(f"invalid TSV: line {bad[0]} has not {width} columns")
    return rows[0], body


def write_tsv(header: list[str], rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, delimiter="\t", lineterminator="\n").writerows([header, *rows])
    return out.getvalue()


def column_action(column: str, cfg: Config) -> str:
    """subject, session, path, datetime (shift/keep/remove), keep or remove."""
    entry = sidecar.key_table()["columns"].get(column)
    if entry is None:
        return "remove"
    rule = entry["rule"]
    if rule == "option":
        return "keep" if cfg.has(entry["option"]) else "remove"
    if rule == "safe":
        return "keep"
    if rule == "datetime":
        act = sidecar.action("AcquisitionDateTime", cfg.options)
        return {"keep": "keep", "shift": "shift"}.get(act, "remove")
    return rule


def clean_table(
    text: str,
    cfg: Config,
    subject: names.Subject | None,
    rename: Callable[[str], str],
) -> tuple[str, dict[str, list[str]]]:
    """The released table and what happened to its columns (names only) and rows (counts)."""
    header, rows = read_tsv(text)
    actions = [column_action(c, cfg) for c in header]
    if all(a == "remove" for a in actions):
        raise DeidError(
            f"table with none of the known columns ({len(header)} column(s), all unlisted): "
            "held back; add its columns to sidecar_keys.yaml after review"
        )
    keep = [i for i, a in enumerate(actions) if a != "remove"]
    done: dict[str, list[str]] = {
        "columns_removed": [header[i] for i, a in enumerate(actions) if a == "remove"],
        "columns_changed": [
            header[i] for i, a in enumerate(actions) if a not in ("keep", "remove")
        ],  # noqa: E501
        "notes": [],
    }
    out_rows, dropped = [], 0
    for row in rows:
        try:
            who = subject
            if "participant_id" in header:
                label = row[header.index("participant_id")].removeprefix("sub-")
                who = names.subject(label, cfg, bids=True)
            new = []
            for i in keep:
                new.append(_cell(row[i], actions[i], who, cfg, rename))
            out_rows.append(new)
        except DeidError:
            dropped += 1
    if dropped:
        done["notes"].append(f"{dropped} row(s) dropped: subject not in the subject map")
    return write_tsv([header[i] for i in keep], out_rows), {k: v for k, v in done.items() if v}


def _cell(
    value: str, act: str, who: names.Subject | None, cfg: Config, rename: Callable[[str], str]
) -> str:
    if act == "keep" or value == "n/a":
        return value
    if act == "subject":
        assert who is not None
        return f"sub-{who.released}"
    if act == "session":
        label = value.removeprefix("ses-")
        return "ses-" + names.session_label(label, who.original if who else "", cfg)
    if act == "path":
        return rename(value)
    if act == "shift":  # only by a known subject's offset, never by 0
        shifted = sidecar.shift_iso(value, who.offset) if who and who.original else None
        return shifted if shifted is not None else "n/a"
    return "n/a"
