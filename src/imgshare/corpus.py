"""A synthetic DICOM corpus with planted identifiers and an answer key, from a seed.

Why: a de-identification tool can only be judged on files where every identifier is known.
Real archives cannot be shared, and the sample files hide identifiers in few places. This
module writes a small archive (several patients, two studies each, CT, MR, DX, US with text
burned into the pixels, a multi-frame XA, an SR and an RTSTRUCT that reference the CT
images) with fake identifiers planted where real archives hide them: the attributes of
PS3.15 Table E.1-1, free text, nested sequences, private elements of known and unknown
creators (text, binary and VR UN), person names with all components and Japanese groups,
the file meta information, overlays, UIDs that embed record numbers and dates, and the file
and folder names. It also plants what must survive for research (modality, geometry,
acquisition parameters, patient sex, age, size and weight) and relations between files
(one patient across studies, references between files, intervals between study dates).

The answer key (JSON) is written from what the generator planted, never by reading the files
back with a checker: every identifying value with its kind; every place it went (the
generator looks each of its values up in the elements it built itself, and in the paths it
chose); the research attributes of each file; the pixel regions that hold burned-in text;
the references it wrote between files; and the relations to check. It imports nothing from
``imgshare.verify`` (which is judged against this key) nor from the engine. Everything is
made up; the same seed gives the same bytes.

    from imgshare import corpus
    key = corpus.generate(Path("corpus"), seed=7, patients=3)
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from pydicom import Dataset, Sequence
from pydicom.dataset import FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

ROOT_UID = "1.2.826.0.1.3680043.8.498."  # pydicom's documented root for example UIDs
#: Options the book recommends; research attributes are those they promise to keep.
RECOMMENDED = (
    "retain-long-modified-dates",
    "retain-patient-characteristics",
    "clean-descriptors",
    "clean-structured-content",
)
SOP = {
    "CT": "1.2.840.10008.5.1.4.1.1.2",
    "MR": "1.2.840.10008.5.1.4.1.1.4",
    "DX": "1.2.840.10008.5.1.4.1.1.1.1",
    "US": "1.2.840.10008.5.1.4.1.1.6.1",
    "XA": "1.2.840.10008.5.1.4.1.1.12.1",
    "SR": "1.2.840.10008.5.1.4.1.1.88.33",
    "RTSTRUCT": "1.2.840.10008.5.1.4.1.1.481.3",
}
STUDY_COMPONENT = "1.2.840.10008.3.1.2.3.1"  # Detached Study Management (retired), in RT refs
#: Attributes that may carry research value; the key records the value of each it planted.
RESEARCH_CANDIDATES = [
    "Modality",
    "Rows",
    "Columns",
    "PixelSpacing",
    "SliceThickness",
    "ImagePositionPatient",
    "ImageOrientationPatient",
    "KVP",
    "RepetitionTime",
    "EchoTime",
    "MagneticFieldStrength",
    "NumberOfFrames",
    "BodyPartExamined",
    "PatientSex",
    "PatientAge",
    "PatientWeight",
    "PatientSize",
    "Manufacturer",
    "ConvolutionKernel",
    "FrameTime",
    "BitsStored",
]

PATIENTS = [
    # name, character set, sex, date of birth, age at first study, weight, size
    ("Yamada^Tarou=山田^太郎=やまだ^たろう", ["", "ISO 2022 IR 87"], "M", "19580412", 62, 71),
    ("Doe^Jane^Quinn^Mrs^PhD", "ISO_IR 100", "F", "19510829", 68, 61),
    ("O'Brien^Seán^Patrick^Mr^Jr", "ISO_IR 100", "M", "19700101", 50, 88),
    ("Okafor^Adaeze^Ngozi^Dr", "ISO_IR 100", "F", "19830220", 37, 66),
    ("Müller^Jürgen^Karl^Herr", "ISO_IR 100", "M", "19620707", 58, 90),
]
STAFF = ["Smith^John^A^Dr", "Brown^Alice^^Dr", "Novak^Petra", "Garcia^Luis^^Dr", "Kim^Min-jun"]
SITES = [
    ("Example General Hospital", "1 High Street, Exampletown EX1 2AB", "EGH"),
    ("St Example Clinic", "22 Harbour Road, Sampleford SF3 9ZZ", "SEC"),
]


@dataclass
class Builder:
    """State while writing one corpus: the random source, identifiers and the key."""

    root: Path
    seed: int
    rng: random.Random
    identifiers: dict[str, str] = field(default_factory=dict)  # value -> kind
    files: list[dict[str, Any]] = field(default_factory=list)
    pixel_text: list[dict[str, Any]] = field(default_factory=list)
    patients: list[dict[str, Any]] = field(default_factory=list)
    planted: list[dict[str, Any]] = field(default_factory=list)
    references: list[dict[str, Any]] = field(default_factory=list)
    pending_refs: list[str] = field(default_factory=list)  # kinds, for the file being built
    recent: dict[str, str] = field(default_factory=dict)  # this patient's values, and shared

    def uid(self, *parts: object) -> str:
        return generate_uid(ROOT_UID, [str(self.seed), *map(str, parts)])

    def ident(self, value: str, kind: str) -> str:
        """Register an identifying value (it must not appear in any release)."""
        value = str(value)
        if searchable(value):
            self.identifiers.setdefault(value.strip(), kind)
            self.recent.setdefault(value.strip(), kind)
        return value

    def refer(self, kind: str, uid: str) -> str:
        """Record a reference planted in the file being built (to a sop, series, study, frame)."""
        self.pending_refs.append(kind)
        return uid


def searchable(value: str) -> bool:
    """Three characters, or two outside ASCII: shorter values would be found everywhere."""
    value = value.strip()
    return len(value) >= 3 or (len(value) >= 2 and not value.isascii())


def generate(root: str | Path, seed: int = 7, patients: int = 3, slices: int = 3) -> dict[str, Any]:
    """Write the corpus under ROOT and ROOT/../answer-key next to it; return the key.

    The key is also written to ``ROOT.with_suffix('.key.json')`` (beside the folder, not in
    it, so that a tool run on the folder never sees it).
    """
    root = Path(root)
    b = Builder(root, seed, random.Random(seed))
    _register_name(b, STAFF[0], "staff")  # named in image comments of every study
    shared = dict(b.recent)
    for p in range(patients):
        b.recent = dict(shared)
        _patient(b, p, slices)
    key = answer_key(b)
    key_path = root.parent / (root.name + ".key.json")
    key_path.write_text(json.dumps(key, indent=1, ensure_ascii=False) + "\n")
    return key


def key_path(root: str | Path) -> Path:
    """Where :func:`generate` writes the answer key for a corpus folder."""
    root = Path(root)
    return root.parent / (root.name + ".key.json")


# --- one patient -------------------------------------------------------------------------


def _patient(b: Builder, p: int, slices: int) -> None:
    rng = b.rng
    name, charset, sex, birth, age, weight = PATIENTS[p % len(PATIENTS)]
    if p >= len(PATIENTS):  # more patients than templates: vary the names, keep the shape
        family, rest = name.split("^", 1)
        name = f"{family}{p}^{rest}"
    _register_name(b, name, "name")
    mrn = b.ident(f"MRN{400000 + 7919 * p % 99991:06d}", "id")
    other = b.ident(
        f"NHS {rng.randint(100, 999)} {rng.randint(100, 999)} {rng.randint(1000, 9999)}", "id"
    )
    birth = b.ident(birth, "date")
    _register_date(b, birth)
    address = b.ident(
        f"{rng.randint(2, 99)} {rng.choice(['Mill Lane', 'Church Road', 'Station St'])}, "
        "Exampletown",
        "address",
    )
    phone = b.ident(f"0{rng.randint(1000, 1999)} {rng.randint(100000, 999999)}", "phone")
    mother = b.ident(f"{rng.choice(['Ito', 'Evans', 'Walsh', 'Nwosu', 'Schmidt'])}^Maria", "name")
    _register_name(b, mother, "name")
    site = SITES[p % len(SITES)]
    b.ident(site[0], "institution")
    b.ident(site[1], "address")
    patient = {
        "id": f"patient-{p}",
        "name": name,
        "charset": charset,
        "sex": sex,
        "birth": birth,
        "age": age,
        "weight": weight,
        "size": round(1.55 + 0.05 * (p % 6), 2),
        "mrn": mrn,
        "other_id": other,
        "address": address,
        "phone": phone,
        "mother": mother,
        "site": site,
    }
    first = 20200101 + 100 * (p % 9) + 10 + p % 17
    d0 = _date(str(first))
    interval = 35 + 14 * (p % 5)
    studies = []
    for s, days in enumerate([0, interval]):
        date = _add_days(d0, days)
        studies.append(_study(b, patient, s, date, slices))
    b.patients.append(
        {
            "patient": patient["id"],
            "studies": [{"study": st["id"], "date": st["date"]} for st in studies],
            "intervals_days": [interval],
        }
    )


def _register_name(b: Builder, name: str, kind: str) -> None:
    b.ident(name, kind)
    for group in name.split("="):
        for part in group.split("^"):
            if part not in ("PhD", "Mrs", "Herr"):
                b.ident(part, kind)


def _register_date(b: Builder, da: str) -> None:
    y, m, d = da[:4], da[4:6], da[6:8]
    for form in (f"{d}/{m}/{y}", f"{y}-{m}-{d}", f"{d}.{m}.{y}"):
        b.ident(form, "date")


def _date(text: str):
    import datetime as dt

    return dt.datetime.strptime(text, "%Y%m%d").date()


def _add_days(day, n: int) -> str:
    import datetime as dt

    return (day + dt.timedelta(days=n)).strftime("%Y%m%d")


def _study(b: Builder, pt: dict[str, Any], s: int, date: str, slices: int) -> dict[str, Any]:
    rng = b.rng
    _register_date(b, date)
    b.ident(date, "date")
    n = int(pt["id"].split("-")[1])
    accession = b.ident(f"A{date[2:]}{n:02d}{s}", "id")
    # a UID that embeds the record number and the date, as some archives make them
    study_uid = b.ident(f"{ROOT_UID}{pt['mrn'][3:]}.{date}.{s + 1}", "uid")
    staff = STAFF[(n + s) % len(STAFF)]
    _register_name(b, staff, "staff")
    operator = STAFF[(n + s + 2) % len(STAFF)]
    _register_name(b, operator, "staff")
    station = b.ident(f"{pt['site'][2]}-SCAN-{rng.randint(10, 99)}", "device")
    serial = b.ident(f"SN{rng.randint(100000, 999999)}", "device")
    study = {
        "id": f"{pt['id']}/study-{s}",
        "date": date,
        "uid": study_uid,
        "accession": accession,
        "study_id": b.ident(f"ST{rng.randint(10000, 99999)}", "id"),
        "staff": staff,
        "operator": operator,
        "station": station,
        "serial": serial,
        "time": f"{8 + s:02d}{rng.randint(10, 59)}00",
    }
    family, given = pt["name"].split("=")[0].split("^")[:2]
    folder = Path(f"{family}_{given}_{pt['mrn']}".replace("'", "")) / f"{date}_{accession}"
    if s == 0:
        ct = _series(b, pt, study, folder, "CT", 1, slices)
        _series(b, pt, study, folder, "US", 3, 1)
        _sr(b, pt, study, folder, ct)
        _rtstruct(b, pt, study, folder, ct)
    else:
        _series(b, pt, study, folder, "MR", 1, max(2, slices - 1))
        _series(b, pt, study, folder, "DX", 2, 1)
        _series(b, pt, study, folder, "XA", 3, 1)
    return study


# --- the common header ---------------------------------------------------------------------


def _header(b: Builder, pt: dict[str, Any], st: dict[str, Any], modality: str) -> Dataset:
    """Patient, study, equipment and request attributes shared by every file of a study."""
    ds = Dataset()
    ds.SpecificCharacterSet = pt["charset"]
    ds.SOPClassUID = SOP[modality]
    ds.Modality = modality
    ds.PatientName = pt["name"]
    ds.PatientID = pt["mrn"]
    ds.IssuerOfPatientID = pt["site"][0]
    ds.PatientBirthDate = pt["birth"]
    ds.PatientSex = pt["sex"]
    ds.PatientAge = f"{pt['age']:03d}Y"
    ds.PatientWeight = str(pt["weight"])
    ds.PatientSize = str(pt["size"])
    ds.PatientAddress = pt["address"]
    ds.PatientTelephoneNumbers = pt["phone"]
    ds.PatientMotherBirthName = pt["mother"]
    ds.OtherPatientIDs = pt["other_id"]
    other = Dataset()
    other.PatientID = pt["other_id"]
    other.IssuerOfPatientID = "NHS"
    other.TypeOfPatientID = "TEXT"
    ds.OtherPatientIDsSequence = Sequence([other])
    family, given = pt["name"].split("=")[0].split("^")[:2]
    d = st["date"]
    human_date = f"{d[6:]}/{d[4:6]}/{d[:4]}"
    ds.AdditionalPatientHistory = (
        f"Seen {human_date}; {given} {family} reports pain. Call {pt['phone']}"
    )
    ds.PatientComments = f"Patient {family} prefers mornings; mother {pt['mother'].split('^')[0]}"
    ds.StudyInstanceUID = st["uid"]
    ds.StudyDate = ds.SeriesDate = ds.ContentDate = ds.AcquisitionDate = d
    ds.StudyTime = ds.SeriesTime = ds.ContentTime = st["time"]
    ds.AccessionNumber = st["accession"]
    ds.StudyID = st["study_id"]
    ds.StudyDescription = f"{modality} follow-up for {family}, {given} {human_date}"
    ds.ReferringPhysicianName = st["staff"]
    ds.PerformingPhysicianName = st["staff"]
    ds.OperatorsName = st["operator"]
    ds.InstitutionName = pt["site"][0]
    ds.InstitutionAddress = pt["site"][1]
    ds.StationName = st["station"]
    ds.DeviceSerialNumber = st["serial"]
    ds.Manufacturer = "ExampleVendor"
    request = Dataset()
    request.RequestingPhysician = st["staff"]
    request.RequestedProcedureID = st["accession"]
    request.AccessionNumber = st["accession"]
    request.ScheduledProcedureStepID = st["study_id"]
    request.ReasonForTheRequestedProcedure = f"Follow-up of {family} after {human_date}"
    ds.RequestAttributesSequence = Sequence([request])
    return ds


def _private(b: Builder, ds: Dataset, pt: dict[str, Any], st: dict[str, Any]) -> None:
    """Private elements: a known vendor creator, an unknown one, text, binary and VR UN."""
    family = pt["name"].split("^")[0]
    known = ds.private_block(0x0009, "GEMS_IDEN_01", create=True)
    known.add_new(0x02, "SH", st["station"])
    known.add_new(0x04, "LO", pt["site"][0])
    unknown = ds.private_block(0x0029, "ACME_NOTES 1.0", create=True)
    unknown.add_new(0x10, "LT", f"Phoned {family} on {pt['phone']} about {st['accession']}")
    unknown.add_new(0x11, "OB", b"\x01\x00REC:" + pt["mrn"].encode() + b"\x00" * 6)
    unknown.add_new(0x12, "UN", _encode_name(pt) + b" ")


def _encode_name(pt: dict[str, Any]) -> bytes:
    name = pt["name"].split("=")[0]
    return name.encode("latin-1", "replace")


def _file_name(pt: dict[str, Any], modality: str, series: int, i: int) -> str:
    return f"{pt['mrn']}_{modality}{series}_{i + 1:04d}.dcm"


def _pixels(b: Builder, shape: tuple[int, ...], bits: int) -> np.ndarray:
    rng = np.random.default_rng(b.rng.randint(0, 2**31))
    high = 2**12 if bits == 16 else 200
    dtype = np.uint16 if bits == 16 else np.uint8
    return rng.integers(0, high, size=shape, dtype=dtype)


def _series(
    b: Builder,
    pt: dict[str, Any],
    st: dict[str, Any],
    folder: Path,
    modality: str,
    number: int,
    count: int,
) -> list[Dataset]:
    series_uid = b.ident(b.uid(st["id"], modality, "series"), "uid")
    frame_uid = b.ident(b.uid(st["id"], modality, "for"), "uid")
    family, given = pt["name"].split("=")[0].split("^")[:2]
    made = []
    sop_uids = [b.ident(b.uid(st["id"], modality, i), "uid") for i in range(count)]
    for i in range(count):
        ds = _header(b, pt, st, modality)
        ds.SOPInstanceUID = sop_uids[i]
        ds.SeriesInstanceUID = series_uid
        ds.SeriesNumber = number
        ds.InstanceNumber = i + 1
        ds.FrameOfReferenceUID = frame_uid
        ds.BodyPartExamined = {"CT": "CHEST", "MR": "HEAD", "DX": "CHEST", "US": "ABDOMEN"}.get(
            modality, "HEART"
        )
        ds.ProtocolName = f"{modality} protocol {family} {st['accession']}"
        ds.SeriesDescription = f"{modality} series {number} ({given})"
        ds.ImageComments = f"Reviewed by Dr {STAFF[0].split('^')[0]} on {st['date']}"
        ds.SamplesPerPixel = 1
        ds.PhotometricInterpretation = "MONOCHROME2"
        bits = 16 if modality in ("CT", "MR", "DX") else 8
        rows, cols = {"US": (96, 160), "XA": (48, 48), "DX": (80, 64)}.get(modality, (64, 64))
        ds.Rows, ds.Columns = rows, cols
        ds.BitsAllocated = ds.BitsStored = bits
        ds.HighBit = bits - 1
        ds.PixelRepresentation = 0
        ds.PixelSpacing = [0.7 + 0.05 * number, 0.7 + 0.05 * number]
        frames = 4 if modality == "XA" else 1
        shape = (frames, rows, cols) if frames > 1 else (rows, cols)
        pixels = _pixels(b, shape, bits)
        if modality in ("CT", "MR"):
            ds.ImagePositionPatient = [-120.0, -110.0, 30.0 + 2.5 * i]
            ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
            ds.SliceThickness = "2.5"
        if modality == "CT":
            ds.KVP = "120"
            ds.ConvolutionKernel = "B30f"
            ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
            if count > 1:
                ref = Dataset()
                ref.ReferencedSOPClassUID = SOP["CT"]
                ref.ReferencedSOPInstanceUID = b.refer("sop", sop_uids[(i + 1) % count])
                ds.ReferencedImageSequence = Sequence([ref])
        if modality == "MR":
            ds.RepetitionTime = "2300"
            ds.EchoTime = "2.98"
            ds.MagneticFieldStrength = "3"
        if modality == "DX":
            ds.KVP = "110"
        if modality == "XA":
            ds.NumberOfFrames = frames
            ds.FrameTime = "66.7"
            ds.FrameIncrementPointer = 0x00181063
        text_rows = None
        if modality == "US":
            ds.BurnedInAnnotation = "YES"
            text_rows = _burn_text(pixels, f"{family.upper()} {pt['mrn']} {st['date']}")
        if modality in ("CT", "DX") and i == 0:
            _overlay(ds, f"{family} {pt['mrn']}", rows, cols)
        ds.PixelData = pixels.tobytes()
        _private(b, ds, pt, st)
        rel = folder / f"{number}_{modality}" / _file_name(pt, modality, number, i)
        _save(b, ds, rel, pt)
        record = _record(ds, rel, pt, st)
        if text_rows is not None:
            r0, r1 = text_rows
            bpp = bits // 8
            region = pixels.tobytes()[r0 * cols * bpp : r1 * cols * bpp]
            b.pixel_text.append(
                {
                    "file": rel.as_posix(),
                    "rows": [r0, r1],
                    "text_kinds": ["name", "id", "date"],
                    "region_sha256": hashlib.sha256(region).hexdigest(),
                    "image": [rows, cols, bits],
                }
            )
        b.files.append(record)
        made.append(ds)
    return made


def _burn_text(pixels: np.ndarray, text: str) -> tuple[int, int]:
    """Draw text into the top rows of an 8-bit image, as an ultrasound machine does."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    rows, cols = pixels.shape
    fig = Figure(figsize=(cols / 100, 0.16), dpi=100)
    canvas = FigureCanvasAgg(fig)
    fig.text(0.01, 0.1, text, fontsize=7, color="white", family="DejaVu Sans Mono")
    fig.patch.set_facecolor("black")
    canvas.draw()
    mask = np.asarray(canvas.buffer_rgba())[:, :, 0] > 100
    height = mask.shape[0]
    pixels[2 : 2 + height, : mask.shape[1]][mask[:, :cols]] = 255
    return 2, 2 + height


