"""The free-text cleaner (Clean Descriptors, Clean Structured Content, sidecar free text).

Every expected value here is written by hand: which words are identifiers and which are clinical
is stated in the case itself, not taken from the cleaner. None of these strings comes from the
benchmark's generator (benchmarks/freetext_corpus.py): other names, other places, other forms.
The corpus check at the end judges leaks from ``imgshare.corpus``'s own record of what it planted.
"""

from __future__ import annotations

import re
from pathlib import Path

import pydicom
import pytest
from pydicom import Dataset, Sequence
from pydicom.data import get_testdata_file

from imgshare.dicom import engine, keys, text
from imgshare.dicom.config import Config

CLEANER = text.Cleaner([], text.vocabulary())


def words(s: str | None) -> set[str]:
    return {w.lower() for w in re.findall(r"[^\W_]+", s or "")}


def check(source: str, gone: list[str], kept: list[str]) -> str:
    """Clean SOURCE; every word of GONE must be absent, every word of KEPT present."""
    out = CLEANER.clean(source)
    assert out is not None
    left = words(out)
    for g in gone:
        for w in words(g):
            assert w not in left, f"{g!r} survived in {out!r}"
    for k in kept:
        for w in words(k):
            assert w in left, f"{k!r} was lost from {out!r}"
    return out


# --- names after relations, titles and agent phrases ----------------------------------------


@pytest.mark.parametrize(
    ("source", "gone", "kept"),
    [
        ("Hx per sister Tamsin, chest pain", ["Tamsin"], ["chest", "pain"]),
        ("knee pain, info from daughter Marguerite Osei", ["Marguerite", "Osei"], ["knee", "pain"]),
        ("Seen with husband Dong-hyun", ["Dong", "hyun"], []),
        ("HX PER MOTHER SIOBHAIN", ["SIOBHAIN"], []),
        ("pt anxious, wife Heather present", ["Heather"], ["anxious"]),  # name and English word
        ("lives with son Rowan Ellery", ["Rowan", "Ellery"], []),
        ("father has diabetes", [], ["father", "has", "diabetes"]),  # no name follows
    ],
)
def test_relatives_names_are_removed(source, gone, kept):
    check(source, gone, kept)


@pytest.mark.parametrize(
    ("source", "gone", "kept"),
    [
        ("requested by Dr Zoltan Arkwright", ["Zoltan", "Arkwright"], []),
        ("CT chest, referred by Ngozi Eze", ["Ngozi", "Eze"], ["CT", "chest"]),
        ("seen by Prof. Baptiste", ["Baptiste"], []),
        ("Dr White to review", ["White"], ["review"]),  # a name that is a clinical word
        ("MRI brain per Mrs Ambrose", ["Ambrose"], ["MRI", "brain"]),
        ("discussed with Mr K. Balogun", ["Balogun"], []),
        ("Reported by: Hollis, Evangeline", ["Hollis", "Evangeline"], []),
    ],
)
def test_clinicians_names_are_removed(source, gone, kept):
    check(source, gone, kept)


@pytest.mark.parametrize(
    ("source", "gone", "kept"),
    [
        # after a cue, the word after an initial is the family name, even a clinical word
        ("accompanied by cousin R. Crohn", ["Crohn"], []),
        ("info from stepfather T. Paget", ["Paget"], []),
        ("HX PER GRANDSON L. ALLEN", ["ALLEN"], []),
        # no cue: an initial and a proper noun written as a name
        ("MR knee arthrogram; reviewed, P. Walsh", ["Walsh"], ["knee", "arthrogram"]),
        # in Title Case text, where capitals mark nothing else
        ("CT Abdomen And Pelvis With Contrast, J. Brown", ["Brown"], ["Abdomen", "Contrast"]),
    ],
)
def test_a_family_name_after_an_initial_is_removed(source, gone, kept):
    check(source, gone, kept)


@pytest.mark.parametrize(
    "source",
    [
        "Hepatitis B. Liver elastography",
        "Low vitamin D. Bone density",
        "Grade A. Pelvis",
        "MR BRAIN. White Matter Lesions",  # a word in capitals and a full stop: no initial
        "Grade A White Matter Lesions",  # a capital letter without a full stop: no initial
    ],
)
def test_a_capital_letter_ending_a_clause_is_not_an_initial(source):
    assert CLEANER.clean(source) == source


