"""Terminology check: the book's chosen words, spelt as book/glossary.md defines them.

Why: the glossary chooses between words used loosely elsewhere (anonymisation,
de-identification, pseudonymisation) and spells them in British English. Readers who compare
the book's guidance with a regulation notice when a page drifts ("anonymization",
"deidentification", "pseudo-anonymisation"), so prose must use the glossary's forms. Code,
inline code, URLs and quotations are left alone: they quote other people's spelling.

Usage: ``python scripts/check_terms.py [FILE ...]``; prints ``file:line: found -> use`` and
exits 1 when a page drifts. With no arguments it checks the book, the notebooks' Markdown
cells, README.md and CONTRIBUTING.md.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GLOSSARY = ROOT / "book" / "glossary.md"

#: The glossary entries the rules below enforce; the check fails if the glossary drops one.
CHOSEN = ("Anonymisation", "De-identification", "Pseudonymisation")

#: (pattern, what to write instead). Patterns are case-insensitive and match whole words.
RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), use)
    for pattern, use in (
        (r"\bpseudo-?anonymi[sz]\w*", "pseudonymisation (the glossary's term)"),
        (r"\b(?:de-?)?anonymiz\w*", "the -is- spelling (anonymisation, anonymised)"),
        (r"\bpseudonymiz\w*", "the -is- spelling (pseudonymisation, pseudonymised)"),
        (r"\bde[ ]?identif\w*", "the hyphenated form (de-identification, de-identify)"),
    )
)

_FENCE = re.compile(r"^\s*(```|~~~)")
_MASKS = (
    re.compile(r"`[^`]*`"),  # inline code and roles such as {cite:p}`Key`
    re.compile(r"<?https?://\S+>?"),  # URLs
    re.compile(r"\"[^\"]*\"|“[^”]*”"),  # quotations in double quotes
)


def _mask(line: str) -> str:
    """Blank out the parts of a prose line that may quote other spellings."""
    line = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", line)  # keep a link's text, drop its target
    for pattern in _MASKS:
        line = pattern.sub(lambda m: " " * len(m.group(0)), line)
    return line


def prose_lines(text: str) -> list[tuple[int, str]]:
    """The lines of a Markdown text that are prose: no front matter, code or quotations."""
    out: list[tuple[int, str]] = []
    in_code = False
    lines = text.splitlines()
    start = 0
    if lines and lines[0].strip() == "---":
        for i in range(1, len(lines)):
            if lines[i].strip() == "---":
                start = i + 1
                break
    for number, line in enumerate(lines[start:], start=start + 1):
        if _FENCE.match(line):
            in_code = not in_code
            continue
        if in_code or line.lstrip().startswith(">"):
            continue
        out.append((number, _mask(line)))
    return out


def check_text(text: str, name: str) -> list[str]:
    """Findings in one Markdown text, as ``name:line: found -> use`` strings."""
    findings = []
    for number, line in prose_lines(text):
        for pattern, use in RULES:
            for match in pattern.finditer(line):
                findings.append(f"{name}:{number}: {match.group(0)!r} -> {use}")
    return findings


def check_file(path: Path) -> list[str]:
    """Findings in a Markdown file, or in the Markdown cells of a notebook."""
    name = str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)
    if path.suffix == ".ipynb":
        findings = []
        for index, cell in enumerate(json.loads(path.read_text())["cells"]):
            if cell["cell_type"] == "markdown":
                findings += check_text("".join(cell["source"]), f"{name}[cell {index}]")
        return findings
    return check_text(path.read_text(), name)


def default_files() -> list[Path]:
    """The book's pages (not the template), the notebooks, README.md and CONTRIBUTING.md."""
    pages = [p for p in sorted((ROOT / "book").rglob("*.md")) if "templates" not in p.parts]
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    return pages + notebooks + [ROOT / "README.md", ROOT / "CONTRIBUTING.md"]


def glossary_problems() -> list[str]:
    """The chosen terms must stay defined in the glossary, or the rules lose their basis."""
    text = GLOSSARY.read_text()
    return [
        f"{GLOSSARY.relative_to(ROOT)}: the glossary no longer defines {term!r}"
        for term in CHOSEN
        if not re.search(rf"^{re.escape(term)}\s*$", text, re.MULTILINE)
    ]


def main(argv: list[str]) -> int:
    files = [Path(a).resolve() for a in argv] or default_files()
    findings = glossary_problems()
    for path in files:
        findings += check_file(path)
    for finding in findings:
        print(finding)
    if findings:
        print(f"check_terms: {len(findings)} finding(s); see book/glossary.md", file=sys.stderr)
        return 1
    print(f"check_terms: {len(files)} files use the glossary's terms")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
