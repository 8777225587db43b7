"""Verify one release: gather the sources' identifying values, scan, pair and check.

Why apart from ``__init__``: the command line (``cli``) and the package both call
``verify``; kept in its own module, neither has to import the other.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from imgshare.verify import checks, files, pairing, scan, values
from imgshare.verify.checks import Check
from imgshare.verify.match import Matcher
from imgshare.verify.report import Result
from imgshare.verify.scan import Finding
from imgshare.verify.values import Values

#: Sidecars that describe the dataset, not a subject: no identifying value is taken from them.
DESCRIPTIVE = ("dataset_description.json",)


def source_values(against: str | Path, into: Values, notes: list[str]) -> list[pairing.Record]:
    """Identifying values of every source file, and the records of its DICOM files."""
    records: list[pairing.Record] = []
    unreadable = 0
    for path, rel in files.walk(against):
        values.from_path(rel, into)
        kind = files.kind(path, rel)
        try:
            if kind == "dicom":
                ds = files.read_dicom(path.read_bytes())
                values.from_dataset(ds, into)
                try:
                    records.append(pairing.record(ds, rel))
                except Exception:  # noqa: BLE001 - its values are searched; it is not paired
                    unreadable += 1
            elif kind == "nifti":
                values.from_nifti(files.read_nifti(path), into)
            elif kind == "json" and Path(rel).name not in DESCRIPTIVE:
                values.from_json(files.read_json(path.read_bytes()), into)
            elif kind == "tsv":
                values.from_table(*files.read_tsv(path.read_bytes()), into)
        except files.Unreadable:
            unreadable += 1
    if unreadable:
        notes.append(f"sources: {unreadable} source file(s) could not be read; values they "
                     "hold were not searched for")  # fmt: skip
    return records


def verify(
    release: str | Path,
    against: str | Path | None = None,
    answer_key: str | Path | dict[str, Any] | None = None,
) -> Result:
    """Scan a release; compare it with its sources (SRC), a corpus answer key, or both."""
    release = Path(release)
    found = Values()
    not_checked: list[str] = []
    key: dict[str, Any] | None = None
    if answer_key is not None:
        key = answer_key if isinstance(answer_key, dict) else json.loads(
            Path(answer_key).read_text(encoding="utf-8"))  # fmt: skip
        for item in key["identifiers"]:
            found.add(item["value"], item["kind"], values.KEY)
    sources: list[pairing.Record] = []
    if against is not None:
        sources = source_values(against, found, not_checked)
        found.drop_common()
    matcher = Matcher(found)
    outputs = list(files.walk(release))
    findings: list[Finding] = []
    problems: list[str] = []
    records: list[pairing.Record] = []
    unreadable: list[str] = []
    for path, rel in outputs:
        scanned = scan.scan_file(path, rel, matcher)
        findings += scanned.findings
        if scanned.unreadable is not None:
            unreadable.append(f"{matcher.mask_text(rel)} ({scanned.kind}: {scanned.unreadable})")
        elif scanned.kind == "dicom":
            try:
                records.append(pairing.record(scanned.dataset, rel))
            except Exception as exc:  # noqa: BLE001 - a value pydicom cannot decode
                unreadable.append(f"{matcher.mask_text(rel)} (dicom: {type(exc).__name__})")
    if key is not None:
        dicom_outputs = [(p, r) for p, r in outputs if files.kind(p, r) == "dicom"]
        findings += scan.pixel_text(key, dicom_outputs, not_checked)
    if not outputs:
        problems.append("the release is empty: no file to check")
    if not len(matcher):
        problems.append("nothing to search for: the sources gave no identifying value")
    problems += [f"unreadable: {u}" for u in unreadable]
    results: dict[str, Check] = {}
    if against is not None:
        results, notes = checks.run(sources, records)
        not_checked += notes + checks.burned_in(sources)
    else:
        not_checked.append("release structure, pixel data and kept values: give --against SRC")
    return Result(findings, results, not_checked, len(outputs), matcher, problems)
