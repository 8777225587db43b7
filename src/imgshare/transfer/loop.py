"""The full loop: de-identify, send, query, retrieve, and verify what arrived.

Why: a sponsor must be able to show, for every release, that nothing identifying reached
the recipient and that the images themselves arrived unchanged. This module runs the loop
against a real archive and returns the evidence: identifying values found in what came
back (there must be none) and the pixel data compared byte for byte with what was sent.

The de-identification step is a callable ``(source folder, target folder) -> None``, so the
loop works with the book's engine (``engine``), with any other tool, or with none at all
(``no_deidentification``, which the tests use to prove that the leak check finds leaks).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pydicom import Dataset, dcmread

from imgshare.transfer import dimse, web
from imgshare.transfer.orthanc import OrthancServer

Deidentify = Callable[[Path, Path], None]

#: Attributes whose original values must not reach a recipient (a check, not the profile).
IDENTIFYING = (
    "PatientName",
    "PatientID",
    "OtherPatientIDs",
    "PatientBirthDate",
    "PatientAddress",
    "AccessionNumber",
    "InstitutionName",
    "InstitutionAddress",
    "ReferringPhysicianName",
    "PerformingPhysicianName",
    "OperatorsName",
    "StationName",
    "DeviceSerialNumber",
    "StudyID",
    "StudyInstanceUID",
    "SeriesInstanceUID",
    "SOPInstanceUID",
)


def no_deidentification(source: Path, target: Path) -> None:
    """Copy files unchanged: the control that shows the leak check works."""
    import shutil

    shutil.copytree(source, target, dirs_exist_ok=True)


def engine(key_file: Path | str, options: Iterable[str] = ()) -> Deidentify:
    """The book's de-identification engine (``imgshare.batch.deidentify_tree``) as a step."""

    def run(source: Path, target: Path) -> None:
        from imgshare.batch import deidentify_tree  # the lead's engine

        deidentify_tree(source, target, options=tuple(options), key_file=key_file)

    return run


def dicom_files(folder: Path) -> list[Path]:
    out = []
    for path in sorted(Path(folder).rglob("*")):
        if path.is_file() and path.name != "DICOMDIR":
            with open(path, "rb") as fh:
                fh.seek(128)
                if fh.read(4) == b"DICM":
                    out.append(path)
    return out


def identifying_values(files: Iterable[Path]) -> tuple[dict[str, str], dict[str, str]]:
    """Original identifying values (value -> attribute), at least three characters long.

    Returns ``(values, shared)``. A value that the same file also holds in an attribute
    the profile keeps (an MR whose InstitutionName "TOSHIBA" is part of its Manufacturer
    "TOSHIBA_MEC") is put in ``shared``, not searched for: finding it would say nothing
    about a leak. A person's name (VR PN) is never such an attribute, whether or not it is in
    :data:`IDENTIFYING`: an operator's name that reappears as the reading physician's must
    still be searched for.
    """
    values: dict[str, str] = {}
    kept: set[str] = set()
    for file in files:
        ds = dcmread(file, stop_before_pixels=True)
        for element in ds:
            if (
                element.keyword
                and element.keyword not in IDENTIFYING
                and element.VR not in ("SQ", "PN")
            ):
                kept.add(str(element.value).strip())
        for keyword in IDENTIFYING:
            value = ds.get(keyword)
            if value is None or value == "":
                continue
            for item in value if isinstance(value, list | tuple) else [value]:
                text = str(item).strip()
                if len(text) >= 3:
                    values[text] = keyword
    shared = {v: k for v, k in values.items() if any(v in other for other in kept)}
    return {v: k for v, k in values.items() if v not in shared}, shared


