"""Clean Descriptors and Clean Structured Content: keep what is known to be safe in free text.

Why an allow-list: descriptions, histories, comments and report text are useful to researchers
and often name someone: the patient, a relative ("Hx per sister …"), a clinician typed by hand
("requested by …"), a place or a hospital. A cleaner that only removes the values it finds
elsewhere in the header misses every name that appears nowhere else, and no list of names is
ever complete. So the cleaner keeps a word only when it is known to be safe, and removes the
rest. What it knows:

- a vocabulary (``vocabulary/`` beside this module, each list with its source and licence): the
  code meanings of the DICOM context groups and the names of the data dictionary (clinical and
  technical words), sequence, protocol and unit abbreviations, function words and common English
  words; English words that are also names or places (``Brown``, ``Rose``, ``Reading``) are
  taken out of the common-English list unless the standard uses them;
- numbers and short technical tokens (``T1``, ``b1000``, ``ep2d``), unless they form an
  identifying pattern: dates in every common format, phone numbers, e-mail addresses, postal
  addresses and codes, record and accession numbers;
- context: after a title ("Dr", "Mrs"), a relation ("sister", "wife"), or an agent phrase
  ("requested by", "per", "discussed with") the following name words are removed even when they
  are dictionary words; in text written in sentence case, a capitalised word inside a sentence
  that is a known proper noun is removed; a number after an ID cue ("MRN", "ext", "Flat") goes;
- the dataset's own identifying values (names in any order, IDs, dates), found anywhere.

Removed runs become one marker, ``[REMOVED]``, so a reader sees that something was there.

What it cannot do (the de-identification chapter says so): it is English only (German or
Japanese descriptors lose their words, which is safe but costly); a name that is also a clinical
word (``White`` as in white matter, ``Bell`` as in Bell's palsy) survives when nothing marks it
as a name, for instance in text written all in capitals without a title or relation before it;
initials alone survive; a misspelt clinical word is removed. It reads characters, not pixels.

``Cleaner(values)`` without a vocabulary keeps the older behaviour (the dataset's own values and
the identifying patterns only, unknown words kept): the OCR of burned-in text uses it, since OCR
garbles words and an allow-list would flag every misread one.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from importlib.resources import files

REDACTED = "[REMOVED]"
SHORT_MARKER = "*"  # used instead when the marker would make a value too long for its VR
MIN_TOKEN = 2  # shortest name component or ID that is searched for

_MONTHS = "jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec|january|february|march|april|june|july|august|september|october|november|december"  # noqa: E501
_ORD = r"(?:st|nd|rd|th)?"
_STREET = (
    r"road|rd|street|st|lane|ln|avenue|ave|drive|close|way|place|crescent|grove|court|terrace|"
    r"gardens|square|row|walk|parade|boulevard|blvd|end|gate|mews|rise|view|hill|park|green|"
    r"strasse|straße|str|rue|via|weg|gasse|laan"
)
#: Identifying patterns, whatever their source (the older cleaner's list; OCR uses it too).
PATTERNS = [
    # dates: 2017-03-02, 02/03/2017, 2.3.17, 20170302, 3 March 2017, March 3, 2017
    re.compile(r"\b\d{4}[-/.]\d{1,2}[-/.]\d{1,2}\b"),
    re.compile(r"\b\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}\b"),
    re.compile(r"\b(19|20)\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])\b"),
    re.compile(rf"\b\d{{1,2}}\s*(?:{_MONTHS})\.?,?\s*\d{{2,4}}\b", re.I),
    re.compile(rf"\b(?:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s*\d{{2,4}}\b", re.I),
    # e-mail addresses and phone numbers
    re.compile(r"\b[\w.+-]+@[\w-]+(\.[\w-]+)+\b"),
    re.compile(r"(?:\+\d{1,3}[\s-]?)?(?:\(\d{2,4}\)[\s-]?)?\d{2,4}[\s-]\d{3,4}[\s-]\d{3,4}\b"),
    # long runs of digits (record numbers, accession numbers), with separators
    re.compile(r"\b\d(?:[\s-]?\d){4,}\b"),
]
_HOSPITAL = (
    r"hospital|infirmary|clinic|clinics|hospice|policlinic|polyclinic|"
    r"(?:medical|imaging|health|cancer|diagnostic)\s+(?:centre|center)"
)
_HOSPITAL_GENERIC = (
    r"(?:general|university|district|community|memorial|teaching|children's|county|"
    r"city|royal|regional|national|central|women's|eye|cancer|private|specialist|the)"
)
#: Further patterns of the allow-list cleaner: more date forms, addresses, postcodes, URLs,
#: hospitals. (Patterns over-remove rather than under-remove: a lost word costs little.)
MORE_PATTERNS = [
    # hospitals: "St Luke's Hospital", "Royal Kettering Infirmary", "Bath University Hospital",
    # "Klinikum Göttingen", "Hôpital Lyon Sud"
    re.compile(rf"\b(?:st\.?|saint)\s+[\w'’-]+(?:\s+[\w'’-]+)?\s+(?:{_HOSPITAL})\b", re.I),
    re.compile(
        rf"(?-i:\b[^\W\d_a-z][\w'’-]*)\s+(?:{_HOSPITAL_GENERIC}\s+)*(?:{_HOSPITAL})\b", re.I
    ),
    re.compile(
        r"\b(?:klinikum|klinik|hôpital|hopital|ospedale|clínica|clinica|hospital de)\s+"
        r"(?:[^\W\d_][\w'’-]*)(?:\s+(?-i:[A-Z])[\w'’-]*)?",
        re.I,
    ),
    # 02-Mar-2017, 02MAR2017, 2nd March, 11th April 2019, 3 Mar
    re.compile(
        rf"\b\d{{1,2}}{_ORD}[\s.-]*(?:{_MONTHS})(?![a-z])\.?(?:[\s,.-]*\d{{4}}|[\s,.-]*\d{{2}}(?!\d))?",
        re.I,
    ),
    # March 2nd, Mar 12, March 2017, Mar-2017
    re.compile(rf"\b(?:{_MONTHS})\.?[\s-]+\d{{1,2}}{_ORD}\b(?:,?\s*\d{{2,4}}\b)?", re.I),
    re.compile(rf"\b(?:{_MONTHS})\.?[\s-]+(?:19|20)\d{{2}}\b", re.I),
    # 20/2, 3/11 (day and month without a year), not part of a ratio or a longer expression
    re.compile(r"(?<![\w./])(?:[0-2]?\d|3[01])/(?:0?[1-9]|1[0-2])(?![\w/]|\.\d)"),
    re.compile(r"(?<![\w./])(?:0?[1-9]|1[0-2])/(?:[0-2]?\d|3[01])(?![\w/]|\.\d)"),
    # 221B Baker Street, 14 Mill Lane, Flat 3, 12 Queen's Road
    re.compile(
        rf"\b\d{{1,5}}[a-z]?,?\s+(?:[\w'’-]+\s+){{1,3}}(?:{_STREET})\b\.?(?:,?\s+(?-i:[A-Z])[\w'’-]+)?",
        re.I,
    ),
    re.compile(
        r"\b(?:po\s*box|p\.o\.\s*box|flat|apt|apartment|unit|suite)\.?\s*#?\d+[a-z]?\b", re.I
    ),
    # UK postcode (upper case, as written) and Canadian postal code
    re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[ABD-HJLNP-UW-Z]{2}\b"),
    re.compile(r"\b[A-Z]\d[A-Z]\s?\d[A-Z]\d\b"),
    # URLs and phone numbers written with dots (555.201.3344) or a leading plus
    re.compile(r"\b(?:https?://|www\.)\S+", re.I),
    re.compile(r"(?<![\d.])\d{3}\.\d{3}\.\d{4}(?![\d.])"),
    re.compile(r"\+\d{1,3}(?:[\s-]?\(?\d+\)?){2,5}"),
    re.compile(r"\(\d{2,5}\)\s*\d{3,4}[\s.-]?\d{3,4}\b"),
]
#: The older list's long-digit pattern, but not the decimals of a number (ratio 0.084906).
_DIGITS = re.compile(r"(?<![\d.])\d(?:[\s-]?\d){4,}\b")
#: After cleaning, text that still matches this is removed whole (the older cleaner only).
SUSPICIOUS = re.compile(
    r"\b(?:dr|mr|mrs|ms|miss|prof|patient|pt|name|dob|born|mrn)\b\.?\s*[:#]?\s*(?P<name>[A-Z][a-z]+)",
    re.I,
)


def _set(words: str) -> frozenset[str]:
    return frozenset(words.split())


def _list(words: str) -> tuple[str, ...]:
    return tuple(words.split())


#: A title before a name: the next word goes whatever it is (a name that is also a word).
TITLES = _set(
    "dr dr. doctor prof professor mr mrs miss mx sir dame lady lord herr frau mme mlle "
    "monsieur madame dott dott.ssa dra sr sra srta rev revd fr"
)
#: Titles that are also common abbreviations (MS multiple sclerosis, Sister ward): the next
#: word goes only when it looks like a name.
WEAK_TITLES = _set("ms sister nurse matron consultant radiographer registrar")
RELATIONS = _set(
    "mother mum mom mam father dad sister brother son daughter wife husband spouse partner "
    "fiance fiancee fiancé fiancée boyfriend girlfriend aunt uncle niece nephew cousin "
    "grandmother grandfather grandma grandpa granny gran grandad grandson granddaughter "
    "stepmother stepfather stepson stepdaughter carer caregiver guardian friend neighbour "
    "neighbor relative relatives kin nok sibling twin parent parents family landlady landlord "
    "colleague employer interpreter translator chaperone escort"
)
#: Words after which a name usually follows; the name goes if it is not a clinical word.
AGENT_VERBS = _set(
    "requested referred seen reported dictated read reviewed scanned booked verified approved "
    "signed witnessed performed ordered typed transcribed authorised authorized consented "
    "discussed phoned called informed contacted accompanied examined assessed checked "
    "supervised taken acquired done co-signed cosigned vetted protocolled triaged"
)
AGENT_PREPS = _set("by per with to from for c/o cc attn attention fao ref")
#: Cues of a number that identifies: the number after them goes.
ID_CUES = _set(
    "mrn id no nr num number acc accession hosp hospital nhs chi ssn sin record records case "
    "ref pt patient file chart visit subject tel tele telephone phone ph mob mobile cell fax "
    "ext extension bleep pager call box flat apt apartment room bed unit suite dob born"
)
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_SEGMENT_END = re.compile(r"[.;:!?()\[\]\n\r|]|\s-\s")


@dataclass(frozen=True)
class Vocabulary:
    """The words the cleaner keeps; each set holds lower-case words."""

    clinical: frozenset[str]  # the standard's code meanings and names, technical terms
    english: frozenset[str]  # common English words that are not also names or places
    function: frozenset[str]  # function words: kept, and they end a run of name words
    proper: frozenset[str]  # proper nouns (names, places): removed when written as names

    def known(self, word: str) -> bool:
        """A lower-case word (or its plural, possessive, -ed/-ing form) is in the vocabulary."""
        return any(
            w in self.clinical or w in self.english or w in self.function for w in _forms(word)
        )

    def is_clinical(self, word: str) -> bool:
        return any(w in self.clinical for w in _forms(word))


def _forms(word: str) -> tuple[str, ...]:
    forms = [word]
    if word.endswith(("'s", "’s")):
        word = word[:-2]
        forms.append(word)
    if len(word) > 3:
        if word.endswith("ies"):
            forms.append(word[:-3] + "y")
        if word.endswith("es"):
            forms.append(word[:-2])
        if word.endswith("s") and not word.endswith("ss"):
            forms.append(word[:-1])
        if word.endswith("ed"):
            forms += [word[:-2], word[:-1]]
        if word.endswith("ing"):
            forms += [word[:-3], word[:-3] + "e"]
    return tuple(forms)


def _read_words(text: str) -> frozenset[str]:
    words: set[str] = set()
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        words.update(w.strip().lower() for w in line.split() if w.strip())
    return frozenset(words)


def load_vocabulary(read) -> Vocabulary:
    """A vocabulary from its four lists; ``read(name)`` returns a list's text."""
    cues = TITLES | WEAK_TITLES | RELATIONS | AGENT_VERBS | AGENT_PREPS | ID_CUES
    function = _read_words(read("function_words.txt")) | cues
    return Vocabulary(
        clinical=_read_words(read("clinical.txt")) | _read_words(read("technical.txt")),
        english=_read_words(read("english.txt")),
        function=function,
        proper=_read_words(read("proper_nouns.txt")),
    )