def test_a_bare_name_after_a_protocol_term_is_removed():
    check("T2 FLAIR axial Thistlewood", ["Thistlewood"], ["T2", "FLAIR", "axial"])
    # a family name that is an English word, written as a name inside a sentence
    check("Abdomen ultrasound for Mrs jones, booked by Baker", ["Baker"], ["Abdomen", "ultrasound"])


# --- patterns ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "date",
    ["07/11/2019", "7/11/19", "2019-11-07", "20191107", "07.11.2019", "7 November 2019",
     "November 7, 2019", "07-Nov-2019", "07NOV2019", "7th Nov", "Nov 7th", "Nov 2019", "7/11"],
)  # fmt: skip
def test_dates_in_common_formats_are_removed(date):
    check(f"Follow-up scan {date} lung nodule", [date], ["scan", "lung", "nodule"])


@pytest.mark.parametrize(
    "ident",
    ["MRN 55120394", "Hosp no K7712093", "NHS 943 476 5919", "Acc A99001234", "ID 7731-22",
     "#8834120", "RN: 00451"],
)  # fmt: skip
def test_record_numbers_are_removed(ident):
    out = check(f"Pelvis MRI {ident}", [], ["Pelvis", "MRI"])
    digits = re.sub(r"\D", "", ident)
    assert digits not in re.sub(r"\D", "", out), out


@pytest.mark.parametrize(
    "phone",
    ["01632 960713", "+44 113 496 0851", "(312) 555-0187", "555.201.3344", "ext 4471",
     "bleep 2206", "+33 1 70 36 39 00"],
)  # fmt: skip
def test_phone_numbers_are_removed(phone):
    out = check(f"contact {phone} re contrast", [], ["contrast"])
    assert not re.search(r"\d{3}", out), out


@pytest.mark.parametrize(
    ("address", "gone"),
    [
        ("17 Ropewalk Lane, Kirkwall", ["17", "Ropewalk", "Kirkwall"]),
        ("Flat 4, 9 Carrow Road", ["4", "9", "Carrow"]),
        ("PO Box 772, Dunedin", ["772", "Dunedin"]),
        ("postcode KY16 9AJ", ["KY16", "9AJ"]),
        ("m.roth@example.net", ["roth", "example"]),
        ("see https://pacs.example.org/study/1", ["pacs", "example"]),
    ],
)
def test_addresses_and_contacts_are_removed(address, gone):
    check(f"Knee MRI; {address}", gone, ["Knee", "MRI"])


@pytest.mark.parametrize(
    ("source", "gone"),
    [
        ("CT head - Royal Gwent Infirmary", ["Gwent"]),
        ("transferred from Maidstone", ["Maidstone"]),
        ("prior imaging at St Ebba's Hospital", ["Ebba"]),
        ("Klinikum Rosenheim PET", ["Rosenheim"]),
        ("MRI done in Reading last year", ["Reading"]),  # a place that is an English word
    ],
)
def test_places_and_hospitals_are_removed(source, gone):
    check(source, gone, [])


def test_the_datasets_own_values_are_removed_anywhere():
    cleaner = text.Cleaner(["Quennell", "PX-4471"], text.vocabulary())
    out = cleaner.clean("Chest for QUENNELL, ref px-4471")
    assert "quennell" not in out.lower() and "4471" not in out


# --- what is kept -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        "t1_mprage_sag_p2_iso",
        "ep2d_diff_mddw_20dir b1000",
        "CT Abdomen/Pelvis with IV contrast, portal venous phase",
        "Ax T2 FSE FS 3mm",
        "Left knee effusion, ?meniscal tear",
        "Lossy compression ratio 12.5",
        "Breast MRI, dynamic post-gadolinium, bilateral",
        "Cholangiogram via existing drain",
    ],
)
def test_clinical_and_technical_text_is_kept_whole(source):
    assert CLEANER.clean(source) == source


def test_unknown_words_are_removed_and_marked():
    out = CLEANER.clean("Brain MRI Quixotlan")
    assert out == f"Brain MRI {text.REDACTED}"


