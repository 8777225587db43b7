"""What a reader must never meet in the book's outputs: shared by the HTML and PDF tests.

Why one list: the web page and the PDF are read by different people but show the same cell
outputs; a warning, a traceback or a raw object printed into one is printed into the other.
The expected failures are planted in tests/test_reader_view.py, which shows each pattern
catching its case.
"""

from __future__ import annotations

import re

#: (name, pattern) pairs; a match anywhere in an output is a defect.
DEBRIS: list[tuple[str, re.Pattern[str]]] = [
    ("a Python warning", re.compile(r"\b[A-Z]\w*Warning\b:|warn_and_log|warnings\.warn\(")),
    ("a traceback",
     re.compile(r"Traceback \(most recent call last\)|^\s*File \"[^\"]+\", line \d+", re.M)),
    ("a temporary path", re.compile(r"(?<![\w.])/tmp/|/var/folders/|\\AppData\\Local\\Temp")),
    ("a virtual-environment path", re.compile(r"[\\/]\.?venv[\\/]|site-packages|dist-packages")),
    ("a raw object repr",
     re.compile(r"\b(?:Check|Finding|Result|Report|Decision|Context|Sample|Triage)\(\w+=")),
    ("a path repr", re.compile(r"\b(?:Posix|Windows|Pure\w*)Path\(")),
    ("a pandas Series dump", re.compile(r"^(?:Name: .*, )?dtype: \w+\s*$", re.M)),
    ("a display placeholder", re.compile(r"<IPython\.core\.display\.\w+ object>|<Figure size \d")),
    ("an object address", re.compile(r"\bat 0x[0-9a-fA-F]{6,}>|<pandas[\w.]*Styler")),
]  # fmt: skip

#: A table cell cut short (by pandas, or by code that shortens values).
CUT = re.compile(r"(?:…|\.\.\.)\s*$")


#: Debris that prose never contains either, so it can be searched for in the whole PDF text
#: (the prose does name /tmp and .venv, in instructions).
ANYWHERE = [name for name, _ in DEBRIS if "path" not in name or "repr" in name]


def debris(text: str, kinds: list[str] | None = None) -> list[str]:
    """Each kind of debris found in a text, with the snippet around its first occurrence."""
    found = []
    for name, pattern in DEBRIS:
        if kinds is not None and name not in kinds:
            continue
        match = pattern.search(text)
        if match:
            start = max(0, match.start() - 40)
            snippet = " ".join(text[start : match.end() + 40].split())
            found.append(f"{name}: …{snippet}…")
    return found


def table_problems(soup) -> list[str]:
    """Index columns and cut cells in the HTML tables of an output (a BeautifulSoup node)."""
    problems = []
    for table in soup.select("table"):
        for row in table.select("tbody tr"):
            first = row.find(["th", "td"])
            if first is not None and first.name == "th" and first.get_text().strip().isdigit():
                problems.append(f"an index column: {row.get_text(' ', strip=True)[:60]!r}")
                break
        for cell in table.select("td, th"):
            text = cell.get_text(" ", strip=True)
            if CUT.search(text) and "(…" not in text:
                problems.append(f"a cell cut short: {text[-60:]!r}")
    return problems