def _overlay(ds: Dataset, text: str, rows: int, cols: int) -> None:
    """An overlay plane whose label and description name the patient."""
    bits = np.zeros((rows, cols), dtype=np.uint8)
    bits[2:8, 2 : 2 + min(cols - 4, 6 * len(text))] = 1  # a box where a label would be
    packed = np.packbits(bits.reshape(-1), bitorder="little").tobytes()
    ds.add_new(0x60000010, "US", rows)
    ds.add_new(0x60000011, "US", cols)
    ds.add_new(0x60000022, "LO", f"Annotation {text}")
    ds.add_new(0x60000040, "CS", "G")
    ds.add_new(0x60000050, "SS", [1, 1])
    ds.add_new(0x60000100, "US", 1)
    ds.add_new(0x60000102, "US", 0)
    ds.add_new(0x60001500, "LO", text)
    ds.add_new(0x60003000, "OW", packed)


def _save(b: Builder, ds: Dataset, rel: Path, pt: dict[str, Any]) -> None:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = ds.SOPClassUID
    meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = ROOT_UID + "1"
    meta.SourceApplicationEntityTitle = b.ident(f"{pt['site'][2]}_PACS_{pt['mrn'][-3:]}", "device")
    meta.PrivateInformationCreatorUID = ROOT_UID + "2"
    meta.PrivateInformation = b"owner=" + pt["mrn"].encode()
    ds.file_meta = meta
    path = b.root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path, enforce_file_format=True)
    _note_planted(b, ds, rel.as_posix())
    b.references += [{"file": rel.as_posix(), "kind": k} for k in b.pending_refs]
    b.pending_refs = []


