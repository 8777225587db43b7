"""verify's command line and report: the interface users and other code read.

The JSON report is read by the release report and the scoring table, the text by people:
both are pinned here, with the help, the usage errors (exit 2, on stderr) and the masking.
"""

from __future__ import annotations

import json
from pathlib import Path

import pydicom
import pytest
from verify_helpers import BASIC, PATIENT_CHARS, Releaser, image, write

from imgshare import cli as imgshare_cli
from imgshare.verify import Check, Finding, Matcher, Result, Values, build_parser, cli, verify

U = "1.2.826.0.1.3680043.8.498.55"
NOT_A_KEY = "is not an answer key (JSON with 'identifiers')\n"
REPORT_KEYS = {"files", "findings", "leaks_by_category", "identifiers_searched", "checks",
               "not_checked", "problems", "clean", "passed", "failures"}  # fmt: skip


@pytest.fixture
def pair(tmp_path: Path) -> tuple[Path, Path]:
    """A one-patient source (a Chinese name among its values) and a proper release of it."""
    src, out = tmp_path / "src", tmp_path / "out"
    for i in range(2):
        ds = image("PAT-00321", "Wang^XiaoDong=王^小东", study=U + ".1", series=U + ".1.1",
                   sop=f"{U}.1.1.{i + 1}", number=i + 1, position=2.5 * i,
                   pixels=bytes([i]) * 32, charset="ISO_IR 192")  # fmt: skip
        write(ds, src / f"{i}.dcm")
    releaser = Releaser((BASIC, PATIENT_CHARS))
    for path in sorted(src.glob("*.dcm")):
        released = releaser.release(pydicom.dcmread(path))
        write(released, out / path.name)
    return src, out


def test_help_names_every_argument_and_the_exit_codes():
    text = build_parser().format_help()
    assert text.startswith("usage: imgshare verify [-h] [--against SRC] [--answer-key KEY.json]")
    for line in ("DIR  ", "the de-identified release", "--against SRC", "the original files",
                 "--answer-key KEY.json", "a corpus answer key", "--report FILE",
                 "write the JSON report here"):  # fmt: skip
        assert line in text, line
    flat = " ".join(text.split())
    assert "Exit 0 clean, 1 anything found or failed" in flat and "2 usage error" in flat


def test_the_imgshare_command_shows_verify_s_own_description(capsys):
    with pytest.raises(SystemExit):
        imgshare_cli.main(["verify", "--help"])
    flat = " ".join(capsys.readouterr().out.split())
    assert "1 anything found or failed (or nothing to search, an empty release" in flat


@pytest.mark.parametrize(
    "args, message",
    [
        (["missing"], "imgshare verify: error: {tmp}/missing does not exist\n"),
        (["out"], "imgshare verify: error: give --against SRC or --answer-key KEY (or both)\n"),
        (["out", "--against", "nowhere"], "imgshare verify: error: {tmp}/nowhere does not exist\n"),
        (["out", "--answer-key", "nokey.json"],
         "imgshare verify: error: {tmp}/nokey.json does not exist\n"),
        (["out", "--answer-key", "list.json"],
         "imgshare verify: error: {tmp}/list.json " + NOT_A_KEY),
        (["out", "--answer-key", "latin1.json"],
         "imgshare verify: error: {tmp}/latin1.json " + NOT_A_KEY),
    ],
)  # fmt: skip
def test_usage_errors_exit_2_with_one_line_on_stderr(pair, tmp_path, capsys, args, message):
    (tmp_path / "list.json").write_text("[1, 2]")
    (tmp_path / "latin1.json").write_bytes('{"identifiers": ["Müller"]}'.encode("latin-1"))
    argv = [str(tmp_path / a) if not a.startswith("--") else a for a in args]
    assert cli.main(argv) == 2
    printed = capsys.readouterr()
    assert printed.out == "" and printed.err == message.format(tmp=tmp_path)


def test_stdout_is_the_text_and_the_report_is_the_json(pair, tmp_path, capsys):
    src, out = pair
    report = tmp_path / "deep" / "er" / "report.json"
    assert cli.main([str(out), "--against", str(src), "--report", str(report)]) == 0
    printed = capsys.readouterr().out
    assert printed == verify(out, against=src).text()
    raw = report.read_text(encoding="utf-8")
    assert raw.endswith("}\n") and raw.splitlines()[1].startswith(' "')  # indent of one
    doc = json.loads(raw)
    assert set(doc) == REPORT_KEYS
    assert doc["passed"] is True and doc["clean"] is True and doc["failures"] == []
    assert doc["files"] == 2 and doc["identifiers_searched"] == verify(out, against=src).searched
    assert doc["checks"]["pixel data"] == {"name": doc["checks"]["pixel data"]["name"],
                                           "gate": True, "passed": 2, "total": 2, "notes": [],
                                           "ok": True}  # fmt: skip


