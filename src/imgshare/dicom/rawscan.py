"""The top-level elements of a DICOM file by position: tag, VR, where the value is, how long.

Why: most elements of a file are kept as they are, and pydicom's reader makes an object for
every one of them (and its writer another) only for the bytes to be written back unchanged.
This scanner reads the common encoding (explicit VR little endian, native pixel data) with
``struct`` only, and gives each element as pydicom's own reader would (a ``RawDataElement``
with the same tag, VR, length, value and position, so that pydicom decodes exactly what it
would have decoded), together with where its bytes are in the file, so that a kept element
is written as the bytes it was and Pixel Data is copied file to file.

It is strict on purpose: anything it does not read exactly as pydicom does (another
transfer syntax, a command set, an unknown VR, a value of undefined length that is not a
sequence, elements out of order, bytes after the last element, a sequence with items in
implicit VR, …) raises :class:`Unsupported` with the reason, and the caller uses the
general path (io.read and the engine's walker), which knows all of these.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass

from pydicom.dataelem import RawDataElement, empty_value_for_VR
from pydicom.tag import BaseTag
from pydicom.valuerep import EXPLICIT_VR_LENGTH_32, VR

#: The transfer syntax this scanner reads, as the File Meta Information holds it.
EXPLICIT_LITTLE = b"1.2.840.10008.1.2.1\x00"
UNDEFINED = 0xFFFFFFFF
CHUNK = 16 * 1024
GZIP_MAGIC = b"\x1f\x8b"
#: VR bytes -> VR, for the VRs pydicom knows (two upper-case letters each).
_VRS = {str(vr).encode(): str(vr) for vr in VR if len(str(vr)) == 2}
_LONG = {str(vr) for vr in EXPLICIT_VR_LENGTH_32}
LONG_VRS = frozenset(_LONG)  #: VRs with a 4-byte length (and 2 reserved bytes) in explicit VR
_EMPTY = {vr: empty_value_for_VR(vr, raw=True) for vr in _VRS.values()}
_SHORT = struct.Struct("<HH2sH").unpack_from
_ULONG = struct.Struct("<L").unpack_from
_ITEM = struct.Struct("<HHL").unpack_from
new_tuple = tuple.__new__
assert RawDataElement._fields == ("tag", "VR", "length", "value", "value_tell",
                                  "is_implicit_VR", "is_little_endian", "is_raw",
                                  "is_buffered")  # fmt: skip
SPECIFIC_CHARACTER_SET = 0x00080005


#: One BaseTag object per tag number, so that a dict lookup with it is an identity match
#: (BaseTag compares in Python, which every other lookup of a pydicom Dataset pays for).
_TAGS: dict[int, BaseTag] = {}


def tag_for(number: int) -> BaseTag:
    """The shared BaseTag object for a tag number."""
    tag = _TAGS.get(number)
    if tag is None:
        tag = BaseTag(number)
        if len(_TAGS) < 100_000:
            _TAGS[number] = tag
    return tag


class Unsupported(Exception):
    """A file the scanner leaves to the general reader; the message says why."""


@dataclass(slots=True)
class Scan:
    """A scanned file: its elements in file order, and the parts of it that were read."""

    size: int
    mtime: float
    #: (tag as an int, pydicom's raw element) in file order; the value of a raw element
    #: is None where it was left in the file (longer than the defer size)
    elements: list[tuple[int, RawDataElement]]
    #: (file offset, bytes) of each stretch that was read; values larger than the defer
    #: size are not read, and the bytes after one start a new stretch
    segments: list[tuple[int, bytes]]
    meta: dict[int, RawDataElement]
    #: False if the file's elements are not in ascending order (written sorted)
    ordered: bool = True

    def source(self, start: int, end: int) -> bytes:
        """The file's bytes from ``start`` to ``end`` (they were read, in one stretch)."""
        for offset, data in self.segments:
            if offset <= start and end <= offset + len(data):
                return data[start - offset : end - offset]
        raise Unsupported("bytes that were not read")  # never: the scanner read them