def _note_planted(b: Builder, ds: Dataset, rel: str) -> None:
    """Where this file holds each identifying value: the elements and the path built here.

    The generator knows what it put in each element: it looks its own values up in the
    dataset it built (strings as set, bytes as Latin-1), before any reader sees the file.
    """
    values = sorted(b.recent.items(), key=lambda kv: -len(kv[0]))
    lowered = [(v.lower(), v, k) for v, k in values]

    def note(text: str, where: str, category: str) -> None:
        low = text.lower()
        for needle, value, kind in lowered:
            if needle in low:
                b.planted.append({"value": value, "kind": kind, "category": category,
                                  "file": rel, "location": where})  # fmt: skip

    note(rel, "path", "path")
    for where, _tags, elem in _walk(ds.file_meta):
        note(_text(elem.value), where, "file meta")
    for where, tags, elem in _walk(ds):
        note(_text(elem.value), where, _where(tags, elem))


def _walk(ds: Dataset, prefix: str = "", tags: tuple[int, ...] = ()):
    for elem in ds:
        here = (*tags, int(elem.tag))
        path = f"{prefix}({elem.tag.group:04X},{elem.tag.element:04X})"
        if elem.VR == "SQ":
            for i, item in enumerate(elem.value):
                yield from _walk(item, f"{path}[{i}].", here)
        else:
            yield path, here, elem


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("latin-1")
    if isinstance(value, list | tuple) or type(value).__name__ == "MultiValue":
        return "\\".join(_text(v) for v in value)
    return str(value)


