"""Nothing lost on real files: every DICOM file shipped inside the pinned packages, run
through ``imgshare deidentify``'s batch under the Basic Profile and under the recommended
options, each output judged by readers that are not imgshare.

Expected values come from the source file (pydicom, read independently), from dcmtk's
``dcmdump``, from dicom3tools' ``dciodvfy`` and from the standard's Table E.1-1 parsed in
tests/realworld.py, never from ``imgshare.profile`` or the engine. Each file runs in a batch
of its own: the packages ship one image in many encodings under one SOP Instance UID, which
a single batch rightly refuses.
"""

from __future__ import annotations

import hashlib
import time
import warnings
from pathlib import Path

import pydicom
import pytest
import realworld

from imgshare import batch
from imgshare.dicom import config, engine, io, keys

pytestmark = pytest.mark.skipif(not realworld.have_tools(), reason="needs dcmdump, dciodvfy")

CONFIGS = {"basic": (), "recommended": realworld.RECOMMENDED}
FILES = realworld.collect()
SUMMARY: dict[str, dict] = {}


def test_the_packages_ship_enough_real_files() -> None:
    """The suite is only worth its name if the packages ship what it claims to cover."""
    packages = {name.split("/")[0] for name, _ in FILES}
    assert {"pydicom", "nibabel", "pynetdicom"} <= packages
    assert len(FILES) >= 150
    syntaxes = set()
    for _, path in FILES:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                meta = pydicom.dcmread(path, stop_before_pixels=True, force=True).file_meta
            except Exception:  # noqa: BLE001 (gzip and broken files)
                continue
        syntaxes.add(str(meta.get("TransferSyntaxUID", "")))
    wanted = {
        "1.2.840.10008.1.2",  # implicit VR little endian
        "1.2.840.10008.1.2.1",  # explicit VR little endian
        "1.2.840.10008.1.2.2",  # explicit VR big endian
        "1.2.840.10008.1.2.1.99",  # deflated
        "1.2.840.10008.1.2.5",  # RLE
        "1.2.840.10008.1.2.4.50",  # JPEG baseline
        "1.2.840.10008.1.2.4.90",  # JPEG 2000 lossless
    }
    assert wanted <= syntaxes, wanted - syntaxes


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module", params=list(CONFIGS))
def run(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Each file de-identified in a batch of its own; the report entry and output per file."""
    name = request.param
    root = tmp_path_factory.mktemp(f"realworld-{name}")
    key = keys.create_key(root / "k.key")
    # The header invariants are judged on every file, so pixels that may identify are
    # released unreviewed here; the release gate is judged in test_gate_holds_back_by_class.
    cfg = config.build(key, CONFIGS[name], release_unreviewed=True)
    results = {}
    start = time.perf_counter()
    for i, (label, path) in enumerate(FILES):
        before = _digest(path)
        dst = root / f"out{i:03d}"
        rep = batch.run(path, dst, cfg)
        assert _digest(path) == before, f"{label}: the input changed"
        (entry,) = rep.files
        output = dst / entry["output"] if entry["status"] == "processed" else None
        results[label] = {"path": path, "entry": entry, "output": output}
    SUMMARY[name] = {"seconds": time.perf_counter() - start}
    return {"name": name, "cfg": cfg, "results": results}


def test_status_is_what_the_file_calls_for(run: dict) -> None:
    """Processed, skipped or failed as the file itself says (see realworld.expectation);
    every file that is not processed carries a one-line reason."""
    wrong = []
    counts: dict[str, int] = {}
    for label, result in run["results"].items():
        entry = result["entry"]
        expected, why = realworld.expectation(result["path"])
        counts[entry["status"]] = counts.get(entry["status"], 0) + 1
        if entry["status"] != expected:
            wrong.append(f"{label}: {entry['status']} ({entry.get('reason')}), expected "
                         f"{expected} ({why})")  # fmt: skip
        if entry["status"] != "processed":
            assert entry["reason"] and "\n" not in entry["reason"], label
    SUMMARY[run["name"]]["counts"] = counts
    assert not wrong, "\n".join(wrong)


def test_outputs_keep_what_the_profile_keeps(run: dict) -> None:
    """For every processed file: pydicom and dcmdump read the output; Pixel Data is byte
    for byte the input's; every dictionary element Table E.1-1 does not list (not a UID,
    not private) keeps its value; dciodvfy finds no kind of error the input did not have."""
    problems = []
    identical = 0
    for label, result in run["results"].items():
        out = result["output"]
        if out is None:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            source = pydicom.dcmread(pydicom.filebase.DicomBytesIO(
                realworld.file_bytes(result["path"])), force=True)  # fmt: skip
            try:
                released = pydicom.dcmread(out)
                for elem in released.iterall():
                    str(elem.value)
            except Exception as exc:  # noqa: BLE001
                problems.append(f"{label}: pydicom cannot read the output: {exc}")
                continue
        errors = realworld.dcmdump_errors(out)
        if errors:
            problems.append(f"{label}: dcmdump: {errors[0]}")
        for keyword in ("PixelData", "FloatPixelData", "DoubleFloatPixelData"):
            if keyword in source:
                if keyword not in released or released[keyword].value != source[keyword].value:
                    problems.append(f"{label}: {keyword} is not byte-identical")
                else:
                    identical += 1
        for path, value in realworld.must_keep(source).items():
            try:
                after = realworld.value_at(released, path)
            except (KeyError, IndexError):
                problems.append(f"{label}: {path} (not in Table E.1-1) was removed")
                continue
            if after != value:
                problems.append(f"{label}: {path} (not in Table E.1-1) changed")
        decoded = _decoded_copy(result["path"])
        new = realworld.dciodvfy_kinds(out) - realworld.dciodvfy_kinds(decoded)
        if new:
            problems.append(f"{label}: new dciodvfy error kind(s): {sorted(new)}")
    SUMMARY[run["name"]]["pixel_identical"] = identical
    assert not problems, f"{len(problems)} problem(s):\n" + "\n".join(problems[:60])


def _decoded_copy(path: Path) -> Path:
    """dciodvfy reads plain files: a gzipped input is judged from its decompressed copy."""
    if path.read_bytes()[:2] != b"\x1f\x8b":
        return path
    target = Path(f"/tmp/imgshare-realworld-{hashlib.sha256(str(path).encode()).hexdigest()[:12]}")
    target.write_bytes(realworld.file_bytes(path))
    return target


@pytest.mark.parametrize("options", list(CONFIGS.values()), ids=list(CONFIGS))
def test_plan_does_not_depend_on_what_was_read_before(options: tuple[str, ...]) -> None:
    """plan(fresh read) == plan(after decoding every element), for every readable file:
    the VR of an element is resolved the same way however it was reached."""
    cfg = config.Config(key=b"r" * 32, options=options)
    differ, compared = [], 0
    for label, path in FILES:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                fresh, _ = io.read(path)
                planned = engine.plan(fresh, cfg).decisions
            except (io.NotDicom, engine.DeidError):
                continue
            decoded, _ = io.read(path)
            for elem in decoded.iterall():
                str(elem.value)
            if engine.plan(decoded, cfg).decisions != planned:
                differ.append(label)
            compared += 1
    assert compared > 100 and not differ, differ


def test_summary_figures(run: dict, capsys: pytest.CaptureFixture[str]) -> None:
    """Prints the suite's figures (pytest -s shows them); holds no assertion of its own
    beyond the accounting: every file found has exactly one status."""
    counts: dict[str, int] = {}
    reasons: dict[str, int] = {}
    for result in run["results"].values():
        entry = result["entry"]
        counts[entry["status"]] = counts.get(entry["status"], 0) + 1
        if entry["status"] != "processed":
            key = f"{entry['status']}: {entry['reason'][:70]}"
            reasons[key] = reasons.get(key, 0) + 1
    assert sum(counts.values()) == len(FILES)
    with capsys.disabled():
        print(f"\nreal-world suite, {run['name']}: {len(FILES)} files, {counts}, "
              f"{SUMMARY.get(run['name'], {})}")  # fmt: skip
        for key, n in sorted(reasons.items()):
            print(f"  {n:3d} x {key}")


#: Modalities whose pixels carry burned-in text as a rule (PS3.3 C.7.3.1 defined terms):
#: ultrasound, secondary capture, external-camera photography, endoscopy, ophthalmic photo.
TEXT_MODALITIES = {"US", "SC", "XC", "ES", "OP", "GM", "SM", "DOC"}
#: Body parts of the head whose volume can show a face (PS3.16 CID 4031 terms and their
#: usual spellings in descriptions).
HEAD_WORDS = ("HEAD", "BRAIN", "SKULL", "ORBIT", "FACE", "SINUS", "TMJ", "JAW", "MANDIBLE",
              "MAXILLA", "NOSE", "EAR", "IAC", "PITUITARY", "NEURO")  # fmt: skip


def _may_identify(ds: pydicom.Dataset) -> str | None:
    """Why a file's pixels may identify, judged from its own attributes (not the gate's code)."""
    if str(ds.get("BurnedInAnnotation", "")).upper() == "YES":
        return "Burned In Annotation YES"
    modality = str(ds.get("Modality", "")).upper()
    if modality in TEXT_MODALITIES:
        return f"modality {modality}"
    sop = str(ds.get("SOPClassUID", ""))
    if sop.startswith(("1.2.840.10008.5.1.4.1.1.7", "1.2.840.10008.5.1.4.1.1.77.1")):
        return "secondary capture or visible-light class"
    parts = ("BodyPartExamined", "StudyDescription", "SeriesDescription", "ProtocolName")
    words = " ".join(str(ds.get(k, "")) for k in parts).upper()
    if modality in ("CT", "MR", "PT", "NM") and any(w in words for w in HEAD_WORDS):
        return f"{modality} of the head"
    return None


def test_gate_holds_back_by_class(tmp_path: Path) -> None:
    """Without --release-unreviewed-pixels, a file is held back only with a reason that names
    the option that treats it, and every file whose own attributes say its pixels carry text
    (Burned In Annotation YES, ultrasound) is held back."""
    key = keys.create_key(tmp_path / "k.key")
    cfg = config.build(key)
    wrong = []
    for i, (label, path) in enumerate(FILES):
        rep = batch.run(path, tmp_path / f"out{i:03d}", cfg)
        (entry,) = rep.files
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                ds = pydicom.dcmread(pydicom.filebase.DicomBytesIO(realworld.file_bytes(path)),
                                     stop_before_pixels=True, force=True)  # fmt: skip
            except Exception:  # noqa: BLE001 (broken on purpose: judged by the status test)
                continue
        reason = entry.get("reason") or ""
        held = entry["status"] == "failed" and "held back" in reason
        why = _may_identify(ds)
        if held and not (
            "--option clean-pixel-data" in reason
            or "--option clean-recognizable-visual-features" in reason
        ):
            wrong.append(f"{label}: held back without naming the option: {reason}")
        if held and why is None:
            wrong.append(f"{label}: held back, but nothing in the file says its pixels identify")
        must = why in ("Burned In Annotation YES", "modality US")
        if must and entry["status"] == "processed":
            wrong.append(f"{label}: released although {why}")
    assert not wrong, "\n".join(wrong)
