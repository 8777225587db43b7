"""The free-text cleaner's rules, one at a time, on a vocabulary written here.

Why a small vocabulary of our own: with the shipped lists most names are simply unknown words,
so they go whatever the context rules do, and a broken rule stays hidden (mutation testing
showed it: turning off the removal of a name's second word changed no test). Here every word
is placed in a list by hand, so each rule decides alone. The expected values are written in
each case: which word is a name is stated by the case, not asked of the cleaner.
"""

from __future__ import annotations

import re

import pytest

from imgshare.dicom import text

#: The lists as files, in the shipped format (comment lines, several words a line, any case).
LISTS = {
    "clinical.txt": "# code meanings\nWhite Bell chest PAIN\nmass artery stent fracture tube\n",
    "technical.txt": "# sequences\nimage scan ct mri  brain\nknee review matter\n",
    "english.txt": "# common words\npresent seed string read shows\nlung normal brown\n",
    "function_words.txt": "# function words\nthe and of a de will\n",
    "proper_nouns.txt": "# names\nWhite Bell Brown\nmill will\n",
}
VOCAB = text.load_vocabulary(LISTS.__getitem__)
CLEANER = text.Cleaner([], VOCAB)


def words(s: str | None) -> list[str]:
    return re.findall(r"[^\W_]+", s or "")


def clean(source: str) -> list[str]:
    out = CLEANER.clean(source)
    assert out is not None
    return words(out)


def _gone_and_kept(source: str, gone: list[str], kept: list[str]) -> None:
    """The words of ``source`` that the cleaner must remove, and those it must keep."""
    left = clean(source)
    for g in gone:
        assert g not in left, (source, left)
    for k in kept:
        assert k in left, (source, left)


# --- the vocabulary as read from its lists ------------------------------------------------


def test_lists_are_read_into_their_sets():
    vocab = text.load_vocabulary(LISTS.__getitem__)  # read here, not only at import
    assert vocab == VOCAB
    assert VOCAB.clinical == {
        "white", "bell", "chest", "pain", "mass", "artery", "stent", "fracture", "tube",
        "image", "scan", "ct", "mri", "brain", "knee", "review", "matter",
    }  # fmt: skip
    assert VOCAB.english == {
        "present", "seed", "string", "read", "shows", "lung", "normal", "brown",
    }  # fmt: skip
    assert VOCAB.proper == {"white", "bell", "brown", "mill", "will"}
    # function words, and the cue words (titles, relations, agent phrases, ID cues) with them
    assert {"the", "and", "of", "a", "de", "will"} <= VOCAB.function
    for cue in ("dr", "ms", "sister", "requested", "by", "mrn", "bed"):
        assert cue in VOCAB.function, cue
    assert not any(w.startswith("#") for s in (VOCAB.clinical, VOCAB.function) for w in s)


# --- word forms: plural, possessive, -ed and -ing ------------------------------------------


@pytest.mark.parametrize(
    ("word", "known"),
    [
        ("arteries", True),  # -ies -> -y
        ("masses", True),  # -es
        ("scans", True),  # -s
        ("stent's", True),  # possessive
        ("stent’s", True),  # possessive, typographic apostrophe
        ("stented", True),  # -ed -> stem
        ("fractured", True),  # -ed -> stem + e
        ("imaging", True),  # -ing -> stem + e
        ("reading", True),  # -ing -> stem
        ("seed", True),  # a word that ends in -ed is itself kept
        ("string", True),  # a word that ends in -ing is itself kept
        ("legs", False),
        ("cts", False),  # three letters: no plural is taken off
        ("scant", False),  # only a final s is a plural
        ("chests", True),
        ("brains", True),  # four letters and more: a plural
        ("masss", False),  # -ss is no plural
        ("matters", True),
    ],
)
def test_word_forms(word, known):
    assert VOCAB.known(word) is known


def test_four_letter_plural_and_clinical_forms():
    vocab = text.Vocabulary(frozenset({"leg"}), frozenset(), frozenset(), frozenset())
    assert vocab.known("legs") and vocab.is_clinical("legs")
    assert not vocab.is_clinical("arm")