def _where(tags: tuple[int, ...], elem: Any) -> str:
    """The hiding place the generator chose, by where it put the element."""
    if any((t >> 16) & 0xFF00 == 0x6000 for t in tags):
        return "overlay"
    if any((t >> 16) % 2 for t in tags):
        return "private"
    if elem.VR == "UI":
        return "uid"
    if elem.VR in ("LT", "ST", "UT") or any(
        w in elem.keyword
        for w in (
            "Description",
            "Comment",
            "History",
            "Protocol",
            "Reason",
            "Label",
            "Text",
        )  # fmt: skip
    ):
        return "free text"
    if len(tags) > 1:
        return "sequence"
    if elem.VR == "PN" and not str(elem.value).isascii():
        return "other-language"
    return "attribute"


def _record(ds: Dataset, rel: Path, pt: dict[str, Any], st: dict[str, Any]) -> dict[str, Any]:
    """The key's entry for one file: its patient, study, pixel hash and research values."""
    research = {k: _plain(ds[k].value) for k in RESEARCH_CANDIDATES if k in ds}
    pixel = ds.get("PixelData")
    return {
        "file": rel.as_posix(),
        "patient": pt["id"],
        "study": st["id"],
        "modality": str(ds.Modality),
        "pixel_sha256": hashlib.sha256(pixel).hexdigest() if pixel else None,
        "research": research,
    }


