"""Build the cleaner's word lists in src/imgshare/dicom/vocabulary/ from their sources.

Why a script: the lists are derived data; shipping them keeps the toolkit offline and fast,
and this script makes them again from pinned sources, so a reviewer can check them.

- ``clinical.txt``: every word of the code meanings in pydicom's copy of the DICOM content
  mapping resource (PS3.16 context groups: DCM, SCT, NCIt, RadLex, RxNorm codes; not the animal
  breeds, see BREEDS), of the context group names, and of the data dictionary's attribute names
  (pydicom, MIT licence; the DICOM standard's text is free to use, NEMA).
- ``proper_nouns.txt``: the capitalised entries of SCOWL's British English list (Debian package
  ``wbritish``; SCOWL licence, permissive): names of people and places, to be recognised as such.
- ``english.txt``: common English words (the source is chosen by ``--english``; the shipped list
  comes from the one the benchmark chose, see benchmarks/README.md), minus words that are also
  proper nouns, unless the standard uses them.

    .venv/bin/python scripts/build_vocabulary.py [--english scowl] [--out DIR]
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "imgshare" / "dicom" / "vocabulary"
SCOWL = Path("/usr/share/dict/british-english")
#: Context groups whose code meanings are mostly proper names: Breed (CID 7480) and Breed
#: Registry (CID 7481), and breeds outside any group ("... cattle breed (organism)"). Their
#: words would let place and family names through ("Göttingen Miniature pig breed", "Santa
#: Inês sheep breed"); a human trial's descriptor does not need them.
BREEDS = {7480, 7481}
BREED_WORD = re.compile(r"breed", re.I)  # also "superbreed (organism)"
WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")


def words_of(text: str) -> set[str]:
    return {w.lower() for w in WORD.findall(text) if len(w) > 1}


def lower_uses(text: str) -> set[str]:
    """Words written in lower case (a generic use), not at the start of the text."""
    return {w for w in WORD.findall(text)[1:] if w.islower()}


def clinical() -> set[str]:
    import pydicom
    from pydicom.datadict import DicomDictionary
    from pydicom.sr import _cid_dict, _concepts_dict

    found: set[str] = set()
    generic: set[str] = set()
    for codes_by_keyword in _concepts_dict.concepts.values():
        for _keyword, codes in codes_by_keyword.items():
            for meaning, cids in codes.values():
                if (cids and set(cids) <= BREEDS) or BREED_WORD.search(meaning):
                    continue  # animal breeds: names of places and people ("Santa Inês")
                found |= words_of(meaning)
                generic |= lower_uses(meaning)
    for name in _cid_dict.name_for_cid.values():
        found |= words_of(re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name))
    for entry in DicomDictionary.values():
        found |= words_of(entry[2])
        generic |= {w.lower() for w in WORD.findall(entry[2])}  # attribute names are generic
    # An eponym the standard only ever writes capitalised (Hodgkin, Baker's cyst) that is also
    # a proper noun is left out: as a word it is more often someone's name.
    proper = proper_nouns()
    dropped = {w for w in found if w in proper and w not in generic}
    print(
        f"clinical: {len(found)} words from pydicom {pydicom.__version__}, "
        f"{len(dropped)} eponyms that are also proper nouns left out",
        file=sys.stderr,
    )
    return found - dropped


def proper_nouns() -> set[str]:
    lines = SCOWL.read_text(encoding="utf-8").splitlines()
    return {w.lower() for w in lines if w[:1].isupper() and "'" not in w}


def english(source: str, size: int) -> set[str]:
    """Lower-case common English words from one source."""
    if source == "scowl":
        lines = SCOWL.read_text(encoding="utf-8").splitlines()
        return {w for w in lines if w.islower() and w.isalpha()}
    if source == "wordfreq":
        from wordfreq import top_n_list

        return {w for w in top_n_list("en", size) if w.isalpha()}
    if source == "spellchecker":
        from spellchecker import SpellChecker

        counts = SpellChecker(language="en").word_frequency.dictionary
        ranked = sorted(counts, key=counts.get, reverse=True)[:size]
        return {w for w in ranked if w.isalpha()}
    if source == "english-words":
        from english_words import get_english_words_set

        return {w for w in get_english_words_set(["web2"], lower=True, alpha=True)}
    raise SystemExit(f"unknown source {source!r}")


HEADERS = {
    "clinical.txt": "Source: the words of the DICOM code meanings (PS3.16 context groups: "
    "DCM, SCT, NCIt, RadLex, RxNorm),\n# context group names and data dictionary attribute "
    "names, as pydicom {pydicom} "
    "ships them.\n# Licence: pydicom MIT; the DICOM standard (NEMA) is free to use. Built by "
    "scripts/build_vocabulary.py.",
    "proper_nouns.txt": "Proper nouns (people, places). Source: the capitalised entries of "
    "SCOWL's British English list,\n# Debian package wbritish {scowl}. Licence: SCOWL's "
    "(permission to use, copy, "
    "modify, distribute;\n# copyright Kevin Atkinson and others, see /usr/share/doc/wbritish/"
    "copyright). Built by scripts/build_vocabulary.py.",
    "english.txt": "Common English words. Source: {source}, minus proper nouns the standard "
    "does not use.\n# Licence: {licence}. Built by scripts/build_vocabulary.py.",
}
LICENCES = {
    "scowl": "SCOWL's (Debian wbritish; permission to use, copy, modify, distribute)",
    "wordfreq": "CC BY-SA 4.0 (wordfreq data, Robyn Speer)",
    "spellchecker": "MIT (pyspellchecker)",
    "english-words": "MIT (english-words; web2 list public domain)",
}


def write(path: Path, header: str, words: set[str]) -> None:
    body = "\n".join(sorted(words))
    path.write_text(f"# {header}\n{body}\n", encoding="utf-8")
    print(f"{path.name}: {len(words)} words", file=sys.stderr)


def scowl_version() -> str:
    import subprocess

    out = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "wbritish"],
                         capture_output=True, text=True, check=False)  # fmt: skip
    return out.stdout.strip() or "(version unknown)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--english", default="scowl", choices=sorted(LICENCES))
    parser.add_argument("--size", type=int, default=50000, help="top-N for frequency lists")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument(
        "--only-english", action="store_true", help="write english.txt only (another environment)"
    )
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    proper = proper_nouns()
    if args.only_english:
        clin = (
            set((args.out / "clinical.txt").read_text().split())
            if (args.out / "clinical.txt").exists()
            else set()
        )  # noqa: E501
    else:
        import pydicom

        clin = clinical()
        write(
            args.out / "clinical.txt",
            HEADERS["clinical.txt"].format(pydicom=pydicom.__version__),
            clin,
        )  # noqa: E501
        write(
            args.out / "proper_nouns.txt",
            HEADERS["proper_nouns.txt"].format(scowl=scowl_version()),
            proper,
        )  # noqa: E501
    common = english(args.english, args.size)
    common = {w for w in common if w not in proper or w in clin}
    write(args.out / "english.txt", HEADERS["english.txt"].format(
        source=args.english, licence=LICENCES[args.english]), common)  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