@functools.cache
def vocabulary() -> Vocabulary:
    """The shipped vocabulary, read once per process."""
    folder = files(__package__) / "vocabulary"
    return load_vocabulary(lambda name: (folder / name).read_text(encoding="utf-8"))


def date_variants(value: str) -> set[str]:
    """A DICOM date written in the ways people type dates in free text."""
    try:
        date = dt.datetime.strptime(value.strip()[:8], "%Y%m%d").date()
    except ValueError:
        return set()
    d, m, y = date.day, date.month, date.year
    forms = {
        f"{y:04d}{m:02d}{d:02d}",
        f"{y:04d}-{m:02d}-{d:02d}",
        f"{d:02d}/{m:02d}/{y:04d}",
        f"{m:02d}/{d:02d}/{y:04d}",
        f"{d}/{m}/{y}",
        f"{m}/{d}/{y}",
        f"{d:02d}.{m:02d}.{y:04d}",
        f"{d:02d}-{m:02d}-{y:04d}",
        f"{d:02d}/{m:02d}/{y % 100:02d}",
        f"{m:02d}/{d:02d}/{y % 100:02d}",
        date.strftime("%d %B %Y"),
        date.strftime("%d %b %Y"),
        date.strftime("%B %d, %Y"),
        date.strftime("%b %d, %Y"),
    }
    return forms


