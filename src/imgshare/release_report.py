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
    verdict = _verdict(verify_result)
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


#: DICOM attributes described in the anonymisation report's table of variables:
#: (tag, name, kind) where kind is 'direct' or 'quasi'.
REPORTED_ATTRIBUTES = (
    (0x00100020, "Patient ID", "direct"),
    (0x00100010, "Patient's Name", "direct"),
    (0x00100030, "Patient's Birth Date", "quasi"),
    (0x00101010, "Patient's Age", "quasi"),
    (0x00100040, "Patient's Sex", "quasi"),
    (0x00080020, "Study Date (and other dates)", "quasi"),
    (0x00080080, "Institution Name", "quasi"),
    (0x00081010, "Station Name", "quasi"),
    (0x00181000, "Device Serial Number", "quasi"),
    (0x00080070, "Manufacturer", "quasi"),
    (0x00120030, "Clinical Trial Site ID", "quasi"),
    (0x00080018, "SOP Instance UID (and other UIDs)", "direct"),
)
_TECHNIQUE = {
    "X": "removed",
    "Z": "emptied",
    "D": "replaced with a dummy",
    "K": "retained",
    "C": "cleaned",
    "U": "recoded (keyed UID)",
}
#: The clinical release's variables, as the subject map and the trial module record them.
DM_VARIABLES = (
    ("USUBJID", "direct", "recoded (subject pseudonym of the clinical release)"),
    ("SUBJID", "direct", "removed"),
    ("RFSTDTC and --DTC", "quasi", "offset (per-subject whole days)"),
    ("AGE", "quasi", "retained"),
    ("SEX", "quasi", "retained"),
    ("SITEID", "quasi", "retained as released"),
)


def _technique(tag: int, options: tuple[str, ...], preset: str | None) -> str:
    if preset == "sdtm":
        special = {
            0x00100030: "emptied (preset sdtm)",
            0x00120030: "released SITEID (preset sdtm)",
        }
        if tag in special:
            return special[tag]
    if tag in (0x00100020, 0x00100010):
        return "recoded (the clinical release's USUBJID)"
    row = profile.row_for(tag)
    if row is None:
        return "retained (not in Table E.1-1)"
    action = profile.action_for(row, options).split("/")[-1].rstrip("*")
    if action in ("Z", "D") and "/" in profile.action_for(row, options):
        action = "X"  # compound actions resolve to X or an empty value: no original value
    text = _TECHNIQUE.get(action, action)
    if row.tag == "(0008,0020)" and action == "C":
        text = "offset (the clinical release's per-subject shift)"
    if tag == 0x00101010 and action == "K" and preset == "sdtm":
        text = "retained; 90 or older top-coded as 090Y (preset sdtm)"
    return text


def risk_table(
    released_dm: Any,
    release_images: Path,
    threshold: float = 0.09,
    age_band: int = 10,
) -> list[dict[str, Any]]:
    """k-anonymity and risks for the DM quasi-identifiers, the header ones, and both together.

    The joint row is the one that counts: a recipient holds both releases, linked by the
    subject pseudonym.
    """
    from imgshare import risk

    paths = sorted(Path(release_images).rglob("*.dcm"))
    joint = [
        risk.generalise_joint(r, age_band)
        for r in risk.joint_records(risk.clinical_records(released_dm), risk.patient_records(paths))
    ]
    dm_keys = ["dm_age", "dm_sex", "dm_siteid"]
    img_keys = ["img_sex", "img_age", "img_study_year", "img_manufacturer", "img_institution"]
    rows = []
    for label, keys in (
        ("clinical (DM) quasi-identifiers", dm_keys),
        ("image header quasi-identifiers", img_keys),
        ("both together", dm_keys + img_keys),
    ):
        summary = risk.risk_summary(joint, keys, threshold)
        rows.append({"assessed": label, "quasi-identifiers": ", ".join(keys), **summary})
    return rows


