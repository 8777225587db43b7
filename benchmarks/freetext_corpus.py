"""Free-text benchmark corpus: real descriptor strings with identifiers planted, and a key.

Why: a cleaner for free text can only be judged on text where every identifier is known, and
the text around the identifiers must be real, or the share of clinical words kept means
nothing. The base strings come from three public or written sources, none with identifiers:

- ``testfiles``: descriptor values (series, study, protocol, comments, SR text, …) of the DICOM
  files inside the pinned packages in the environment (pydicom's test files, nibabel's,
  pynetdicom's), read at run time, minus values that are names or placeholders;
- ``radlex``: procedure names of the RSNA RadLex Playbook, short and long forms
  (``freetext/radlex_playbook.tsv``, source and licence in its header);
- ``written``: histories, comments and vendor-style MR protocol names written for this
  benchmark (``freetext/written.tsv``).

A generator plants identifiers into them: relatives' and clinicians' names from many cultures
(with relation words, titles, "requested by …", or bare after a protocol term), places,
hospitals, dates in many formats, IDs, phone numbers, addresses and e-mail addresses, at the
start, in the middle or at the end, in the base string's own case. Each planted identifier is
recorded with its *sensitive* tokens (the parts that identify: a name's components, a date's
numbers, an address's number, street and town), so that a leak is judged token by token.

The held-apart half: the base strings *and* the name, place and hospital pools are each
split in two by a fixed seed (``SPLIT_SEED``). The ``tune`` half is the one the cleaner's
vocabulary and rules were developed against; the ``held`` half uses base strings and names the
developers never looked at while tuning. The same seed gives the same strings.

    from freetext_corpus import generate
    items = generate(seed=18, per_half=300)   # list of dicts: half, source, kind, base, text, ids
"""

from __future__ import annotations

import csv
import random
import re
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "freetext"
SPLIT_SEED = 20251118  # fixes the tune / held split of base strings and identifier pools

# --- identifier pools (made up; real names from many cultures, none of a real patient) ----------