def name_tokens(value: str) -> set[str]:
    """Components of a DICOM person name (all groups), and the name written as a phrase."""
    tokens: set[str] = set()
    for group in value.split("="):
        parts = [p.strip() for p in group.split("^") if p.strip()]
        for part in parts:
            tokens.add(part)
            tokens.update(w for w in re.split(r"[\s,.]+", part) if len(w) >= MIN_TOKEN)
        if len(parts) >= 2:
            tokens.add(" ".join(parts))
            tokens.add(" ".join(reversed(parts)))
    return {t for t in tokens if len(t) >= MIN_TOKEN}


@dataclass
class _Token:
    text: str
    start: int
    end: int
    segment_start: bool
    keep: bool = True


class Cleaner:
    """Removes identifying content from free text.

    ``values``: the dataset's own identifying values (names, IDs, dates), removed wherever they
    appear. ``vocabulary``: the allow-list (``vocabulary()`` for the shipped one); without it,
    only the values and the identifying patterns are removed and other words are kept.
    """

    def __init__(self, values: Iterable[str] = (), vocabulary: Vocabulary | None = None) -> None:
        tokens = sorted({v for v in values if len(v) >= MIN_TOKEN}, key=len, reverse=True)
        self._values = (
            re.compile(
                "|".join((r"(?<![A-Za-z0-9])" + re.escape(t) + r"(?![A-Za-z0-9])") for t in tokens),
                re.I,
            )
            if tokens
            else None
        )
        self.vocabulary = vocabulary

    def clean(self, text: str, max_length: int | None = None) -> str | None:
        """The text without identifying content, or None when it cannot be made safe.

        ``max_length``: the most characters the result may have (the VR's limit); markers are
        shortened, then the text cut at a word boundary, to stay within it.
        """
        if self.vocabulary is None:
            return self._clean_patterns(text)
        spans = self._pattern_spans(text)
        out = self._allow_list(text, spans, REDACTED)
        if max_length is not None and len(out) > max_length:
            out = self._allow_list(text, spans, SHORT_MARKER)
            if len(out) > max_length:
                out = out[:max_length].rsplit(" ", 1)[0].rstrip()
        return out

    # --- the older behaviour: values and patterns only ----------------------------------------

    def _clean_patterns(self, text: str) -> str | None:
        original = text
        if self._values is not None:
            text = self._values.sub(REDACTED, text)
        for pattern in PATTERNS:
            text = pattern.sub(REDACTED, text)
        if SUSPICIOUS.search(text):
            return None
        # A title can itself be a header value (the prefix "Dr" of another person's name):
        # removing it must not hide the name that followed it, so look at the original too.
        for match in SUSPICIOUS.finditer(original):
            word = re.escape(match.group("name"))
            if re.search(rf"(?<![A-Za-z0-9]){word}(?![A-Za-z0-9])", text, re.I):
                return None
        return text

    # --- the allow-list -----------------------------------------------------------------------

    def _pattern_spans(self, text: str) -> list[tuple[int, int]]:
        """Character ranges that identifying patterns or the dataset's values cover."""
        spans = []
        if self._values is not None:
            spans += [m.span() for m in self._values.finditer(text)]
        for pattern in (*PATTERNS[:-1], _DIGITS, *MORE_PATTERNS):
            spans += [m.span() for m in pattern.finditer(text)]
        return spans

    def _allow_list(self, text: str, spans: list[tuple[int, int]], marker: str) -> str:
        vocab = self.vocabulary
        assert vocab is not None
        tokens = _tokens(text)
        covered = _covered(len(text), spans)
        cased = _case_informative(tokens, vocab)
        for tok in tokens:
            if any(covered[tok.start : tok.end]):
                tok.keep = False
            else:
                tok.keep = _word_is_safe(tok, vocab, cased)
        _apply_context(tokens, vocab, cased, text)
        # Build the output: removed tokens, and any pattern span, become one marker per run.
        removed = bytearray(covered)
        for tok in tokens:
            if not tok.keep:
                removed[tok.start : tok.end] = b"\x01" * (tok.end - tok.start)
        pieces: list[str] = []
        i = 0
        while i < len(text):
            if removed[i]:
                j = i
                # a run: removed characters, and separators between removed characters
                while j < len(text) and (removed[j] or _gap(text, removed, j)):
                    j += 1
                pieces.append(marker)
                i = j
            else:
                pieces.append(text[i])
                i += 1
        out = "".join(pieces)
        return re.sub(r"[ \t]{2,}", " ", out).strip()