class _Reader:
    """Reads the file in stretches, skipping the values that are left in the file."""

    def __init__(self, fd: int, size: int) -> None:
        self.fd, self.size = fd, size
        self.start = 0
        self.data = os.pread(fd, min(size, CHUNK), 0)
        self.done: list[tuple[int, bytes]] = []

    def need(self, pos: int, n: int) -> int:
        """Make the bytes pos..pos+n available; return pos's offset in ``self.data``."""
        if pos + n > self.size:
            raise Unsupported("truncated: an element runs past the end of the file")
        local = pos - self.start
        if local < 0:
            raise Unsupported("element positions go backwards")
        have = len(self.data)
        if local + n > have:
            if local > have:  # a value was skipped: start a new stretch there
                self.done.append((self.start, self.data))
                self.start, local = pos, 0
                self.data = os.pread(self.fd, min(self.size - pos, max(n, CHUNK)), pos)
            else:
                more = max(local + n - have, have, CHUNK)
                self.data += os.pread(self.fd, min(self.size - self.start - have, more),
                                      self.start + have)  # fmt: skip
            if local + n > len(self.data):
                raise Unsupported("the file is shorter than it was a moment ago")
        return local

    def segments(self) -> list[tuple[int, bytes]]:
        return [*self.done, (self.start, self.data)]

    def skip_sequence(self, pos: int, depth: int) -> int:
        """The position after the delimiter of the undefined-length sequence whose value
        starts at ``pos`` (its items and their nested sequences are stepped over)."""
        if depth > 32:
            raise Unsupported("sequences nested too deeply")
        while True:
            local = self.need(pos, 8)
            group, element, length = _ITEM(self.data, local)
            tag = group << 16 | element
            if tag == 0xFFFEE0DD:
                if length:
                    raise Unsupported("a sequence delimiter with a length")
                return pos + 8
            if tag != 0xFFFEE000:
                raise Unsupported("a sequence holds something other than items")
            pos += 8
            if length == UNDEFINED:
                pos = self.skip_item(pos, depth)
            else:
                pos += length
                if pos > self.size:
                    raise Unsupported("truncated: a sequence item runs past the end")

    def skip_item(self, pos: int, depth: int) -> int:
        """The position after the delimiter of the undefined-length item starting at pos."""
        while True:
            local = self.need(pos, 8)
            group, element, vr_bytes, length = _SHORT(self.data, local)
            if group == 0xFFFE:
                if element == 0xE00D and self.data[local + 4 : local + 8] == b"\0\0\0\0":
                    return pos + 8
                raise Unsupported("an item holds an item tag other than its delimiter")
            vr = _VRS.get(vr_bytes)
            if vr is None:
                raise Unsupported("a sequence item in implicit VR or with an unknown VR")
            if vr in _LONG:
                length = _ULONG(self.data, self.need(pos, 12) + 8)[0]
                pos += 12
            else:
                pos += 8
            if length == UNDEFINED:
                if vr != "SQ":
                    raise Unsupported(f"a {vr} value of undefined length inside a sequence")
                pos = self.skip_sequence(pos, depth + 1)
            else:
                pos += length
                if pos > self.size:
                    raise Unsupported("truncated: an element runs past the end of the file")