GIVEN = [
    # English, Irish, Scottish, Welsh
    "Oliver", "Amelia", "Harry", "Isla", "George", "Siobhan", "Padraig", "Niamh", "Ewan",
    "Morag", "Rhys", "Angharad", "Gwyneth", "Dylan", "Eleanor", "Margaret", "Arthur",
    # names that are also English words
    "Rose", "Grace", "Hope", "Faith", "Joy", "Will", "Frank", "Mark", "Bill", "Summer",
    "Dawn", "Iris", "Ivy", "Heather", "Jack", "Rob",
    # German, Dutch, Scandinavian, French, Italian, Spanish, Portuguese
    "Jürgen", "Friederike", "Maarten", "Femke", "Sven", "Ingrid", "Astrid", "Lars", "Amélie",
    "Thierry", "Giulia", "Matteo", "Lorenzo", "Pilar", "Iñaki", "Carmen", "João", "Inês",
    # Polish, Czech, Russian, Ukrainian, Greek, Hungarian
    "Małgorzata", "Wojciech", "Zdeněk", "Svetlana", "Dmitri", "Oksana", "Stavros", "Eleni",
    "Zsófia",
    # West and East African
    "Chinedu", "Adaeze", "Oluwaseun", "Folake", "Kwame", "Akosua", "Wanjiru", "Otieno",
    "Tendai", "Thandiwe", "Abebe", "Amara",
    # South Asian
    "Priya", "Arjun", "Lakshmi", "Harpreet", "Gurpreet", "Sanjay", "Anjali", "Farhan", "Ayesha",
    "Tharindu", "Nimal",
    # East and South-East Asian
    "Wei", "Xiaoming", "Mei", "Hiroshi", "Yuki", "Haruto", "Ji-woo", "Seo-yeon", "Minh",
    "Thuy", "Somchai", "Siti",
    # Arabic, Turkish, Persian, Hebrew
    "Mohammed", "Fatima", "Yusuf", "Layla", "Mehmet", "Elif", "Dariush", "Shirin", "Yael",
    "Avi",
    # Latin American, Filipino, Pacific
    "Xiomara", "Guadalupe", "Rodrigo", "Maricel", "Aroha", "Tane",
]  # fmt: skip
FAMILY = [
    "Thompson", "Whitfield", "O'Sullivan", "MacLeod", "Pritchard", "Llewellyn", "Fairbairn",
    "Ashworth", "Hargreaves", "Cartwright", "Blackwood",
    # family names that are also English words
    "Brown", "White", "Green", "Young", "King", "Bell", "Hill", "Wood", "Baker", "Cook",
    "Mason", "Fisher", "Hunter", "Rose", "Hope", "Park", "Long", "Lee", "Moss", "Page",
    "Müller", "Schneider", "van der Berg", "de Vries", "Johansson", "Lindqvist", "Dubois",
    "Lefèvre", "Rossi", "Esposito", "García", "Fernández", "Oliveira", "Gonçalves",
    "Kowalski", "Wiśniewska", "Dvořák", "Ivanova", "Shevchenko", "Papadopoulos", "Nagy",
    "Okafor", "Adeyemi", "Okonkwo", "Mensah", "Asante", "Kamau", "Odhiambo", "Moyo",
    "Ndlovu", "Tesfaye", "Diallo",
    "Patel", "Sharma", "Iyer", "Chaudhry", "Singh", "Gill", "Rahman", "Hossain",
    "Perera", "Fernando", "Khan",
    "Wang", "Zhang", "Liu", "Chen", "Tanaka", "Suzuki", "Watanabe", "Kim", "Park", "Choi",
    "Nguyen", "Tran", "Srisuk", "Santoso",
    "Al-Rashid", "Haddad", "Yılmaz", "Demir", "Hosseini", "Cohen", "Levi",
    "Hernández", "Quispe", "Dela Cruz", "Ngata",
]  # fmt: skip
TOWNS = [
    "Leicester", "Wolverhampton", "Aberystwyth", "Inverness", "Ballymena", "Kettering",
    "Hexham", "Barnstaple", "Kilmarnock", "Truro", "Swindon", "Lowestoft",
    "Reading", "Bath", "Poole", "Wells",  # also English words
    "Eindhoven", "Göttingen", "Kraków", "Brno", "Tampere", "Aarhus", "Lyon", "Bilbao",
    "Porto", "Bologna", "Thessaloniki", "Debrecen",
    "Ibadan", "Enugu", "Kumasi", "Nakuru", "Bulawayo", "Mekelle",
    "Pune", "Coimbatore", "Ludhiana", "Faisalabad", "Sylhet", "Kandy",
    "Nagoya", "Daegu", "Chengdu", "Hangzhou", "Da Nang", "Chiang Mai", "Cebu",
    "Izmir", "Tabriz", "Haifa", "Tucson", "Winnipeg", "Cusco", "Rotorua",
]  # fmt: skip
SAINTS = ["Bartholomew", "Catherine", "Columba", "Brigid", "Luke", "Margaret", "Anne", "Vincent"]
GENERIC_PLACE = {
    "hospital", "general", "royal", "infirmary", "university", "clinic", "centre", "center",
    "medical", "memorial", "st", "st.", "saint", "hôpital", "klinikum", "ospedale", "hospital's",
    "children's", "community", "district", "county", "health", "imaging", "radiology",
    "diagnostic", "city", "the", "of", "and", "&",
}  # fmt: skip
STREETS = ["Mill Lane", "Church Road", "Station Street", "Victoria Avenue", "Queen's Road",
           "Harbour Way", "Orchard Close", "Bridge End", "Kingsway", "Elm Grove"]  # fmt: skip
STREET_GENERIC = {"lane", "road", "street", "avenue", "way", "close", "end", "grove", "flat",
                  "apt", "apartment", "po", "box", "rd", "st", "ave"}  # fmt: skip
RELATIONS = ["mother", "father", "sister", "brother", "son", "daughter", "wife", "husband",
             "partner", "aunt", "uncle", "grandmother", "carer", "neighbour", "friend",
             "cousin", "niece", "guardian"]  # fmt: skip
TITLES = ["Dr", "Dr.", "Prof", "Mr", "Mrs", "Ms", "Sister", "Nurse"]
AGENTS = ["requested by", "referred by", "seen by", "ref by", "per", "reported by",
          "discussed with", "dictated by", "read by", "scanned by", "booked by", "cc",
          "attn", "reviewed by", "verbal report to", "consent witnessed by"]  # fmt: skip
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]  # fmt: skip


