"""The verdict and the report: what was found (masked), what was checked, what was not.

Why the report can be shared: it never holds an identifier. A finding shows its value as the
first character, ``***`` and its length; file names are masked the same way; the checks'
notes name patients by their order ("source patient 2 of 3"), never by ID. As a last guard,
every line is searched once more for every identifying value and masked before it is shown.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from imgshare.verify.checks import Check
from imgshare.verify.match import Matcher, mask
from imgshare.verify.scan import Finding

TAG = re.compile(r"(\([0-9A-F]{4},[0-9A-F]{4}\))")


@dataclass
class Result:
    """Everything verify found. ``findings`` hold values; ``text`` and ``to_json`` do not."""

    findings: list[Finding]
    checks: dict[str, Check]
    not_checked: list[str]
    files: int
    matcher: Matcher | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        """No identifying value found."""
        return not self.findings

    @property
    def passed(self) -> bool:
        """Clean, every gate check passed, and nothing that stops a verdict (exit code 0)."""
        gates_ok = all(c.ok for c in self.checks.values() if c.gate)
        return self.clean and gates_ok and not self.problems

    @property
    def searched(self) -> int:
        return len(self.matcher) if self.matcher is not None else 0

    def _mask(self, text: str) -> str:
        """Every identifying value masked; tag paths such as (0010,21B0) left as they are."""
        if self.matcher is None:
            return text
        parts = TAG.split(text)
        return "".join(p if TAG.fullmatch(p) else self.matcher.mask_text(p) for p in parts)

    def public(self, f: Finding) -> dict[str, str]:
        return {
            "file": self._mask(f.file),
            "location": self._mask(f.location),
            "category": f.category,
            "kind": f.kind,
            "value": mask(f.value),
        }

    def failures(self) -> list[str]:
        """Why the release fails, one reason a line (empty when it passes)."""
        out = list(self.problems)
        if self.findings:
            out.append(f"{len(self.findings)} identifying value(s) found")
        out += [f"check failed: {c.name}" for c in self.checks.values() if c.gate and not c.ok]
        return out

    def to_json(self) -> dict[str, Any]:
        doc = {
            "files": self.files,
            "findings": [self.public(f) for f in self.findings],
            "leaks_by_category": dict(Counter(f.category for f in self.findings)),
            "identifiers_searched": self.searched,
            "checks": {k: {**asdict(c), "ok": c.ok} for k, c in self.checks.items()},
            "not_checked": self.not_checked,
            "problems": self.problems,
            "clean": self.clean,
            "passed": self.passed,
            "failures": self.failures(),
        }
        return _guard(doc, self._mask)

    def text(self) -> str:
        lines = [f"imgshare verify: {self.files} file(s), {self.searched} identifying value(s) "
                 "searched"]  # fmt: skip
        if self.findings:
            lines.append(f"FOUND {len(self.findings)} identifying value(s):")
            for f in self.findings:
                p = self.public(f)
                lines.append(
                    f"  {p['file']}: {p['location']} [{p['category']}, {p['kind']}] {p['value']}"
                )
        else:
            lines.append("no identifying values found")
        for c in self.checks.values():
            if c.total == 0 and c.ok:
                continue
            flag = "" if c.ok else ("  FAILED" if c.gate else "  (measure)")
            lines.append(f"{c.name}: {c.passed} of {c.total}{flag}")
            lines += [f"  {n}" for n in c.notes[:10]]
        lines += [f"problem: {p}" for p in self.problems]
        lines += [f"not checked: {n}" for n in self.not_checked]
        failures = self.failures()
        lines.append("PASSED" if not failures else "FAILED: " + "; ".join(failures))
        return "\n".join(self._mask(line) for line in lines) + "\n"


def _guard(node: Any, masker) -> Any:
    """Every string of a report, masked once more (values, paths, notes alike)."""
    if isinstance(node, dict):
        return {k: _guard(v, masker) for k, v in node.items()}
    if isinstance(node, list):
        return [_guard(v, masker) for v in node]
    if isinstance(node, str):
        return masker(node)
    return node