def find_leaks(files: Iterable[Path], values: dict[str, str]) -> list[dict[str, str]]:
    """Every original identifying value found anywhere in the received files' bytes.

    A byte search, not an attribute lookup: it also finds a value copied into a private
    attribute, a sequence, a description or the file meta header.
    """
    leaks = []
    encoded = {value: value.encode("latin-1", "ignore") for value in values}
    for file in files:
        data = Path(file).read_bytes()
        for value, raw in encoded.items():
            if raw and raw in data:
                leaks.append({"file": Path(file).name, "attribute": values[value], "value": value})
    return leaks


@dataclass
class LoopReport:
    """The evidence the loop returns."""

    sent: int = 0
    stored: int = 0
    studies_found: int = 0
    received: int = 0
    leaks: list[dict[str, str]] = field(default_factory=list)
    pixels_identical: int = 0
    pixels_differ: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    shared: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return (
            not self.leaks
            and not self.pixels_differ
            and not self.missing
            and self.pixels_identical == self.sent
        )

    def table(self) -> list[dict[str, object]]:
        return [
            {"check": "instances sent", "result": self.sent},
            {"check": "instances the archive holds", "result": self.stored},
            {"check": "studies found by query", "result": self.studies_found},
            {"check": "instances retrieved", "result": self.received},
            {"check": "identifying values found in what arrived", "result": len(self.leaks)},
            {"check": "values not searched (also in a kept attribute)", "result": len(self.shared)},
            {"check": "pixel data identical, byte for byte", "result": self.pixels_identical},
            {"check": "pixel data differs", "result": len(self.pixels_differ)},
            {"check": "sent but not retrieved", "result": len(self.missing)},
        ]


def _pixels(ds: Dataset) -> bytes | None:
    return ds.PixelData if "PixelData" in ds else None


def round_trip(
    source: Path | str,
    workdir: Path | str,
    server: OrthancServer,
    deidentify: Deidentify,
    via: str = "dimse",
) -> LoopReport:
    """De-identify ``source`` into ``workdir``, send, query, retrieve, and verify.

    ``via`` is ``"dimse"`` (C-STORE, C-FIND, C-MOVE) or ``"dicomweb"`` (STOW-RS, QIDO-RS,
    WADO-RS).
    """
    source, workdir = Path(source), Path(workdir)
    originals = dicom_files(source)
    deid_dir, received_dir = workdir / "deidentified", workdir / "received"
    deidentify(source, deid_dir)
    sent_files = dicom_files(deid_dir)
    report = LoopReport(sent=len(sent_files))
    sent = {}
    for file in sent_files:
        ds = dcmread(file)
        sent[str(ds.SOPInstanceUID)] = _pixels(ds)

    if via == "dimse":
        dimse.store(server.remote, sent_files)
        studies = [s["StudyInstanceUID"] for s in dimse.find(server.remote, StudyInstanceUID=None)]
        received_paths = []
        for study in studies:
            received_paths += dimse.move(
                server.remote, study, received_dir, destination_port=server.client.port
            )
        received = [dcmread(p) for p in received_paths]
    elif via == "dicomweb":
        web.stow(server, sent_files)
        studies = [s["StudyInstanceUID"] for s in web.qido(server, "studies")]
        received = []
        received_dir.mkdir(parents=True, exist_ok=True)
        for study in studies:
            for ds in web.wado_study(server, study):
                path = received_dir / f"{ds.SOPInstanceUID}.dcm"
                ds.save_as(path, enforce_file_format=True)
                received.append(ds)
        received_paths = dicom_files(received_dir)
    else:
        raise ValueError(f"via={via!r}: use 'dimse' or 'dicomweb'")

    report.stored = server.instance_count()
    report.studies_found = len(studies)
    report.received = len(received)
    values, report.shared = identifying_values(originals)
    report.leaks = find_leaks(received_paths, values)
    got = {str(ds.SOPInstanceUID): _pixels(ds) for ds in received}
    for uid, pixels in sent.items():
        if uid not in got:
            report.missing.append(uid)
        elif got[uid] == pixels:
            report.pixels_identical += 1
        else:
            report.pixels_differ.append(uid)
    return report