def _split(pool: list[str], label: str) -> dict[str, list[str]]:
    """Split a pool into two halves by SPLIT_SEED (de-duplicated, order fixed)."""
    items = sorted(set(pool))
    random.Random(f"{SPLIT_SEED}:{label}").shuffle(items)
    return {"tune": sorted(items[0::2]), "held": sorted(items[1::2])}


# --- base strings ------------------------------------------------------------------------------

#: Descriptor attributes whose values are harvested from the packages' test files.
HARVESTED = {
    "SeriesDescription": "series", "StudyDescription": "study", "ProtocolName": "protocol",
    "ImageComments": "comment", "AdditionalPatientHistory": "history",
    "RequestedProcedureDescription": "study", "PerformedProcedureStepDescription": "study",
    "ScheduledProcedureStepDescription": "study", "DerivationDescription": "comment",
    "ReasonForStudy": "history", "StudyComments": "comment", "TextValue": "comment",
    "ContentDescription": "series", "SegmentLabel": "series", "ROIName": "series",
    "DoseReferenceDescription": "series", "ContrastBolusAgent": "comment",
}  # fmt: skip
#: Values of the test files that are placeholders or names, not descriptors.
PLACEHOLDERS = re.compile(r"^(anon|anonymous|enter text|\^+|test.*|dft .*|e\+1|\d+|cbu\^.*)$", re.I)


def harvest_testfiles() -> list[tuple[str, str]]:
    """(kind, text) from the descriptor attributes of the DICOM files of the pinned packages."""
    import importlib.util

    import pydicom

    roots = []
    for package in ("pydicom", "nibabel", "pynetdicom", "highdicom"):
        spec = importlib.util.find_spec(package)
        if spec and spec.submodule_search_locations:
            roots.extend(Path(p) for p in spec.submodule_search_locations)
    found: dict[str, str] = {}
    skip = {".py", ".pyc", ".so", ".txt", ".json", ".md", ".html", ".js", ".css", ".png", ".gz"}
    for root in roots:
        for path in sorted(root.rglob("*")):
            if not path.is_file() or path.suffix.lower() in skip or path.stat().st_size > 5e7:
                continue
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    ds = pydicom.dcmread(path, stop_before_pixels=True)
                    _visit(ds, found)
            except Exception:
                continue
    return sorted((kind, text) for text, kind in found.items())


def _visit(ds, found: dict[str, str]) -> None:
    for elem in ds:
        if elem.VR == "SQ":
            for item in elem.value:
                _visit(item, found)
        elif elem.keyword in HARVESTED and not elem.tag.is_private:
            text = " ".join(str(elem.value).split())
            usable = text and any(c.isalpha() for c in text) and text.isascii()
            if usable and not PLACEHOLDERS.match(text) and len(text) <= 120:
                found.setdefault(text, HARVESTED[elem.keyword])


def base_strings() -> list[dict[str, str]]:
    """Every base string with its source and kind, de-duplicated."""
    out: dict[str, dict[str, str]] = {}
    for kind, text in harvest_testfiles():
        out.setdefault(text, {"source": "testfiles", "kind": kind, "base": text})
    with open(DATA / "radlex_playbook.tsv", encoding="utf-8") as f:
        rows = csv.DictReader((line for line in f if not line.startswith("#")), delimiter="\t")
        for row in rows:
            for form in ("short", "long"):
                text = row[form].strip()
                if text:
                    out.setdefault(text, {"source": "radlex", "kind": "study", "base": text})
    with open(DATA / "written.tsv", encoding="utf-8") as f:
        rows = csv.DictReader((line for line in f if not line.startswith("#")), delimiter="\t")
        for row in rows:
            out.setdefault(row["text"], {"source": "written", "kind": row["kind"],
                                         "base": row["text"]})  # fmt: skip
    return [out[k] for k in sorted(out)]


# --- planting --------------------------------------------------------------------------------