# --- names after titles, relations and agent phrases ----------------------------------------


@pytest.mark.parametrize(
    ("source", "gone", "kept"),
    [
        # a title: the next word goes even when it is a clinical word
        ("Chest pain, Dr White to review", ["White"], ["Chest", "pain", "Dr", "review"]),
        ("seen by Dr. Bell and the lung", ["Bell"], ["Dr", "lung"]),
        # a title before a word in capitals that is clinical and no name: kept
        ("Dr CHEST", [], ["Dr", "CHEST"]),
        ("Dr BELL", ["BELL"], ["Dr"]),
        # MR, DR in capitals may be a modality: only a known name that is no clinical word goes
        ("MR BROWN KNEE", ["BROWN"], ["MR", "KNEE"]),
        ("MR WHITE MATTER", [], ["MR", "WHITE", "MATTER"]),
        # relations: a capitalised known name goes; a clinical word that is no name stays
        ("per brother White, chest pain", ["White"], ["brother", "chest", "pain"]),
        ("per brother Chest pain", [], ["brother", "Chest", "pain"]),
        ("per brother Present", ["Present"], ["brother"]),
        ("per BROTHER WHITE", ["WHITE"], ["BROTHER"]),
        ("brother present", [], ["brother", "present"]),
        ("brother zqxw", ["zqxw"], ["brother"]),
        # a weak title: capitalised, a name follows; lower case, only a word written as one
        ("Sister Bell", ["Bell"], ["Sister"]),
        ("scan, ms white matter", [], ["ms", "white", "matter"]),
        # an agent verb and a preposition: the name after them goes
        ("Knee scan requested by White", ["White"], ["Knee", "scan", "requested", "by"]),
        ("chest scan reviewed with Bell", ["Bell"], ["reviewed", "with"]),
        # a preposition alone: a known name written as a name, in sentence-case text
        ("Lung scan per Brown and review", ["Brown"], ["Lung", "scan", "per", "review"]),
        ("lung scan per the mass", [], ["per", "the", "mass"]),
        # after a title, further name words go (given and family names), not the text after
        ("per Dr Zqxw White, chest pain", ["Zqxw", "White"], ["Dr", "chest", "pain"]),
        ("per Dr Zqxw. White matter normal", ["Zqxw"], ["White", "matter", "normal"]),
        ("per Dr Zqxw 3T scan", ["Zqxw"], ["3T", "scan"]),
        ("per Dr Zqxw J. Bell", ["Zqxw", "J", "Bell"], ["Dr"]),
        # family name first, then a comma and the given name; nothing after that
        ("Reported by: White, Bell chest", ["White", "Bell"], ["chest"]),
        # a capitalised weak title is a title; in lower case, only a name written as one goes
        ("Sister Present", ["Present"], ["Sister"]),
        ("per sister Present", [], ["sister", "Present"]),
        # a function word that is also a name goes after a title, not after a preposition
        ("seen by Dr Will", ["Will"], ["Dr"]),
        ("Knee Scan per Will", [], ["Will"]),  # Title Case: capitals tell nothing
        ("Dr will review", [], ["Dr", "will", "review"]),
        # an initial after a preposition is no name ("to G-J tube")
        ("referral to G-J tube", [], ["G", "J", "tube"]),
        ("per Dr Zqxw Present", ["Zqxw"], ["Present"]),  # a known word that is no name stays
        ("per Dr de White", ["de", "White"], ["Dr"]),  # a particle, then the name
        # at most three name words
        ("per Dr Zqxw Qwv Xkcd White pain", ["Zqxw", "Qwv", "Xkcd"], ["White", "pain"]),
    ],
)
def test_names_after_cues(source, gone, kept):
    _gone_and_kept(source, gone, kept)


def test_a_capitalised_known_name_inside_sentence_case_text_goes():
    # sentence case: capitals mark names, so a proper noun written with one goes
    assert "White" not in clean("Knee scan shows White lung normal")
    # all capitals, or every word capitalised: capitals tell nothing, the clinical word stays
    assert "WHITE" in clean("KNEE SCAN SHOWS WHITE LUNG NORMAL")
    assert "White" in clean("Knee Scan Shows White Lung Normal")
    # half the known words capitalised is no longer sentence case
    assert "White" in clean("Knee Scan shows White")


