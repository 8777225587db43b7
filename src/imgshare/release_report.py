"""The de-identification report for a release, rendered to Markdown from the run's records.

Why generated: a data-sharing request needs a document that says what was done to the
images (profile, options, recipe), to how many files, what the independent check found and
which risks remain. Written by hand it drifts from what the tool did; generated from the
batch report (JSON), the verification result and the recipe, it cannot. It holds counts,
settings and hashes only -- never an identifier -- so it can travel with the release.
"""

from __future__ import annotations

import hashlib
import platform
from importlib import metadata
from pathlib import Path
from typing import Any

import yaml

from imgshare import profile

#: Risks no metadata tool removes; the report lists them so the receiver knows.
RESIDUAL_RISKS = (
    "Text burned into pixel data is not read by the metadata engine; files flagged or of "
    "risky modalities need a pixel review (see the pixels chapter).",
    "Faces can be reconstructed from head CT and MR volumes unless defaced.",
    "Shifted dates keep intervals; an outside source with exact visit intervals could "
    "still narrow down a subject.",
    "Rare findings or devices visible in the images are not covered by the profile.",
)

_PACKAGES = ("imgshare", "pydicom", "numpy", "pandas")


def tool_versions() -> dict[str, str]:
    """Python and the packages whose behaviour decides the output."""
    versions = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def render(
    report_json: dict[str, Any],
    verify_result: dict[str, Any],
    recipe: str | Path,
    consistency: dict[str, int] | None = None,
    title: str = "De-identification report",
    residual_risks: tuple[str, ...] = RESIDUAL_RISKS,
) -> str:
    """Markdown for the release's report.

    ``report_json`` is the batch report (``Report.to_json()`` or the JSON file's content),
    ``verify_result`` the verification's ``to_json()``, ``recipe`` the recipe file, and
    ``consistency`` optional counts of clinical-image checks (passed, total).
    """
    recipe = Path(recipe)
    text = recipe.read_text()
    data = yaml.safe_load(text) or {}
    counts = report_json["counts"]
    lines = [f"**{title}**", ""]
    lines += ["| Item | Value |", "|---|---|"]
    lines.append(f"| Profile | {report_json['profile']} |")
    for slug in report_json["options"]:
        option = profile.OPTIONS[slug]
        lines.append(f"| Option | {option.name} (DCM {option.code}) |")
    digest = hashlib.sha256(text.encode()).hexdigest()  # whole: a reader checks it
    lines.append(f"| Recipe | `{recipe.name}`, SHA-256 `{digest}` |")
    if data.get("description"):
        lines.append(f"| Purpose | {' '.join(str(data['description']).split())} |")
    used = "applied (pseudonyms and offsets of the clinical data)"
    lines.append(f"| Subject map | {used if report_json['subject_map'] else 'not used'} |")
    lines.append(
        f"| Files | {counts['found']} found: {counts['processed']} processed, "
        f"{counts['skipped']} skipped, {counts['failed']} failed |"
    )
    n_found = len(verify_result.get("findings", []))
    verdict = "nothing identifying found" if verify_result.get("clean") else f"{n_found} finding(s)"
    lines.append(
        f"| Verification | {verify_result.get('files', 0)} files, "
        f"{verify_result.get('identifiers_searched', 0)} values searched: {verdict} |"
    )
    for check in (verify_result.get("checks") or {}).values():
        lines.append(f"| Check | {check['name']}: {check['passed']} of {check['total']} |")
    if consistency:
        lines.append(
            f"| Clinical-image consistency | {consistency['passed']} of "
            f"{consistency['total']} measurements point at their image, subject and date |"
        )
    overrides = data.get("overrides") or {}
    for tag, action in overrides.items():
        lines.append(f"| Override | `{tag}` -> {action} |")
    lines += ["", "**Residual risks**", ""]
    lines += [f"- {risk}" for risk in residual_risks]
    for item in verify_result.get("not_checked", []):
        lines.append(f"- Not checked: {item}")
    lines += ["", "**Tool versions**", ""]
    lines.append(", ".join(f"{k} {v}" for k, v in tool_versions().items()))
    return "\n".join(lines) + "\n"