class Planter:
    """Makes identifiers from one half's pools; each is (text, sensitive tokens, kind)."""

    def __init__(self, rng: random.Random, half: str) -> None:
        self.rng = rng
        self.given = _split(GIVEN, "given")[half]
        self.family = _split(FAMILY, "family")[half]
        self.towns = _split(TOWNS, "towns")[half]

    def person(self) -> tuple[str, list[str]]:
        r = self.rng
        given, family = r.choice(self.given), r.choice(self.family)
        form = r.randrange(5)
        if form == 0:
            text = f"{given} {family}"
        elif form == 1:
            text = family
        elif form == 2:
            text = f"{given[0]}. {family}"
        elif form == 3:
            text = f"{family}, {given}"
        else:
            text = given
        return text, _words(text, drop=set())

    def relative(self) -> dict:
        r = self.rng
        name, sens = self.person()
        rel = r.choice(RELATIONS)
        lead = r.choice(["per", "Hx per", "info from", "accompanied by", "", "lives with",
                         "NOK", "contact"])  # fmt: skip
        text = " ".join(p for p in (lead, rel, name) if p)
        return {"kind": "relative", "text": text, "sensitive": sens}

    def clinician(self) -> dict:
        r = self.rng
        name, sens = self.person()
        form = r.randrange(3)
        if form == 0:
            text = f"{r.choice(TITLES)} {name}"
        elif form == 1:
            text = f"{r.choice(AGENTS)} {name}"
        else:
            text = f"{r.choice(AGENTS)} {r.choice(TITLES)} {name}"
        return {"kind": "clinician", "text": text, "sensitive": sens}

    def bare_name(self) -> dict:
        name, sens = self.person()
        return {"kind": "name", "text": name, "sensitive": sens}

    def place(self) -> dict:
        r = self.rng
        town = r.choice(self.towns)
        form = r.randrange(3)
        text = {0: town, 1: f"at {town}", 2: f"transferred from {town}"}[form]
        return {"kind": "place", "text": text, "sensitive": _words(town, set())}

    def hospital(self) -> dict:
        r = self.rng
        town, family = r.choice(self.towns), r.choice(self.family)
        forms = [
            (f"{town} General Hospital", town),
            (f"Royal {town} Infirmary", town),
            (f"St {r.choice(SAINTS)}'s Hospital, {town}", town),
            (f"{family} Memorial Clinic", family),
            (f"{town} University Hospital", town),
            (f"Klinikum {town}", town),
            (f"{town} Imaging Centre", town),
        ]
        text, core = r.choice(forms)
        sens = _words(core, set())
        if "St " in text:
            sens += _words(text.split("'s")[0].replace("St ", ""), set())
        return {"kind": "hospital", "text": text, "sensitive": sens}

    def date(self) -> dict:
        r = self.rng
        y, m, d = r.randint(1998, 2025), r.randint(1, 12), r.randint(1, 28)
        mon = MONTHS[m - 1]
        forms = [
            f"{d:02d}/{m:02d}/{y}", f"{d}/{m}/{y % 100:02d}", f"{y}-{m:02d}-{d:02d}",
            f"{y}{m:02d}{d:02d}", f"{d:02d}.{m:02d}.{y}", f"{d} {mon} {y}", f"{mon} {d}, {y}",
            f"{d:02d}-{mon[:3]}-{y}", f"{d:02d}{mon[:3].upper()}{y}", f"{d}{_suffix(d)} {mon}",
            f"{mon[:3]} {d}", f"{m}/{d}/{y}", f"{d:02d}-{m:02d}-{y}", f"{d}/{m}",
        ]  # fmt: skip
        text = r.choice(forms)
        lead = r.choice(["", "on", "seen", "DOB", "scan", "prev", "since", "last seen"])
        full = f"{lead} {text}".strip()
        return {"kind": "date", "text": full, "sensitive": _words(text, set(), numbers=True)}

    def ident(self) -> dict:
        r = self.rng
        forms = [
            f"MRN {r.randint(1000000, 9999999)}",
            f"MRN:{r.randint(100000, 999999)}",
            f"Hosp no. {r.choice('KRSM')}{r.randint(100000, 9999999)}",
            f"NHS {r.randint(100, 999)} {r.randint(100, 999)} {r.randint(1000, 9999)}",
            f"Acc# A{r.randint(10000000, 99999999)}",
            f"ID {r.randint(10, 99)}-{r.randint(1000, 9999)}-{r.randint(1, 9)}",
            f"S{r.randint(1000000, 9999999)}{r.choice('ABDEFGHJ')}",
            f"study no {r.randint(1000, 9999)}/{r.randint(10, 99)}",
            f"pt {r.choice('ABCDEFGH')}{r.choice('ABCDEFGH')}{r.randint(10000, 99999)}",
            f"#{r.randint(100000, 999999)}",
        ]
        text = r.choice(forms)
        drop = {"mrn", "hosp", "no", "nhs", "acc", "id", "study", "pt"}
        return {"kind": "id", "text": text, "sensitive": _words(text, drop, numbers=True)}

    def phone(self) -> dict:
        r = self.rng
        forms = [
            f"07{r.randint(100, 999)} {r.randint(100000, 999999)}",
            f"+44 20 {r.randint(1000, 9999)} {r.randint(1000, 9999)}",
            f"({r.randint(200, 999)}) {r.randint(200, 999)}-{r.randint(1000, 9999)}",
            f"0{r.randint(1100, 1999)} {r.randint(100000, 999999)}",
            f"+49 {r.randint(30, 89)} {r.randint(100000, 9999999)}",
            f"ext {r.randint(2000, 7999)}",
            f"{r.randint(200, 999)}.{r.randint(200, 999)}.{r.randint(1000, 9999)}",
        ]
        text = r.choice(forms)
        lead = r.choice(["tel", "call", "mob", "ph", "", "bleep"])
        full = f"{lead} {text}".strip()
        return {"kind": "phone", "text": full, "sensitive": _words(text, {"ext"}, numbers=True)}

    def address(self) -> dict:
        r = self.rng
        town = r.choice(self.towns)
        street = r.choice(STREETS)
        number = r.randint(2, 240)
        postcode = f"{r.choice(['LE', 'SW', 'NG', 'B', 'M', 'EH'])}{r.randint(1, 20)} " \
                   f"{r.randint(1, 9)}{r.choice('ABDEHJ')}{r.choice('LNPQRT')}"  # fmt: skip
        forms = [
            f"{number} {street}, {town}",
            f"Flat {r.randint(1, 30)}, {number} {street}",
            f"{number} {street}, {town} {postcode}",
            f"lives at {number} {street}",
            f"PO Box {r.randint(100, 9999)}, {town}",
            postcode,
        ]
        text = r.choice(forms)
        return {
            "kind": "address",
            "text": text,
            "sensitive": _words(text, STREET_GENERIC | {"lives", "at"}, numbers=True),
        }

    def email(self) -> dict:
        r = self.rng
        given, family = r.choice(self.given), r.choice(self.family)
        user = re.sub(r"[^a-z]", "", f"{given[0]}{family}".lower()) or "x"
        text = f"{user}@{r.choice(['nhs.net', 'example.org', 'clinic.example'])}"
        return {"kind": "email", "text": text, "sensitive": [text]}

    def any(self) -> dict:
        makers = [self.relative, self.clinician, self.clinician, self.bare_name, self.place,
                  self.hospital, self.date, self.date, self.ident, self.phone, self.address,
                  self.email, self.relative]  # fmt: skip
        return self.rng.choice(makers)()