def scan(fd: int, defer_size: int) -> Scan:
    """The elements of the file open as ``fd`` (read from its start), or Unsupported.

    Values longer than ``defer_size`` are not read (as pydicom's ``defer_size``), except
    Specific Character Set, which pydicom always reads.
    """
    stat = os.fstat(fd)
    size = stat.st_size
    if size < 144:
        raise Unsupported("too short for a preamble, prefix and File Meta Information")
    reader = _Reader(fd, size)
    data = reader.data
    if data[:2] == GZIP_MAGIC:
        raise Unsupported("starts like a gzip stream")
    if data[128:132] != b"DICM":
        raise Unsupported("no DICM prefix at offset 128")
    meta: dict[int, RawDataElement] = {}
    pos = 132
    while True:
        local = reader.need(pos, 8)
        group, element, vr_bytes, length = _SHORT(reader.data, local)
        if group != 2:
            break
        vr = _VRS.get(vr_bytes)
        if vr is None:
            raise Unsupported("File Meta Information not in explicit VR")
        if vr in _LONG:
            length = _ULONG(reader.data, reader.need(pos, 12) + 8)[0]
            value = pos + 12
        else:
            value = pos + 8
        if length == UNDEFINED:
            raise Unsupported("a File Meta Information element of undefined length")
        local = reader.need(value, length)
        tag = BaseTag(group << 16 | element)
        raw = reader.data[local : local + length] if length else _EMPTY[vr]
        meta[tag] = RawDataElement(tag, vr, length, raw, value, False, True)
        pos = value + length
    if not meta:
        raise Unsupported("no File Meta Information")
    syntax = meta.get(0x00020010)
    if syntax is None or syntax.value != EXPLICIT_LITTLE:
        raise Unsupported("transfer syntax other than explicit VR little endian")
    if group == 0:
        raise Unsupported("a command set (group 0000) before the dataset")
    elements: list[tuple[int, RawDataElement]] = []
    append = elements.append
    previous = -1
    ordered = True
    data, base = reader.data, reader.start
    vrs, long_vrs, short, ulong = _VRS, _LONG, _SHORT, _ULONG
    while pos < size:
        local = pos - base
        if local < 0 or local + 12 > len(data):  # the common case reads from memory
            if size - pos < 8:
                raise Unsupported("bytes after the last element")
            local = reader.need(pos, 12 if size - pos >= 12 else 8)
            data, base = reader.data, reader.start
        group, element, vr_bytes, length = short(data, local)
        tag = group << 16 | element
        if tag <= previous:
            if tag == previous or tag in {t for t, _ in elements}:
                raise Unsupported("an element repeated")
            ordered = False  # pydicom keeps file order for the walk, sorts for writing
        if group == 0xFFFE:
            raise Unsupported("an item or delimiter at the top level")
        previous = tag
        vr = vrs.get(vr_bytes)
        if vr is None:
            raise Unsupported("an element with an unknown VR (or in implicit VR)")
        if vr in long_vrs:
            if length:
                raise Unsupported("non-zero reserved bytes in an element header")
            length = ulong(data, local + 8)[0]
            value = pos + 12
        else:
            value = pos + 8
        if length == UNDEFINED:
            if vr != "SQ":
                raise Unsupported(f"a {vr} value of undefined length (encapsulated pixel data?)")
            end = reader.skip_sequence(value, 1)
            if value >= reader.start:
                local = reader.need(value, end - 8 - value)
                raw_value: bytes | None = reader.data[local : local + end - 8 - value]
            else:  # a large value inside it was skipped: read the sequence whole
                raw_value = os.pread(fd, end - 8 - value, value)
                if len(raw_value) != end - 8 - value:
                    raise Unsupported("the file is shorter than it was a moment ago")
            data, base = reader.data, reader.start
        else:
            end = value + length
            if end > size:
                raise Unsupported("truncated: an element runs past the end of the file")
            if length > defer_size and tag != SPECIFIC_CHARACTER_SET:
                raw_value = None  # left in the file, as pydicom defers it
            elif length == 0:
                raw_value = _EMPTY[vr]
            else:
                local = value - base
                if local + length > len(data):
                    local = reader.need(value, length)
                    data, base = reader.data, reader.start
                raw_value = data[local : local + length]
        tag_object = _TAGS.get(tag) or tag_for(tag)
        # RawDataElement(tag, vr, length, value, value_tell, False, True), made directly
        raw = new_tuple(RawDataElement, (tag_object, vr, length, raw_value, value, False, True,
                                         True, False))  # fmt: skip
        append((tag, raw))
        pos = end
    if not elements:
        raise Unsupported("no data elements")
    return Scan(size, stat.st_mtime, elements, reader.segments(), meta, ordered)