def _gap(text: str, removed: bytearray, j: int) -> bool:
    """A separator character between two removed stretches (so they join into one marker)."""
    if text[j].isalnum():
        return False
    k = j
    while k < len(text) and not text[k].isalnum() and not removed[k]:
        if text[k] in "\n\r;:()[]":
            return False
        k += 1
    return k < len(text) and bool(removed[k])


def _tokens(text: str) -> list[_Token]:
    out: list[_Token] = []
    last = 0
    for m in _WORD.finditer(text):
        between = text[last : m.start()]
        start = not out or bool(_SEGMENT_END.search(between))
        if start and out and between.strip() == ".":
            prev = out[-1].text.lower()
            if len(prev) == 1 or prev in TITLES or prev + "." in TITLES or prev in WEAK_TITLES:
                start = False  # "Dr. Smith", "J. Smith": the full stop ends no sentence
        out.append(_Token(m.group(), m.start(), m.end(), start))
        last = m.end()
    return out


def _covered(n: int, spans: list[tuple[int, int]]) -> bytearray:
    covered = bytearray(n)
    for a, b in spans:
        covered[a:b] = b"\x01" * (b - a)
    return covered


def _case_informative(tokens: list[_Token], vocab: Vocabulary) -> bool:
    """Whether capitals mark names here: sentence case yes; ALL CAPS or Title Case no."""
    words = [t.text for t in tokens if t.text.isalpha() and len(t.text) >= 3]
    if not words or all(w.isupper() for w in words) or all(w.islower() for w in words):
        return False
    content = [
        t.text
        for t in tokens
        if t.text.isalpha() and len(t.text) >= 3 and not t.text.isupper() and not t.segment_start
        and t.text.lower() not in vocab.function and vocab.known(t.text.lower())
    ]  # fmt: skip
    if not content:
        return True
    capitalised = sum(1 for w in content if w[0].isupper())
    return capitalised / len(content) < 0.5