def _suffix(d: int) -> str:
    return "th" if 11 <= d <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(d % 10, "th")


def _words(text: str, drop: set[str], numbers: bool = False) -> list[str]:
    """The identifying tokens of a planted text: words (and numbers if asked), minus generic."""
    tokens = re.findall(r"[^\W_]+(?:['’][^\W_]+)*", text)
    out = []
    for t in tokens:
        if t.lower() in drop or t.lower() in GENERIC_PLACE:
            continue
        if t.isdigit() and not numbers:
            continue
        if len(t) == 1 and t.isalpha():
            continue  # an initial alone is not scored
        out.append(t)
    return out


def _cased(text: str, like: str) -> str:
    letters = [c for c in like if c.isalpha()]
    if letters and all(c.isupper() for c in letters) and len(letters) > 3:
        return text.upper()
    return text


def plant(rng: random.Random, planter: Planter, base: str) -> tuple[str, list[dict]]:
    """The base string with one or two identifiers inserted at the start, middle or end.

    Positions are chosen in the base string, so a second identifier never splits the first.
    """
    ids = [planter.any() for _ in range(1 if rng.random() < 0.7 else 2)]
    seps = [m.end() for m in re.finditer(r"[\s,;:_/]+", base) if 0 < m.end() < len(base)]
    inserts: list[tuple[int, str]] = []
    for ident in ids:
        keep_case = ident["kind"] == "email"
        ident["text"] = ident["text"] if keep_case else _cased(ident["text"], base)
        ident["sensitive"] = [s if keep_case else _cased(s, base) for s in ident["sensitive"]]
        where = rng.choice(["start", "end", "end", "middle"] if seps else ["start", "end"])
        ident["where"] = where
        if where == "start":
            inserts.append((0, f"{ident['text']}{rng.choice([' - ', ': ', ', ', ' '])}"))
        elif where == "end":
            glue = rng.choice([" ", ", ", "; ", " - ", " ("])
            inserts.append((len(base), f"{glue}{ident['text']}{')' if glue == ' (' else ''}"))
        else:
            inserts.append((rng.choice(seps), f"{ident['text']} "))
    text = base
    for pos, piece in sorted(inserts, key=lambda x: x[0], reverse=True):
        text = text[:pos] + piece + text[pos:]
    return " ".join(text.split()), ids