def anonymisation_report(
    report_json: dict[str, Any],
    verify_result: dict[str, Any],
    recipe: str | Path,
    released_dm: Any,
    release_images: str | Path,
    consistency: dict[str, int] | None = None,
    threshold: float = 0.09,
    title: str = "Anonymisation report",
    residual_risks: tuple[str, ...] = RESIDUAL_RISKS,
) -> str:
    """Markdown for an anonymisation report with an image section, generated from the run.

    The sections follow the outline of the anonymisation report that EMA and Health Canada
    ask sponsors to submit (methodology, identification of variables and techniques,
    re-identification risk against a threshold, data utility), with a section on the images.
    Risk is computed on the DM and header quasi-identifiers together. No value is printed
    that the release itself does not carry.
    """
    recipe = Path(recipe)
    text = recipe.read_text()
    data = yaml.safe_load(text) or {}
    options = tuple(report_json["options"])
    preset = data.get("preset")
    preset_name = preset.get("name") if isinstance(preset, dict) else preset
    counts = report_json["counts"]
    out = [f"**{title}**", ""]

    out += ["**1. The request and the data package**", ""]
    if data.get("description"):
        out.append(f"Purpose: {' '.join(str(data['description']).split())}")
        out.append("")
    out.append(
        f"Images: {counts['processed']} files released of {counts['found']} found "
        f"({counts['skipped']} skipped, {counts['failed']} failed), for "
        f"{len(released_dm)} subjects of the clinical release (DM)."
    )
    out.append("")

    out += ["**2. Anonymisation methodology**", ""]
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    names = ", ".join(profile.OPTIONS[o].name for o in options)
    out.append(
        f"Images de-identified with {report_json['profile']}"
        + (f" and the options {names}" if options else "")
        + f" (recipe `{recipe.name}`, SHA-256 `{digest}...`)."
    )
    if preset_name:
        out.append(
            f"Preset `{preset_name}`: ages over 89 top-coded, no birth date, the site only "
            "as the released SITEID, Clinical Trial attributes from the subject map."
        )
    used = report_json.get("subject_map")
    out.append(
        "Subject pseudonyms and date offsets are those of the clinical release (subject map)."
        if used
        else "Subject pseudonyms and date offsets come from the release key (no subject map)."
    )
    out.append("")

    out += ["**3. Identification of variables and techniques applied**", ""]
    out += ["| Variable | Source | Identifier | Technique |", "|---|---|---|---|"]
    for name, kind, technique in DM_VARIABLES:
        out.append(f"| {name} | clinical (DM) | {kind} | {technique} |")
    for tag, name, kind in REPORTED_ATTRIBUTES:
        technique = _technique(tag, options, preset_name)
        out.append(f"| {name} `({tag >> 16:04X},{tag & 0xFFFF:04X})` | image header | {kind} | "
                   f"{technique} |")  # fmt: skip
    private = "retained where PS3.15 Table E.3.10-1 lists them as safe" if (
        "retain-safe-private" in options) else "removed"  # fmt: skip
    out.append(f"| Private attributes | image header | quasi | {private} |")
    out.append("")

    out += ["**4. Re-identification risk**", ""]
    rows = risk_table(released_dm, Path(release_images), threshold)
    out.append(
        f"Threshold set for this release: {threshold} (maximum risk, 1/k). Ages in bands of "
        "10 years; study year as released (shifted)."
    )
    out.append("")
    out += [
        "| Assessed | Records | k | Maximum risk | Average risk | Share above threshold |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        out.append(
            f"| {r['assessed']} | {r['records']} | {r['k']} | {r['max_risk']:.2f} | "
            f"{r['average_risk']:.2f} | {r['share_above_threshold']:.2f} |"
        )
    joint = rows[-1]
    verdict = "below" if joint["max_risk"] <= threshold else "above"
    out.append("")
    out.append(
        f"Jointly, the maximum risk is {joint['max_risk']:.2f}, {verdict} the threshold."
        + (
            " The release needs generalisation or suppression, or a controlled-access "
            "setting whose safeguards justify a higher threshold."
            if verdict == "above"
            else ""
        )
    )
    out.append("")

    out += ["**5. Data utility**", ""]
    out.append(
        "Dates are shifted by whole days per subject, so intervals between a subject's "
        "studies and visits are kept."
    )
    if consistency:
        out.append(
            f"{consistency['passed']} of {consistency['total']} tumour measurements still point "
            "at their image, subject and shifted date."
        )
    out.append("")

    out += ["**6. Images**", ""]
    verdict_v = _verdict(verify_result)
    out.append(
        f"Independent verification of {verify_result.get('files', 0)} files against the "
        f"source ({verify_result.get('identifiers_searched', 0)} identifying values searched): "
        f"{verdict_v}."
    )
    for check in (verify_result.get("checks") or {}).values():
        out.append(f"- {check['name']}: {check['passed']} of {check['total']}")
    for item in verify_result.get("not_checked", []):
        out.append(f"- Not checked: {item}")
    out.append("")

    out += ["**7. Residual risks and deviations**", ""]
    out += [f"- {risk_text}" for risk_text in residual_risks]
    out.append("")
    out += ["**8. Approval**", ""]
    out.append("Prepared by: ______  Reviewed by: ______  Date: ______")
    out += ["", "**Tool versions**", ""]
    out.append(", ".join(f"{k} {v}" for k, v in tool_versions().items()))
    return "\n".join(out) + "\n"


def _verdict(verify_result: dict[str, Any]) -> str:
    """verify's verdict in words: its exit-0 verdict ("passed") needs no finding and every
    gate check passed; a clean search with a failed check is not a pass."""
    n_found = len(verify_result.get("findings", []))
    if verify_result.get("passed", verify_result.get("clean")):
        return "passed: nothing identifying found and every check passed"
    if n_found:
        return f"failed: {n_found} finding(s)"
    return "failed: nothing identifying found, but a check failed (see below)"