def _capital(tok: _Token) -> bool:
    """Written with a capital and not in capitals throughout (Smith, not SMITH or smith)."""
    t = tok.text
    return t[:1].isupper() and not t.isupper()


def _proper(vocab: Vocabulary, low: str) -> bool:
    return any(f in vocab.proper for f in _forms(low))


def _word_is_safe(tok: _Token, vocab: Vocabulary, cased: bool) -> bool:
    """Whether a token is safe on its own (context comes after)."""
    t = tok.text
    low = t.lower()
    if t.isdigit():
        return True
    if any(c.isdigit() for c in t):
        digits = sum(c.isdigit() for c in t)
        if digits >= 5:
            return False  # a record, accession or serial number
        runs = re.findall(r"[^\W\d_]+", low)
        return all(len(r) <= 3 or vocab.known(r) or _medical(r, vocab) for r in runs)
    if len(t) == 1:
        return True
    if not (vocab.known(low) or _medical(low, vocab)):
        return False
    if low in TITLES or low in WEAK_TITLES:
        return True  # "Dr" stays; the name after it goes
    # "CT chest Brown": a known name or place, written as one, goes
    return not (cased and _capital(tok) and not tok.segment_start and _proper(vocab, low))


_COMBINING = _list(
    "angio arterio arthro broncho cardio cholangio cholecysto colono cysto dacryo disco "
    "encephalo entero esophago oesophago fistulo gastro hepato hystero ilio kypho lapar "
    "laryngo lympho mammo myelo nephro neuro osteo pancreato pharyngo phlebo pleuro pneumo "
    "pyelo recto salpingo sialo spleno spondylo thoraco thrombo tracheo uretero urethro uro "
    "vaso veno ventriculo vertebro vesico antero postero infero supero medio latero cranio "
    "facio maxillo femoro tibio ulno sacro lumbo cervico abdomino pelvi retro peri para intra "
    "inter trans sub supra infra post pre hemi multi poly hyper hypo endo epi extra micro "
    "macro echo fluoro tomo sono scinti hemo haemo lipo fibro chondro adeno carcino glio "
    "hemangio haemangio lymphangio myo neo pan ortho cholangi pyel ureter urethr arthr myel"
)
_SUFFIXES = _list(
    "gram grams graphy graphic graphies plasty plasties centesis ectomy ectomies otomy ostomy "
    "scopy scopic itis osis oses pathy ology ological plegia megaly algia"
)