def test_adjacent_removals_make_one_marker():
    out = CLEANER.clean("Chest per daughter Anwuli Chukwuma")
    assert out.count(text.REDACTED) == 1, out


def test_a_value_too_long_for_its_vr_is_shortened():
    source = "Chest " + " ".join(["Zqxw"] * 10)
    out = CLEANER.clean(source, max_length=16)
    assert len(out) <= 16 and "zqxw" not in out.lower()


def test_without_a_vocabulary_the_older_behaviour_stays():
    """OCR uses Cleaner(values): unknown words are kept, patterns and values removed."""
    old = text.Cleaner(["Quennell"])
    assert old.clean("Brain MRI Quixotlan") == "Brain MRI Quixotlan"
    assert "Quennell" not in old.clean("ref Quennell 07/11/2019")


def test_the_vocabulary_lists_record_source_and_licence():
    folder = Path(text.__file__).parent / "vocabulary"
    for path in sorted(folder.glob("*.txt")):
        head = path.read_text(encoding="utf-8").splitlines()[:6]
        joined = " ".join(head).lower()
        assert "source" in joined or "words of" in joined or "from" in joined, path.name
        assert "licence" in joined, path.name


def test_no_word_only_the_animal_breed_groups_use_is_kept_as_clinical():
    """Breed names are mostly places and family names (CID 7480 Breed, 7481 Breed Registry):
    a word that only they use, per pydicom's own copy of the code meanings, is not clinical."""
    from pydicom.datadict import DicomDictionary
    from pydicom.sr import _cid_dict, _concepts_dict

    breeds, elsewhere = set(), set()
    for codes_by_keyword in _concepts_dict.concepts.values():
        for codes in codes_by_keyword.values():
            for meaning, cids in codes.values():
                found = {w.lower() for w in re.findall(r"[^\W\d_]+", meaning)}
                in_breeds = (cids and set(cids) <= {7480, 7481}) or "breed" in meaning.lower()
                (breeds if in_breeds else elsewhere).update(found)
    # the builder also takes the words of context group names and attribute names
    for name in _cid_dict.name_for_cid.values():
        elsewhere.update(w.lower() for w in re.findall(r"[A-Z][a-z]+|[a-z]+", name))
    for entry in DicomDictionary.values():
        elsewhere.update(w.lower() for w in re.findall(r"[^\W\d_]+", entry[2]))
    only_breeds = breeds - elsewhere
    assert {"göttingen", "inês"} <= only_breeds  # the check would see them
    listed = Path(text.__file__).parent / "vocabulary" / "clinical.txt"  # not technical.txt
    lines = listed.read_text(encoding="utf-8").splitlines()
    clinical = {w for line in lines if not line.startswith("#") for w in line.split()}
    kept = only_breeds & clinical
    assert not kept, sorted(kept)[:20]


def test_vocabulary_keeps_no_common_surnames_as_plain_english():
    """Surnames that are English words are not in the common-English list (SCOWL marks them as
    proper nouns), so they survive only where the standard itself uses them."""
    vocab = text.vocabulary()
    for surname in ["smith", "jones", "baker", "hill", "king", "cook", "wood", "fisher"]:
        assert surname not in vocab.english, surname


# --- the engine: descriptors, SR TEXT, private text kept by a recipe ------------------------

RECOMMENDED = (
    "retain-long-modified-dates",
    "retain-patient-characteristics",
    "clean-descriptors",
    "clean-structured-content",
)


def _config(tmp_path, options=RECOMMENDED, **kw) -> Config:
    return Config(key=keys.load_key(keys.create_key(tmp_path / "key")), options=options, **kw)


def test_engine_cleans_descriptors_of_a_real_file(tmp_path):
    ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    ds.StudyDescription = "CT chest, requested by Dr Wilhelmina Oduya"
    ds.AdditionalPatientHistory = "Hx per son Tobiah, SOB since 14/02/2021"
    engine.apply(ds, _config(tmp_path))
    assert words(ds.StudyDescription) >= {"ct", "chest"}
    assert not words(ds.StudyDescription) & {"wilhelmina", "oduya"}
    assert not words(ds.AdditionalPatientHistory) & {"tobiah", "14", "02", "2021"}
    assert "sob" in words(ds.AdditionalPatientHistory)