def _plain(value: Any) -> Any:
    if isinstance(value, list | tuple) or type(value).__name__ == "MultiValue":
        return [_plain(v) for v in value]
    if isinstance(value, int | float | str):
        return value if isinstance(value, int | str) else float(value)
    return str(value)


# --- structured files that reference the images --------------------------------------------


def _sr(
    b: Builder, pt: dict[str, Any], st: dict[str, Any], folder: Path, ct: list[Dataset]
) -> None:
    ds = _header(b, pt, st, "SR")
    family, given = pt["name"].split("=")[0].split("^")[:2]
    d = st["date"]
    ds.SOPInstanceUID = b.ident(b.uid(st["id"], "SR", 0), "uid")
    ds.SeriesInstanceUID = b.ident(b.uid(st["id"], "SR", "series"), "uid")
    ds.SeriesNumber = 90
    ds.InstanceNumber = 1
    ds.CompletionFlag = "COMPLETE"
    ds.VerificationFlag = "VERIFIED"
    observer = Dataset()
    observer.VerifyingObserverName = st["staff"]
    observer.VerifyingOrganization = pt["site"][0]
    observer.VerificationDateTime = d + "120000"
    observer.VerifyingObserverIdentificationCodeSequence = Sequence()
    ds.VerifyingObserverSequence = Sequence([observer])
    ds.ValueType = "CONTAINER"
    ds.ContinuityOfContent = "SEPARATE"
    ds.ConceptNameCodeSequence = Sequence([_code("126000", "DCM", "Imaging Measurement Report")])
    text = _item("CONTAINS", "TEXT", _code("121071", "DCM", "Finding"))
    text.TextValue = (
        f"Nodule stable. Discussed with {given} {family} on {d[6:]}/{d[4:6]}/{d[:4]}, "
        f"tel {pt['phone']}."
    )
    person = _item("HAS OBS CONTEXT", "PNAME", _code("121008", "DCM", "Person Observer Name"))
    person.PersonName = st["staff"]
    date = _item("HAS OBS CONTEXT", "DATE", _code("111060", "DCM", "Study Date"))
    date.Date = d
    num = _item("CONTAINS", "NUM", _code("410668003", "SCT", "Length"))
    measured = Dataset()
    measured.NumericValue = "12.5"
    measured.MeasurementUnitsCodeSequence = Sequence([_code("mm", "UCUM", "millimeter")])
    num.MeasuredValueSequence = Sequence([measured])
    image = _item("CONTAINS", "IMAGE", _code("121080", "DCM", "Best illustration of finding"))
    ref = Dataset()
    ref.ReferencedSOPClassUID = SOP["CT"]
    ref.ReferencedSOPInstanceUID = b.refer("sop", ct[0].SOPInstanceUID)
    image.ReferencedSOPSequence = Sequence([ref])
    ds.ContentSequence = Sequence([person, date, text, num, image])
    evidence = Dataset()
    evidence.StudyInstanceUID = b.refer("study", st["uid"])
    series = Dataset()
    series.SeriesInstanceUID = b.refer("series", ct[0].SeriesInstanceUID)
    series.ReferencedSOPSequence = Sequence([_ref(b, SOP["CT"], c.SOPInstanceUID) for c in ct])
    evidence.ReferencedSeriesSequence = Sequence([series])
    ds.CurrentRequestedProcedureEvidenceSequence = Sequence([evidence])
    _private(b, ds, pt, st)
    rel = folder / "90_SR" / _file_name(pt, "SR", 90, 0)
    _save(b, ds, rel, pt)
    b.files.append(_record(ds, rel, pt, st))