@pytest.mark.parametrize(
    ("source", "gone", "kept"),
    [
        ("Zqxw-Present knee", ["Present"], ["knee"]),  # hyphenated name: both halves
        ("Zqxw-stent knee", [], ["stent", "knee"]),  # a clinical word after a hyphen stays
        ("zqxw-present knee", [], ["present", "knee"]),  # not written as a name
        ("knee scan de Zqxw", ["de"], ["knee", "scan"]),  # particle before a removed name
        ("knee scan de zqxw", [], ["de"]),  # not written as a name
        ("knee scan de  Zqxw", [], ["de"]),  # not next to it
        ("knee scan 1234 Zqxw", ["1234"], ["knee", "scan"]),  # house number
        ("knee scan 1234 zqxw", [], ["1234"]),  # a count before an unknown word
        ("knee scan 1234 Zq9xw", [], ["1234"]),
    ],
)
def test_name_neighbours(source, gone, kept):
    _gone_and_kept(source, gone, kept)


# --- numbers after ID cues ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "gone", "kept"),
    [
        ("knee scan bed 12", ["12"], ["bed"]),
        ("knee bed 12 34 56 scan", ["12", "34", "56"], ["bed", "scan"]),
        ("knee bed 1 2 3 scan", ["1", "2", "3"], ["bed", "scan"]),  # too short for a pattern
        ("knee bed 12. 34 scan", ["12"], ["34", "scan"]),  # a new sentence ends the number
        ("knee bed 12 stent 34", ["12"], ["stent", "34"]),
        ("mrn", [], ["mrn"]),
    ],
)
def test_numbers_after_id_cues(source, gone, kept):
    _gone_and_kept(source, gone, kept)


# --- single tokens ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("token", "kept"),
    [
        ("1234", True),  # digits alone: a number (long runs are caught by the patterns)
        ("A12345", False),  # five digits in a token: a record or serial number
        ("A1234", True),
        ("3T", True),
        ("scan3", True),  # a known word with digits
        ("abc3", True),  # three letters and digits: a technical token
        ("abcd3", False),  # four unknown letters and digits
        ("x", True),  # a single letter
        ("Dr", True),  # a title stays, the name after it goes
        ("arteriogram", True),  # a medical compound (combining form and suffix)
        ("arteriogram2", True),
        ("zqxwitis", True),  # an inflammation of something: a medical word
        ("zqxitis", True),
        ("zqitis", False),  # too short for a compound
        ("angiostent", True),  # a combining form and a known word
        ("angiozqxw", False),  # a combining form and an unknown word
        ("A1B2C3D4E5", False),  # five digits among letters: a serial number
        ("A1B2C3D4", True),
    ],
)
def test_single_tokens(token, kept):
    assert (token in clean(f"knee {token} scan")) is kept


# --- markers and lengths ----------------------------------------------------------------------


def test_removed_runs_and_separators():
    assert CLEANER.clean("knee Zqxw Qwv scan") == f"knee {text.REDACTED} scan"
    assert CLEANER.clean("knee Zqxw, Qwv scan") == f"knee {text.REDACTED} scan"
    # a line break, semicolon or bracket keeps two removals apart
    assert CLEANER.clean("knee Zqxw; Qwv scan") == f"knee {text.REDACTED}; {text.REDACTED} scan"
    assert CLEANER.clean("Zqxw (Qwv) scan") == f"{text.REDACTED} ({text.REDACTED}) scan"
    assert CLEANER.clean("knee  scan\t\tZqxw") == f"knee scan {text.REDACTED}"
    # a kept word between two removals keeps them apart
    assert CLEANER.clean("Zqxw knee Qwv") == f"{text.REDACTED} knee {text.REDACTED}"
    assert CLEANER.clean(". knee scan") == ". knee scan"  # text that opens with a full stop