def test_a_leak_is_masked_in_text_and_report_written_as_utf8(pair, tmp_path, capsys):
    src, out = pair
    target = sorted(out.glob("*.dcm"))[0]
    ds = pydicom.dcmread(target)
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds.StudyDescription = "follow-up of 王^小东"
    ds.save_as(target, enforce_file_format=True)
    report = tmp_path / "r.json"
    assert cli.main([str(out), "--against", str(src), "--report", str(report)]) == 1
    printed = capsys.readouterr().out
    raw = report.read_text(encoding="utf-8")
    assert "王***(4)" in raw and "\\u" not in raw  # written as UTF-8, not escaped
    assert "王^小东" not in raw and "王^小东" not in printed
    doc = json.loads(raw)
    assert doc["leaks_by_category"] == {"free text": 1}
    assert doc["findings"] == [{"file": target.name, "location": "(0008,1030)",
                                "category": "free text", "kind": "name",
                                "value": "王***(4)"}]  # fmt: skip
    assert doc["failures"] == ["1 identifying value(s) found"]
    assert printed.splitlines()[1:3] == [
        "FOUND 1 identifying value(s):",
        f"  {target.name}: (0008,1030) [free text, name] 王***(4)",
    ]
    assert printed.splitlines()[-1] == "FAILED: 1 identifying value(s) found"


def test_an_answer_key_is_searched(pair, tmp_path):
    _, out = pair
    key = tmp_path / "key.json"
    key.write_text(json.dumps({"identifiers": [{"value": "TRIAL-101", "kind": "id"}]}))
    result = verify(out, answer_key=key)
    assert {f.value for f in result.findings} == {"TRIAL-101"}
    assert cli.main([str(out), "--answer-key", str(key)]) == 1


def _result(checks: dict[str, Check], findings=(), problems=(), values=("Doe",)) -> Result:
    v = Values()
    for value in values:
        v.add(value, "name", 0x00100010)
    return Result(list(findings), checks, ["pixels: not read"], 3, Matcher(v), list(problems))


def test_text_lists_checks_measures_problems_and_the_verdict():
    checks = {
        "a": Check("gate that passed", passed=2, total=2),
        "b": Check("gate that failed", passed=1, total=2, notes=["one file for Doe"]),
        "c": Check("measure short", gate=False, passed=1, total=3),
        "d": Check("nothing to check", passed=0, total=0),
    }
    result = _result(checks, problems=["unreadable: x.dcm (dicom: EOF)"])
    lines = result.text().splitlines()
    assert lines == [
        "imgshare verify: 3 file(s), 1 identifying value(s) searched",
        "no identifying values found",
        "gate that passed: 2 of 2",
        "gate that failed: 1 of 2  FAILED",
        "  one file for D***(3)",
        "measure short: 1 of 3  (measure)",
        "problem: unreadable: x.dcm (dicom: EOF)",
        "not checked: pixels: not read",
        "FAILED: unreadable: x.dcm (dicom: EOF); check failed: gate that failed",
    ]
    assert not result.passed and result.clean
    assert result.failures() == ["unreadable: x.dcm (dicom: EOF)", "check failed: gate that failed"]
    doc = result.to_json()
    assert doc["checks"]["b"]["notes"] == ["one file for D***(3)"]  # masked in the report too
    assert doc["checks"]["c"] == {"name": "measure short", "gate": False, "passed": 1,
                                  "total": 3, "notes": [], "ok": False}  # fmt: skip


def test_a_failed_measure_alone_passes_and_findings_are_counted():
    passing = _result({"c": Check("measure", gate=False, passed=0, total=1)})
    assert passing.passed and passing.failures() == []
    assert passing.text().splitlines()[-1] == "PASSED"
    leak = Finding("a/Doe.dcm", "(0010,0010)", "attribute", "name", "Doe")
    found = _result({}, findings=[leak, leak])
    assert found.failures() == ["2 identifying value(s) found"] and not found.passed
    assert found.to_json()["findings"][0] == {"file": "a/D***(3).dcm", "location": "(0010,0010)",
                                              "category": "attribute", "kind": "name",
                                              "value": "D***(3)"}  # fmt: skip
    assert found.to_json()["leaks_by_category"] == {"attribute": 2}


def test_without_values_nothing_is_masked_and_nothing_searched():
    result = Result([], {}, [], 0, None, ["the release is empty: no file to check"])
    assert result.searched == 0 and not result.passed
    assert (
        result.text().splitlines()[0]
        == "imgshare verify: 0 file(s), 0 identifying value(s) searched"
    )
    assert result.to_json()["problems"] == ["the release is empty: no file to check"]


def test_tag_paths_are_never_masked_but_values_around_them_are():
    result = _result({"a": Check("g", passed=0, total=1, notes=["(0010,21B0) holds 0010 Doe"])},
                     values=("0010", "Doe"))  # fmt: skip
    assert "  (0010,21B0) holds 0***(4) D***(3)" in result.text().splitlines()