def _rtstruct(
    b: Builder, pt: dict[str, Any], st: dict[str, Any], folder: Path, ct: list[Dataset]
) -> None:
    ds = _header(b, pt, st, "RTSTRUCT")
    family = pt["name"].split("^")[0]
    ds.SOPInstanceUID = b.ident(b.uid(st["id"], "RTSTRUCT", 0), "uid")
    ds.SeriesInstanceUID = b.ident(b.uid(st["id"], "RTSTRUCT", "series"), "uid")
    ds.FrameOfReferenceUID = ct[0].FrameOfReferenceUID
    ds.SeriesNumber = 91
    ds.InstanceNumber = 1
    ds.StructureSetLabel = f"{family} plan"
    ds.StructureSetName = f"GTV {pt['mrn']}"
    ds.StructureSetDate = st["date"]
    ds.StructureSetTime = st["time"]
    series = Dataset()
    series.SeriesInstanceUID = b.refer("series", ct[0].SeriesInstanceUID)
    series.ContourImageSequence = Sequence([_ref(b, SOP["CT"], c.SOPInstanceUID) for c in ct])
    study = _ref(b, STUDY_COMPONENT, st["uid"], "study")
    study.RTReferencedSeriesSequence = Sequence([series])
    frame = Dataset()
    frame.FrameOfReferenceUID = b.refer("frame", ct[0].FrameOfReferenceUID)
    frame.RTReferencedStudySequence = Sequence([study])
    ds.ReferencedFrameOfReferenceSequence = Sequence([frame])
    roi = Dataset()
    roi.ROINumber = 1
    roi.ReferencedFrameOfReferenceUID = b.refer("frame", ct[0].FrameOfReferenceUID)
    roi.ROIName = "GTV"
    roi.ROIGenerationAlgorithm = "MANUAL"
    ds.StructureSetROISequence = Sequence([roi])
    contour = Dataset()
    contour.ContourImageSequence = Sequence([_ref(b, SOP["CT"], ct[0].SOPInstanceUID)])
    contour.ContourGeometricType = "CLOSED_PLANAR"
    contour.NumberOfContourPoints = 3
    contour.ContourData = [0.0, 0.0, 30.0, 10.0, 0.0, 30.0, 0.0, 10.0, 30.0]
    roi_contour = Dataset()
    roi_contour.ReferencedROINumber = 1
    roi_contour.ContourSequence = Sequence([contour])
    ds.ROIContourSequence = Sequence([roi_contour])
    obs = Dataset()
    obs.ObservationNumber = 1
    obs.ReferencedROINumber = 1
    obs.ROIInterpreter = st["staff"]
    obs.RTROIInterpretedType = "GTV"
    ds.RTROIObservationsSequence = Sequence([obs])
    _private(b, ds, pt, st)
    rel = folder / "91_RTSTRUCT" / _file_name(pt, "RTSTRUCT", 91, 0)
    _save(b, ds, rel, pt)
    b.files.append(_record(ds, rel, pt, st))