@pytest.mark.parametrize(
    ("source", "limit", "expected"),
    [
        ("knee scan Zqxw", 14, "knee scan *"),  # the long marker does not fit, the short one does
        ("knee scan Zqxw", 19, f"knee scan {text.REDACTED}"),  # exactly fits
        ("knee scan lung mass", 16, "knee scan lung"),  # cut at a word boundary
        ("knee scan mass Zqxw", 15, "knee scan mass"),
        ("knee scan Zqxw", 11, "knee scan *"),  # the short marker exactly fits
    ],
)
def test_shortened_to_fit(source, limit, expected):
    assert CLEANER.clean(source, max_length=limit) == expected


# --- the dataset's own values and the older cleaner -------------------------------------------


def test_values_longest_first_and_whole_words_only():
    cleaner = text.Cleaner(["Bell", "Bell Brown", "ab", "x"], VOCAB)
    assert cleaner.clean("knee scan Bell Brown") == f"knee scan {text.REDACTED}"
    older = text.Cleaner(["Bell", "Bell Brown"])
    assert older.clean("knee Bell Brown scan") == f"knee {text.REDACTED} scan"
    assert older.clean("kneeBell scan") == "kneeBell scan"  # not a whole word
    assert older.clean("knee BELL scan") == f"knee {text.REDACTED} scan"  # any case
    assert older.clean("knee x scan") == "knee x scan"  # too short to search
    assert text.Cleaner(["Li"]).clean("knee Li scan") == f"knee {text.REDACTED} scan"
    assert older.clean("KNEEBELL BELLX scan") == "KNEEBELL BELLX scan"  # inside capitals
    assert text.Cleaner([]).clean("knee scan") == "knee scan"  # no values: nothing searched


def test_older_cleaner_refuses_a_title_whose_name_survives():
    older = text.Cleaner(["Dr"])
    # the title is a value and goes; the name after it was not: the text cannot be made safe
    assert older.clean("seen by Dr Quennell") is None
    assert older.clean("seen by DR QUENNELL") is None  # any case
    # a name that the values already removed is fine
    assert text.Cleaner(["Quennell"]).clean("knee, Quennell") == f"knee, {text.REDACTED}"


def test_values_found_among_the_patterns_spans():
    cleaner = text.Cleaner(["Qwv"], VOCAB)
    assert cleaner.clean("knee Qwv 02/03/2017 scan") == f"knee {text.REDACTED} scan"
    # the email pattern is the last but one of the older list: used by the allow-list too
    assert "example" not in words(cleaner.clean("knee a.b@example.org scan"))


# --- the values taken from a dataset -----------------------------------------------------------


def test_name_tokens_from_a_person_name():
    got = text.name_tokens("Doe^Jane Ann^^Dr.=ド^ジ")
    assert {"Doe", "Jane Ann", "Jane", "Ann", "Dr."} <= got
    assert {"Doe Jane Ann Dr.", "Dr. Jane Ann Doe"} <= got
    assert "ド ジ" in got and "ジ ド" in got  # a second group, its own phrase
    assert "Dr" in got  # a component split at its full stop
    assert "Doe^Jane Ann^^Dr." not in got
    assert text.name_tokens("Li^Bo") >= {"Li", "Bo", "Li Bo", "Bo Li"}
    assert text.name_tokens("X^Y") == {"X Y", "Y X"}  # one-letter components alone are not
    assert text.name_tokens("Doe") == {"Doe"}  # one part: no phrase


def test_date_variants_from_a_dicom_date():
    got = text.date_variants(" 20170302 ")
    for form in ("20170302", "2017-03-02", "02/03/2017", "03/02/2017", "2/3/2017", "3/2/2017",
                 "02.03.2017", "02-03-2017", "02/03/17", "03/02/17", "02 March 2017",
                 "02 Mar 2017", "March 02, 2017", "Mar 02, 2017"):  # fmt: skip
        assert form in got, form
    assert len(got) == 14
    assert text.date_variants("2017030212") == text.date_variants("20170302")  # a DT's date
    assert text.date_variants("20991399") == set()
    assert "01/01/00" in text.date_variants("20000101")