@functools.lru_cache(maxsize=65536)
def _medical_cached(word: str, vocab: Vocabulary) -> bool:
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return True
    for prefix in _COMBINING:
        if word.startswith(prefix) and len(word) - len(prefix) >= 3:
            rest = word[len(prefix) :]
            if vocab.known(rest) or rest in _SUFFIXES or _medical_cached(rest, vocab):
                return True
    return False


def _medical(word: str, vocab: Vocabulary) -> bool:
    """A medical compound: combining forms and a known word or suffix (Iliofemoral, Arthrogram)."""
    return word.isalpha() and len(word) >= 7 and _medical_cached(word, vocab)


#: Name particles: "de Vries", "van der Berg", "Da Nang" lose them with the name.
PARTICLES = _set(
    "de van von der den da di del della le la al el bin ibn ben dos das du dela ter ten mac "
    "st abu ap"
)


def _remove_first(tok: _Token, vocab: Vocabulary, cased: bool, kind: str) -> bool | None:
    """After a cue: True removes the word, False keeps it and ends the name, None keeps it and
    looks on (a particle, a second title)."""
    t = tok.text
    low = t.lower()
    if any(c.isdigit() for c in t):
        return False
    if low in TITLES or low in WEAK_TITLES or low.rstrip(".") in TITLES:
        return None
    if not tok.keep:
        return True  # already removed (unknown): the name goes on from here
    if len(t) == 1:
        return kind != "prep"  # an initial; "to G-J tube" is not one
    if low in PARTICLES:
        return None
    capital, proper, clinical = _capital(tok), _proper(vocab, low), vocab.is_clinical(low)
    if low in vocab.function and not (capital and proper and kind != "prep"):
        return False
    if kind == "upper-title":
        return proper and not clinical
    if kind == "title":
        return not (t.isupper() and clinical and not proper)
    if kind == "relation":
        if capital or t.isupper():
            return proper or not clinical
        return not vocab.known(low)
    # a preposition (by, per, from, at): only a word written as a name
    return capital and (proper or cased) and not tok.segment_start


