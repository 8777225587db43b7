"""The path of an image request, as data: steps, who decides, what is checked and recorded.

Why data and code: the working group will change the path (a new check, a different owner of a
decision) as requests come in. Keeping it as a small data structure means the figure, the
checklists and the tests all follow one edited entry, reviewed in a diff. The sampling helpers
answer the quality-control question "how many files does a person look at, and which?" with
arithmetic that can be checked rather than a number picked by habit.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Step:
    """One step of the request's path."""

    key: str
    name: str
    decides: str  # the role that owns the decision at this step
    checks: tuple[str, ...]  # what is checked before moving on
    records: tuple[str, ...]  # what is written down, and kept


#: The steps in order. A finding at quality control sends the request back to de-identification.
STEPS: tuple[Step, ...] = (
    Step(
        "intake",
        "Intake",
        "Data-sharing lead",
        (
            "The request names the trial(s), the images and the research question",
            "The clinical release it builds on is identified (date, version)",
            "The requester has been approved by the platform's review panel",
        ),
        ("Request ID, requesting organisation, platform", "Clinical release referenced"),
    ),
    Step(
        "consent",
        "Consent and legal basis",
        "Privacy officer with legal counsel",
        (
            "The informed consent covers secondary research use and sharing of images",
            "Participants who withdrew or refused future use are excluded",
            "The legal basis for each jurisdiction is named (e.g. GDPR Art. 9(2)(j) with Art. 89)",
        ),
        ("Consent wording reviewed, by version and country", "Legal basis and exclusions"),
    ),
    Step(
        "scope",
        "Scope",
        "Data-sharing lead with an imaging expert",
        (
            "Only the modalities, series and time points the question needs",
            "Formats and derived objects (SR, SEG, RT) listed",
            "Head scans, photographs and video are in scope only if the question needs them",
        ),
        ("Image inventory: studies, series, files, size", "What was left out, and why"),
    ),
    Step(
        "risk",
        "Risk assessment",
        "Anonymisation expert",
        (
            "Header quasi-identifiers assessed together with the clinical release's",
            "Pixel risks per modality: faces, burned-in text, devices, rare anatomy",
            "Access model (controlled or open) and the threshold it allows",
        ),
        ("Quasi-identifiers, measures and threshold", "Pixel risks and their treatments"),
    ),
    Step(
        "deidentify",
        "De-identification",
        "Data-sharing team (operator)",
        (
            "Subject map and date offsets taken from the clinical release",
            "Recipe (profile, options, overrides) matches the plan",
            "Every failed or held-back file has a reason",
        ),
        ("Recipe and its checksum; tool version", "Run report (kept by the sponsor)"),
    ),
    Step(
        "qc",
        "Quality control",
        "Independent reviewer (not the operator)",
        (
            "Automatic scan of every released file for the source's identifying values",
            "Visual review of a recorded, seeded sample per stratum",
            "Clinical-image consistency (subject, date, measurement)",
        ),
        ("Verification result", "Sample size, seed, strata, findings and fixes"),
    ),
    Step(
        "approval",
        "Approval",
        "Release approver (as for the clinical anonymisation report)",
        (
            "The anonymisation report's image section is complete",
            "Residual risks are named and covered by controls",
        ),
        ("Signed approval", "Accepted residual risks"),
    ),
    Step(
        "agreement",
        "Data use agreement",
        "Legal, with the platform",
        (
            "No attempt to identify participants or sites",
            "No face rendering or reconstruction; no re-linking to other images",
            "No redistribution; incidental identification is reported",
        ),
        ("Signed agreement with the image clauses", "Term and destruction date"),
    ),
    Step(
        "release",
        "Release",
        "Data-sharing team",
        (
            "Manifest written and checked; transfer encrypted",
            "Key, subject map and raw run report stay with the sponsor",
        ),
        ("Manifest checksum, transfer date, recipient", "What was withheld"),
    ),
)


def step(key: str) -> Step:
    """The step with this key."""
    for s in STEPS:
        if s.key == key:
            return s
    raise KeyError(f"no step {key!r}; steps are {', '.join(s.key for s in STEPS)}")


def checklist(key: str) -> list[dict[str, str]]:
    """Rows for one step's checklist: each check and each record, with the deciding role."""
    s = step(key)
    rows = [{"item": c, "kind": "check", "who": s.decides} for c in s.checks]
    rows += [{"item": r, "kind": "record", "who": s.decides} for r in s.records]
    return rows


