"""Matching identifying values in text and in bytes, whole and ignoring case.

Why a module of its own: what counts as "the value is there" decides every finding. A value
is matched whole: "123" is not found inside "0.1234" or a UID, a name not inside a longer
word, while a date may carry a time (20200315101530, 2020-03-15T10:15:30). Text is matched on
decoded characters; bytes in every encoding a DICOM character set allows (PS3.3 C.12.1.1.2,
the codecs pydicom maps them to), an ISO 2022 form keeping the escape sequence that opens it.
Thousands of values compile into one trie-shaped regular expression per kind of boundary.
"""

from __future__ import annotations

import codecs
import re
from typing import Any

import pydicom.charset

from imgshare.verify.values import KEY, Values


def _codecs() -> list[str]:
    """Python codecs of every Defined Term of Specific Character Set that pydicom knows."""
    out = []
    for name in sorted(set(pydicom.charset.python_encoding.values())):
        try:
            codecs.lookup(name)
        except LookupError:
            continue
        out.append(name)
    return out


CODECS = _codecs()


def mask(value: str) -> str:
    """An identifier as its first character, ``***`` and its length: safe to print."""
    value = str(value)
    return f"{value[:1]}***({len(value)})" if value else "***(0)"


def _trie(words: list[str]) -> str:
    """One alternation for many words, as a trie: fast for thousands of values."""
    root: dict[Any, Any] = {}
    for word in words:
        node = root
        for char in word:
            node = node.setdefault(char, {})
        node[None] = True

    def build(node: dict[Any, Any]) -> str:
        keys = sorted(k for k in node if k is not None)
        if not keys:
            return ""
        alts = [re.escape(k) + build(node[k]) for k in keys]
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        return f"(?:{body})?" if None in node else body

    return build(root)


def _left(first: str) -> str:
    if first.isascii() and first.isdigit():
        return "digit"
    return "alnum" if first.isascii() and first.isalnum() else "free"


def _right(form: str, date: bool) -> str:
    if date and form[-1:].isdigit():
        return "date"
    if form[-1].isascii() and form[-1].isdigit():
        return "digit"
    return "alnum" if form[-1].isascii() and form[-1].isalnum() else "free"


#: A letter or digit next to a value means the value is part of a longer word: no match.
#: Text is matched on its decoded characters; bytes (lower-cased) on ASCII and any high byte.
WORD = {str: r"[^\W_]", bytes: r"[a-z0-9\x80-\xff]"}
_TIME = r"\d{2}(?:\d{2}){0,2}(?:\.\d+)?(?:[+-]\d{4})?"


def _bounds(kind: type, left: str, right: str) -> tuple[str, str]:
    """Look-arounds: a digit is not part of a decimal or a UID; a date may carry a time
    (20200315101530, 2020-03-15T10:15:30, 2020-03-15 10:15)."""
    word = WORD[kind]
    before = {"alnum": f"(?<!{word})", "digit": rf"(?<!{word})(?<!\d\.)", "free": ""}[left]
    after = {
        "alnum": f"(?!{word})",
        "digit": rf"(?!{word}|\.\d)",
        "date": rf"(?:(?={_TIME}(?!{word}))|(?=[tT ]\d{{2}}:?\d{{2}})|(?!{word}|\.\d))",
        "free": "",
    }[right]
    return before, after


class Matcher:
    """Identifying values compiled for searching text and bytes."""

    def __init__(self, values: Values) -> None:
        self.values = values
        self.text_forms: dict[str, str] = {}
        self.byte_forms: dict[bytes, str] = {}
        for value in sorted(values, key=len, reverse=True):
            self.text_forms.setdefault(value.lower(), value)
            for form in self._encodings(value):
                self.byte_forms.setdefault(form, value)
        self._text = self._compile(self.text_forms, str)
        self._bytes = self._compile(self.byte_forms, bytes)

    @staticmethod
    def _encodings(value: str) -> set[bytes]:
        out = set()
        for codec in CODECS:
            try:
                raw = value.encode(codec)
            except (UnicodeError, LookupError):
                continue
            for tail in (b"\x1b(B", b"\x1b(J"):  # back to ASCII: may come later, after more text
                if raw.endswith(tail) and b"\x1b" in raw[:-3]:
                    raw = raw[: -len(tail)]
            if len(raw) >= 3:
                out.add(raw.lower())
        return out

    def _compile(self, forms: dict[Any, str], kind: type) -> list[re.Pattern]:
        groups: dict[tuple[str, str], list[str]] = {}
        for form, value in forms.items():
            text = form if kind is str else form.decode("latin-1")
            date = self.values[value].kind == "date"
            if "\x1b" in text:  # ISO 2022: 7-bit codes look like letters; escapes bound it
                groups.setdefault(("free", "free"), []).append(text)
                continue
            groups.setdefault((_left(text[0]), _right(text, date)), []).append(text)
        out = []
        for (left, right), words in sorted(groups.items()):
            before, after = _bounds(kind, left, right)
            pattern = before + _trie(words) + after
            out.append(re.compile(pattern if kind is str else pattern.encode("latin-1")))
        return out

    @classmethod
    def of(cls, pairs: Any) -> Matcher:
        """A matcher for (value, kind) pairs, such as an answer key's identifiers."""
        found = Values()
        for value, kind in pairs:
            found.add(value, kind, KEY)
        return cls(found)

    def __len__(self) -> int:
        return len(self.values)

    def in_text(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, value) of each identifying value in a decoded string."""
        low = text.lower()
        if len(low) != len(text):
            low = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
        hits = []
        for pattern in self._text:
            hits += [
                (m.start(), m.end(), self.text_forms[m.group()]) for m in pattern.finditer(low)
            ]
        return sorted(hits)

    def in_bytes(self, data: bytes) -> list[tuple[int, str]]:
        """(offset, value) of each identifying value in raw bytes, in any DICOM encoding."""
        low = data.lower()
        hits = []
        for pattern in self._bytes:
            hits += [(m.start(), self.byte_forms[m.group()]) for m in pattern.finditer(low)]
        return sorted(hits)

    def mask_text(self, text: str) -> str:
        """A path, note or report with every identifying value in it masked."""
        out, last = [], 0
        for start, end, value in self.in_text(text):
            if start < last:
                continue
            out += [text[last:start], mask(value)]
            last = end
        return "".join(out) + text[last:]