def _remove_next(tok: _Token, vocab: Vocabulary, after_initial: bool = False) -> bool:
    """A further word of a name already started: given or family names, initials. After an
    initial ("O. Müller"), a word written as a name is the family name, known word or not."""
    t = tok.text
    low = t.lower()
    if tok.segment_start or any(c.isdigit() for c in t):
        return False
    if not tok.keep or len(t) == 1:
        return True
    if after_initial and (_capital(tok) or t.isupper()):
        return True
    return _capital(tok) and _proper(vocab, low)


def _apply_context(tokens: list[_Token], vocab: Vocabulary, cased: bool, text: str) -> None:
    """Remove names that follow titles, relations and agent phrases, and cued numbers."""
    n = len(tokens)
    for i, tok in enumerate(tokens):
        low = tok.text.lower()
        if i + 1 >= n:
            break
        nxt = tokens[i + 1]
        if low in ID_CUES and any(c.isdigit() for c in nxt.text):
            nxt.keep = False
            j = i + 2  # "NHS 485 777 3456": the groups after it
            while j < n and tokens[j].text.isdigit() and not tokens[j].segment_start:
                tokens[j].keep = False
                j += 1
        start = i + 1
        if (
            (low in TITLES or low.rstrip(".") in TITLES)
            and tok.text.isupper()
            and len(tok.text) > 1
        ):
            kind = "upper-title"  # MR, DR, SR in capitals: often a modality, not a title
        elif low in TITLES or low.rstrip(".") in TITLES:
            kind = "title"
        elif low in WEAK_TITLES:
            kind = "relation" if _capital(tok) or tok.text.isupper() else "prep"
        elif low in RELATIONS:
            kind = "relation"
        elif low in AGENT_VERBS and nxt.text.lower() in AGENT_PREPS | PLACE_PREPS:
            kind, start = "relation", i + 2
        elif low in AGENT_PREPS or low in PLACE_PREPS:
            kind = "prep"
        else:
            continue
        _remove_name(tokens, start, vocab, cased, kind, text)
    # Hyphenated and particled names: "Ji-woo", "de Vries" go whole.
    for a, b in zip(tokens, tokens[1:], strict=False):
        joined = text[a.end : b.start]
        if (
            not a.keep
            and b.keep
            and joined == "-"
            and _capital(a)
            and not vocab.is_clinical(b.text.lower())
        ):  # noqa: E501
            b.keep = False
    for a, b in zip(tokens, tokens[1:], strict=False):
        particle = a.keep and not b.keep and a.text.lower() in PARTICLES
        if particle and text[a.end : b.start] == " " and (_capital(b) or b.text.isupper()):
            a.keep = False
    # An initial and a family name without a cue ("..., S. White"): a capital letter, a full
    # stop and a proper noun written as a name go together.
    for a, b in zip(tokens, tokens[1:], strict=False):
        initial = len(a.text) == 1 and a.text.isupper() and text[a.end : b.start] == ". "
        if initial and _capital(b) and _proper(vocab, b.text.lower()):
            a.keep = b.keep = False
    # A house number before a removed name ("12 Kingsway"): the number goes too.
    for a, b in zip(tokens, tokens[1:], strict=False):
        number = a.text.isdigit() and len(a.text) <= 4 and not b.keep and _capital(b)
        if number and text[a.end : b.start].isspace() and not any(c.isdigit() for c in b.text):
            a.keep = False


PLACE_PREPS = _set("at from in of near")


def _remove_name(
    tokens: list[_Token], start: int, vocab: Vocabulary, cased: bool, kind: str, text: str
) -> None:
    """Remove the name (up to three words, and one more after a comma) that starts at START."""
    j, taken, commas = start, 0, 0
    n = len(tokens)
    while j < n and taken < 3:
        tok = tokens[j]
        if taken == 0:
            verdict = _remove_first(tok, vocab, cased, kind)
            if verdict is None:
                j += 1
                continue
        else:
            between = text[tokens[j - 1].end : tok.start]
            if "," in between:
                if commas or taken == 0:
                    break
                commas += 1  # "Esposito, Iris": family name first
            elif between.strip() not in ("", ".", "-"):
                break
            initial = len(tokens[j - 1].text) == 1 and between.strip() == "."
            verdict = _remove_next(tok, vocab, after_initial=initial)
        if not verdict:
            break
        tok.keep = False
        taken += 1
        j += 1
        if commas:
            break  # "Esposito, Iris" ends there