def upper_bound(reviewed: int, confidence: float = 0.95) -> float:
    """Largest failure rate still consistent with finding nothing in ``reviewed`` files.

    The exact one-sided binomial bound for zero findings, 1 - (1 - confidence)^(1/n); for
    n of 30 or more it is close to Hanley's rule of three, 3/n at 95% confidence.
    """
    if reviewed < 1:
        raise ValueError("at least one file must be reviewed")
    if not 0 < confidence < 1:
        raise ValueError("confidence must lie between 0 and 1")
    return 1 - (1 - confidence) ** (1 / reviewed)


def review_size(max_rate: float, confidence: float = 0.95) -> int:
    """Smallest number of files to review so that finding none bounds the rate by ``max_rate``."""
    if not 0 < max_rate < 1:
        raise ValueError("max_rate must lie between 0 and 1")
    if not 0 < confidence < 1:
        raise ValueError("confidence must lie between 0 and 1")
    n = math.ceil(math.log(1 - confidence) / math.log(1 - max_rate))
    while n > 1 and upper_bound(n - 1, confidence) <= max_rate:  # guard against rounding
        n -= 1
    return n


def review_sample(
    items: Iterable[Hashable],
    stratum_of,
    per_stratum: int,
    seed: int,
) -> dict[Hashable, list]:
    """Choose files for visual review: ``per_stratum`` at random from each stratum (all of a
    smaller stratum), reproducibly from ``seed``.

    Why strata: burned-in text and faces cluster by modality, scanner model and site, so a
    simple random sample can miss a whole site. Why a seed: the report records it, and anyone
    can redraw the same sample to check what was reviewed.
    """
    if per_stratum < 1:
        raise ValueError("per_stratum must be at least 1")
    groups: dict[Hashable, list] = defaultdict(list)
    for item in items:
        groups[stratum_of(item)].append(item)
    rng = random.Random(seed)
    chosen = {}
    for stratum in sorted(groups, key=str):
        members = sorted(groups[stratum], key=str)
        chosen[stratum] = (
            members
            if len(members) <= per_stratum
            else sorted(rng.sample(members, per_stratum), key=str)
        )
    return chosen


def figure(steps: Sequence[Step] = STEPS):
    """The path as boxes from top to bottom, what each step decides beside its box, and the
    loop from quality control back to de-identification.

    Why one column: drawn at the PDF's text width (:data:`PAGE_WIDTH_IN`), the figure is
    printed at its own size, so its smallest label stays legible in print.
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    from imgshare.book.display import PAGE_WIDTH_IN, wrap

    dy, w, h, x = 0.7, 2.1, 0.46, 2.1  # inches: the axes are drawn one unit to the inch
    fig = plt.figure(figsize=(PAGE_WIDTH_IN, dy * len(steps) + 0.1))
    ax = fig.add_axes((0, 0, 1, 1))
    positions = {}
    for i, s in enumerate(steps):
        y = -i * dy
        positions[s.key] = y
        ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.04",
                                    fc="#e8f0fe", ec="grey"))  # fmt: skip
        ax.text(x, y, wrap(f"{i + 1}. {s.name}", 26), ha="center", va="center", fontsize=9,
                weight="bold")  # fmt: skip
        ax.text(x + w / 2 + 0.2, y, wrap(s.decides, 46), ha="left", va="center", fontsize=8,
                color="#444444", style="italic")  # fmt: skip
    keys = [s.key for s in steps]
    for a, b in zip(keys, keys[1:], strict=False):
        start, end = (x, positions[a] - h / 2 - 0.05), (x, positions[b] + h / 2 + 0.05)
        ax.add_patch(FancyArrowPatch(start, end, arrowstyle="->", mutation_scale=10, color="grey"))
    if "qc" in positions and "deidentify" in positions:
        yq, yd = positions["qc"], positions["deidentify"]
        loop = FancyArrowPatch((x - w / 2 - 0.05, yq), (x - w / 2 - 0.05, yd),
                               connectionstyle="arc3,rad=-0.5", arrowstyle="->",
                               mutation_scale=10, color="#c0392b", linestyle="--")  # fmt: skip
        ax.add_patch(loop)
        ax.text(x - w / 2 - 0.3, (yq + yd) / 2, "finding:\nfix and\nrerun", fontsize=8,
                color="#c0392b", ha="right", va="center")  # fmt: skip
    ax.set_xlim(0, PAGE_WIDTH_IN)
    ax.set_ylim(-(len(steps) - 1) * dy - h / 2 - 0.1, h / 2 + 0.1)
    ax.axis("off")
    return fig