def generate(seed: int = 18, per_half: int = 300) -> list[dict]:
    """PER_HALF planted strings in each half (tune, held), drawn from that half's bases."""
    bases = base_strings()
    order = list(range(len(bases)))
    random.Random(SPLIT_SEED).shuffle(order)
    halves = {"tune": [bases[i] for i in order[0::2]], "held": [bases[i] for i in order[1::2]]}
    items = []
    for half in ("tune", "held"):
        rng = random.Random(f"{seed}:{half}")
        planter = Planter(rng, half)
        pool = list(halves[half])
        rng.shuffle(pool)
        # every source is represented: interleave by source, then take PER_HALF
        by_source: dict[str, list[dict]] = {}
        for b in pool:
            by_source.setdefault(b["source"], []).append(b)
        chosen: list[dict] = []
        while len(chosen) < per_half and any(by_source.values()):
            for src in sorted(by_source):
                if by_source[src] and len(chosen) < per_half:
                    chosen.append(by_source[src].pop())
        while len(chosen) < per_half:  # fewer bases than strings: reuse, new identifiers
            chosen.append(rng.choice(halves[half]))
        for n, b in enumerate(chosen):
            text, ids = plant(rng, planter, b["base"])
            items.append({"id": f"{half}-{n:04d}", "half": half, **b, "text": text, "ids": ids})
    return items


# --- scoring ---------------------------------------------------------------------------------

TOKEN = re.compile(r"[^\W_]+")


def tokens(text: str) -> list[str]:
    return [t.lower() for t in TOKEN.findall(text or "")]


def score(item: dict, output: str | None) -> dict:
    """Leaked identifiers and clinical tokens kept, for one string and one tool's output.

    A planted identifier leaks if any of its sensitive tokens occurs in the output more often
    than in the base string (so a base that already says "2" or "Park" is not held against
    the tool). Clinical tokens kept: the base string's tokens found in the output, counted
    with multiplicity.
    """
    out = _counts(tokens(output or ""))
    base = _counts(tokens(item["base"]))
    leaked = []
    for ident in item["ids"]:
        for s in ident["sensitive"]:
            parts = tokens(s)
            if any(out.get(p, 0) > base.get(p, 0) for p in parts):
                leaked.append(ident)
                break
    kept = sum(min(out.get(t, 0), n) for t, n in base.items())
    return {"ids": len(item["ids"]), "leaked": leaked, "base_tokens": sum(base.values()),
            "kept": kept}  # fmt: skip


def _counts(words: list[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for w in words:
        counts[w] = counts.get(w, 0) + 1
    return counts


if __name__ == "__main__":
    items = generate()
    for it in items[:40]:  # the tune half only: the held half is not read while tuning
        print(it["half"], it["source"], "|", it["text"], "|", [i["sensitive"] for i in it["ids"]])
    print(len(items), "strings;", len(base_strings()), "base strings")