def test_sr_text_content_items_are_cleaned(tmp_path):
    ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    item = Dataset()
    item.RelationshipType = "CONTAINS"
    item.ValueType = "TEXT"
    concept = Dataset()
    concept.CodeValue, concept.CodingSchemeDesignator, concept.CodeMeaning = (
        "121071", "DCM", "Finding")  # fmt: skip
    item.ConceptNameCodeSequence = Sequence([concept])
    item.TextValue = "Nodule stable; told niece Rosalind Achterberg by phone 01632 960001"
    nested = Dataset()
    nested.RelationshipType, nested.ValueType = "CONTAINS", "CONTAINER"
    nested.ContentSequence = Sequence([item])
    ds.ContentSequence = Sequence([nested])
    engine.apply(ds, _config(tmp_path))
    value = ds.ContentSequence[0].ContentSequence[0].TextValue
    assert {"nodule", "stable"} <= words(value)
    assert not words(value) & {"rosalind", "achterberg", "01632", "960001"}
    meaning = ds.ContentSequence[0].ContentSequence[0].ConceptNameCodeSequence[0].CodeMeaning
    assert meaning == "Finding"


def test_private_text_kept_by_a_recipe_is_cleaned(tmp_path):
    ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    block = ds.private_block(0x0019, "TRIAL_NOTES_1", create=True)
    block.add_new(0x10, "LO", "Contrast given by Ilse Albuquerque")
    block.add_new(0x11, "DS", "2.5")
    safe = frozenset({(0x0019, "TRIAL_NOTES_1", 0x10), (0x0019, "TRIAL_NOTES_1", 0x11)})
    options = (*RECOMMENDED, "retain-safe-private")
    ctx = engine.apply(ds, _config(tmp_path, options=options, safe_private=safe))
    tag = block.get_tag(0x10)
    value = ds[tag].value
    assert "contrast" in words(value) and not words(value) & {"ilse", "albuquerque"}
    assert ds[block.get_tag(0x11)].value == 2.5
    where = f"({tag >> 16:04X},{tag & 0xFFFF:04X})"
    reasons = [d.reason for d in ctx.decisions if d.path.endswith(where)]
    assert reasons and "cleaned" in reasons[0]


def test_sidecar_free_text_is_cleaned(tmp_path):
    from imgshare.nifti import sidecar

    data = {"SeriesDescription": "T1 MPRAGE per Dr Oyelaran", "RepetitionTime": 2.3}
    out, _ = sidecar.clean(data, _config(tmp_path), offset=0)
    if "SeriesDescription" in out:
        assert not words(out["SeriesDescription"]) & {"oyelaran"}
        assert {"t1", "mprage"} <= words(out["SeriesDescription"])


# --- the corpus: every planted identifier in free text, cleaned away ------------------------


def test_recommended_options_leave_no_planted_identifier_in_corpus_text(tmp_path):
    """Generate imgshare.corpus, de-identify with the recommended options, and look for every
    identifying value it planted in every text element of every output (its own record)."""
    from imgshare import corpus

    src = tmp_path / "corpus"
    key = corpus.generate(src, seed=5, patients=3, slices=2)
    cfg = _config(tmp_path, options=tuple(corpus.RECOMMENDED))
    needles = [i["value"] for i in key["identifiers"] if len(i["value"]) >= 3]
    assert needles
    leaks = []
    for path in sorted(src.rglob("*.dcm")):
        ds = pydicom.dcmread(path)
        engine.apply(ds, cfg)
        for value, where in _texts(ds):
            for needle in needles:
                if re.search(rf"(?<![^\W_]){re.escape(needle)}(?![^\W_])", value, re.I):
                    leaks.append((path.name, where, needle))
    assert not leaks, leaks[:10]


def _texts(ds: Dataset, prefix: str = ""):
    for elem in ds:
        if elem.VR == "SQ":
            for i, item in enumerate(elem.value):
                yield from _texts(item, f"{prefix}{elem.keyword}[{i}].")
        elif elem.VR in ("LO", "LT", "SH", "ST", "UT", "UC", "PN", "CS"):
            values = elem.value if elem.VM > 1 else [elem.value]
            for v in values:
                if v:
                    yield str(v), f"{prefix}{elem.keyword or elem.tag}"
