"""The files contributors meet first: the code of conduct, the issue forms, the spell check.

Why: a contributor's first contact is an issue or a pull request. The forms must keep patient
data out of public issues, the code of conduct must be complete (no template placeholder
left), and the spell check must read the project's text, hidden templates included, but not
the caches that tools write into the tree.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import yaml
from conftest import ROOT

CODESPELL = Path(sys.executable).with_name("codespell")
#: Two misspellings codespell knows, assembled so that this file does not contain them.
TYPOS = "t" + "eh rec" + "ieve\n"


def test_code_of_conduct_is_the_contributor_covenant_and_complete() -> None:
    text = (ROOT / "CODE_OF_CONDUCT.md").read_text()
    assert "Contributor Covenant" in text and "version 2.1" in text
    assert "https://www.contributor-covenant.org/version/2/1/code_of_conduct.html" in text
    assert "[INSERT" not in text, "the template's contact placeholder is still there"
    assert "CODE_OF_CONDUCT.md" in (ROOT / "CONTRIBUTING.md").read_text()


def test_issue_forms_keep_patient_data_out() -> None:
    forms = sorted((ROOT / ".github" / "ISSUE_TEMPLATE").glob("*.yml"))
    config = yaml.safe_load((ROOT / ".github" / "ISSUE_TEMPLATE" / "config.yml").read_text())
    assert config["blank_issues_enabled"] is False
    bodies = {f.name: yaml.safe_load(f.read_text()) for f in forms if f.name != "config.yml"}
    assert len(bodies) >= 3
    for name, form in bodies.items():
        assert form["name"] and form["description"] and form["body"], name
    bug = bodies["bug.yml"]["body"]
    consent = next(item for item in bug if item.get("id") == "no-data")
    assert consent["attributes"]["options"][0]["required"] is True


def test_spell_check_reads_text_but_not_caches(tmp_path: Path) -> None:
    for name in (".codespellrc", ".codespell-words.txt"):
        shutil.copy(ROOT / name, tmp_path / name)
    planted = {
        ".github/ISSUE_TEMPLATE/form.yml": True,  # hidden, but text readers see
        "book/page.md": True,
        ".pytest_cache/v/cache/lastfailed": False,
        ".ruff_cache/0.1/entry": False,
        ".jupyter_cache/global.db": False,
        "src/imgshare/__pycache__/notes.txt": False,
        "src/imgshare.egg-info/PKG-INFO": False,
        "notebooks/.ipynb_checkpoints/01-checkpoint.ipynb": False,
    }
    for name in planted:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(TYPOS)
    result = subprocess.run([str(CODESPELL)], cwd=tmp_path, capture_output=True, text=True)
    flagged = {line.split(":")[0].removeprefix("./") for line in result.stdout.splitlines()}
    expected = {name for name, checked in planted.items() if checked}
    assert flagged == expected, result.stdout
