"""Is a folder still a valid BIDS dataset? The BIDS validator, run offline, and our checks.

Why both: the official validator (``bids-validator-deno`` from PyPI, the bundled
TypeScript validator run by Deno) knows the whole specification; we run it without network
permission, so it can only read the dataset. Where it is not installed, a few structural
checks of our own still catch what de-identification can break: the required
``dataset_description.json``, subject folders and file names that agree, names made of
BIDS entities, ``participants.tsv`` listing exactly the subjects present, and every
``filename`` in a scans table pointing at a file.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

NAME = re.compile(r"^sub-[A-Za-z0-9]+(_[a-z]+-[A-Za-z0-9]+)*_[A-Za-z0-9]+(\.[a-z]+)+$")


def validator_available() -> bool:
    try:
        import bids_validator_deno  # noqa: F401
        from deno import find_deno_bin  # noqa: F401
    except ImportError:
        return False
    return True


def run_validator(root: Path, timeout: int = 120) -> dict[str, Any]:
    """The official validator's JSON result; errors and warnings counted by code."""
    import bids_validator_deno
    from deno import find_deno_bin

    bundle = Path(bids_validator_deno.__file__).parent / "bids-validator.js"
    command = [os.fsdecode(find_deno_bin()), "run", "--allow-read", "--allow-env",
               str(bundle), "--format", "json", str(root)]  # fmt: skip
    env = {**os.environ, "NO_COLOR": "1"}
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env)
    try:
        result = json.loads(done.stdout)
    except json.JSONDecodeError:
        raise RuntimeError(f"validator gave no JSON: {done.stderr.strip()[:200]}") from None
    issues = result["issues"]["issues"]
    counts: dict[str, dict[str, int]] = {"error": {}, "warning": {}}
    for issue in issues:
        bucket = counts.setdefault(issue["severity"], {})
        bucket[issue["code"]] = bucket.get(issue["code"], 0) + 1
    return {
        "errors": counts.get("error", {}),
        "warnings": counts.get("warning", {}),
        "subjects": result.get("summary", {}).get("subjects", []),
        "sessions": result.get("summary", {}).get("sessions", []),
    }


def structural_problems(root: Path) -> list[str]:
    """Our own checks; an empty list means none found."""
    problems = []
    if not (root / "dataset_description.json").is_file():
        problems.append("dataset_description.json is missing")
    subjects = sorted(p.name for p in root.glob("sub-*") if p.is_dir())
    for sub in subjects:
        for path in (root / sub).rglob("*"):
            if not path.is_file():
                continue
            if not path.name.startswith(sub + "_"):
                problems.append(f"{path.relative_to(root)}: name does not start with {sub}_")
            elif not NAME.match(path.name):
                problems.append(f"{path.relative_to(root)}: not a BIDS file name")
            ses = [p for p in path.relative_to(root).parts if p.startswith("ses-")]
            if ses and f"_{ses[0]}_" not in path.name:
                problems.append(f"{path.relative_to(root)}: session folder and name disagree")
        for scans in (root / sub).rglob("*_scans.tsv"):
            for line in scans.read_text().splitlines()[1:]:
                name = line.split("\t")[0]
                if name and not (scans.parent / name).is_file():
                    problems.append(f"{scans.relative_to(root)}: {name} does not exist")
    participants = root / "participants.tsv"
    if participants.is_file():
        listed = sorted(
            line.split("\t")[0] for line in participants.read_text().splitlines()[1:] if line
        )
        if listed != subjects:
            problems.append("participants.tsv does not list exactly the subject folders")
    return problems