def _code(value: str, scheme: str, meaning: str) -> Dataset:
    item = Dataset()
    item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = value, scheme, meaning
    return item


def _item(relationship: str, value_type: str, concept: Dataset) -> Dataset:
    item = Dataset()
    item.RelationshipType = relationship
    item.ValueType = value_type
    item.ConceptNameCodeSequence = Sequence([concept])
    return item


def _ref(b: Builder, sop_class: str, sop_instance: str, kind: str = "sop") -> Dataset:
    item = Dataset()
    item.ReferencedSOPClassUID = sop_class
    item.ReferencedSOPInstanceUID = b.refer(kind, sop_instance)
    return item


# --- the answer key ------------------------------------------------------------------------


def answer_key(b: Builder) -> dict[str, Any]:
    """Everything a checker needs, from what the generator planted."""
    identifiers = [{"value": v, "kind": k} for v, k in sorted(b.identifiers.items())]
    return {
        "generator": "imgshare.corpus",
        "seed": b.seed,
        "recommended_options": list(RECOMMENDED),
        "identifiers": identifiers,
        "planted": b.planted,
        "pixel_text": b.pixel_text,
        "files": b.files,
        "patients": b.patients,
        "references": len(b.references),
        "reference_list": b.references,
    }


__all__ = ["generate", "key_path", "answer_key", "RECOMMENDED"]
