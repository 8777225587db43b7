"""Writing a de-identified dataset: unchanged elements are copied as the bytes they were.

Why: most elements of a file are kept as they are (K), and pydicom, which is general, spends
most of a run's time re-encoding them one by one. For the common encoding (explicit VR
little endian, the encoding of every compressed transfer syntax too) an element that was
never decoded is written here straight from its bytes, with its tag, VR and length; anything
else goes through pydicom's own writer. A test checks that the result is byte for byte the
file pydicom itself writes, on every sample.
"""

from __future__ import annotations

import os
import struct
import zlib
from typing import BinaryIO

from pydicom import Dataset
from pydicom.charset import convert_encodings, default_encoding, encode_string
from pydicom.dataelem import DataElement
from pydicom.filebase import DicomBytesIO, DicomFileLike
from pydicom.filewriter import write_data_element, write_dataset, write_file_meta_info
from pydicom.multival import MultiValue
from pydicom.valuerep import EXPLICIT_VR_LENGTH_32

DEFLATED = "1.2.840.10008.1.2.1.99"
_LONG = {str(vr) for vr in EXPLICIT_VR_LENGTH_32}


def write(fh: BinaryIO, ds: Dataset) -> None:
    """Write ``ds`` in the DICOM File Format to ``fh`` (its file_meta must be complete).

    Every transfer syntax pydicom reads is written back readable: a deflated one is written
    deflated again (the dataset is encoded as explicit VR little endian, then deflated, as
    PS3.5 A.5 says), big endian stays big endian, encapsulated pixel data stays encapsulated.
    """
    if isinstance(ds, Prepared):
        ds.write(fh)  # the header-only path's output (fastpath.py), made without a Dataset
        return
    syntax = ds.file_meta.TransferSyntaxUID
    fh.write(ds.preamble if ds.preamble and len(ds.preamble) == 128 else b"\x00" * 128)
    fh.write(b"DICM")
    fp = DicomFileLike(fh)
    meta = _meta_bytes(ds.file_meta)
    if meta is None:
        write_file_meta_info(fp, ds.file_meta, enforce_standard=True)
    else:
        fh.write(meta)
    with _Source(ds) as source:
        if syntax == DEFLATED:
            body = DicomBytesIO()
            body.is_implicit_VR, body.is_little_endian = False, True
            _write_body(body, body, ds, False, True, source)
            deflater = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -zlib.MAX_WBITS)
            fh.write(deflater.compress(body.getvalue()) + deflater.flush())
            return
        fp.is_implicit_VR, fp.is_little_endian = syntax.is_implicit_VR, syntax.is_little_endian
        _write_body(fp, fh, ds, syntax.is_implicit_VR, syntax.is_little_endian, source)


#: The File Meta Information a de-identified file gets (io.file_meta), in the order and
#: with the VRs that pydicom's write_file_meta_info writes them.
_META = {0x00020002: "UI", 0x00020003: "UI", 0x00020010: "UI", 0x00020012: "UI",
         0x00020013: "SH"}  # fmt: skip


def _meta_bytes(meta: Dataset) -> bytes | None:
    """The File Meta Information group as pydicom writes it (group length and version
    added), or None for anything but the five plain elements io.file_meta sets.

    Why: pydicom validates and encodes this group through a general writer, which cost a
    third of the write; it is the same seven elements in every output. The writer test
    compares the bytes with pydicom's on every sample.
    """
    tags = set(map(int, meta._dict))  # iterating a Dataset gives elements, not tags
    if not tags <= set(_META) | {0x00020000, 0x00020001} or not set(_META) <= tags:
        return None
    version = meta.get(0x00020001)
    if version is not None and version.value != b"\x00\x01":
        return None
    return meta_bytes({tag: meta[tag].value for tag in _META})


def meta_bytes(values: dict[int, object]) -> bytes | None:
    """The File Meta Information group for the five values io.file_meta sets (by tag), or
    None where a value is not a plain string (pydicom's writer then decides)."""
    body = [struct.pack("<HH", 2, 1) + b"OB\x00\x00" + struct.pack("<I", 2) + b"\x00\x01"]
    for tag, vr in _META.items():
        value = values[tag]
        if not isinstance(value, str):
            return None
        data = value.encode(default_encoding)
        if len(data) % 2:
            data += b"\x00" if vr == "UI" else b" "
        body.append(
            struct.pack("<HH", 2, tag & 0xFFFF) + vr.encode() + struct.pack("<H", len(data)) + data
        )
    group = b"".join(body)
    return struct.pack("<HH", 2, 0) + b"UL" + struct.pack("<HI", 4, len(group)) + group


class _Source:
    """The source file, open for copying the values that were never read into memory.

    Why: pydicom leaves a large value (Pixel Data of most images) in the file, remembering
    where it is; copying that byte range from file to file in the kernel
    (``os.copy_file_range``) costs no Python objects and no copy through user space. A
    source that changed since it was read is refused, as pydicom's own deferred read does.
    """

    def __init__(self, ds: Dataset) -> None:
        self.ds, self.fd = ds, None

    def __enter__(self) -> _Source:
        name = getattr(self.ds, "filename", None)
        if isinstance(name, str) and name:
            try:
                self.fd = os.open(name, os.O_RDONLY)
            except OSError:
                self.fd = None
            else:
                stamp = getattr(self.ds, "timestamp", None)
                if stamp is not None and os.fstat(self.fd).st_mtime != stamp:
                    os.close(self.fd)
                    raise OSError("the source file changed while it was being de-identified")
        return self

    def __exit__(self, *exc: object) -> None:
        if self.fd is not None:
            os.close(self.fd)

    def copy(self, sink: BinaryIO, offset: int, length: int) -> None:
        """Append ``length`` bytes of the source from ``offset`` to ``sink``."""
        assert self.fd is not None
        copy_range(self.fd, sink, offset, length)


def copy_range(fd: int, sink: BinaryIO, offset: int, length: int) -> None:
    """Append ``length`` bytes of the file open as ``fd``, from ``offset``, to ``sink``:
    in the kernel where the file systems allow it, else through memory."""
    fileno = getattr(sink, "fileno", None)
    if fileno is not None:
        try:
            out = fileno()
        except (OSError, ValueError):
            out = None
        if out is not None:
            sink.flush()
            done = 0
            try:
                while done < length:
                    n = os.copy_file_range(fd, out, length - done, offset + done)
                    if n == 0:
                        break
                    done += n
            except OSError:
                pass  # a file system that cannot: copy through memory below
            if done == length:
                return
            offset, length = offset + done, length - done
    data = os.pread(fd, length, offset)
    if len(data) != length:
        raise OSError("the source file is shorter than when it was read")
    sink.write(data)


def _write_body(
    fp: DicomFileLike,
    sink: BinaryIO,
    ds: Dataset,
    implicit: bool,
    little: bool,
    source: _Source,
) -> None:
    syntax = ds.file_meta.TransferSyntaxUID
    pixels = ds.get_item(0x7FE00010, keep_deferred=True)
    if isinstance(pixels, DataElement):  # a raw one keeps the length it was read with
        pixels.is_undefined_length = syntax.is_compressed
    same = (
        not implicit
        and little
        and ds.original_encoding == (False, True)
        and ds.original_character_set == ds._character_set
    )
    if not same:
        write_dataset(fp, ds)
        return
    encoding = ds.get("SpecificCharacterSet", default_encoding)
    pack_tag, pack16, pack32 = (
        struct.Struct("<HH").pack,
        struct.Struct("<H").pack,
        struct.Struct("<I").pack,
    )
    write = fp.write
    copyable = source.fd is not None
    encodings = convert_encodings(encoding)
    elements = ds._dict  # pydicom's own, read only: get_item() without the Tag() per call
    for tag in sorted(elements, key=int):
        if tag.element == 0 and tag.group > 6:
            continue
        elem = elements[tag]
        value = elem.value
        if elem.is_raw and elem.VR and elem.length != 0xFFFFFFFF:
            vr = elem.VR
            if isinstance(value, bytes) and len(value) == elem.length:
                length = len(value)
            elif value is None and copyable and elem.length and elem.value_tell:
                length = elem.length  # deferred by the reader: copied from the file below
            else:
                write_data_element(fp, ds[tag], encoding)
                continue
            write(pack_tag(tag.group, tag.element))
            if vr in _LONG:
                write(vr.encode() + b"\x00\x00" + pack32(length))
            else:
                write(vr.encode() + pack16(length))
            if value is None:
                source.copy(sink, elem.value_tell, length)
            else:
                write(value)
        else:
            # Decoded by pydicom first: a raw element without a VR (a body written in
            # implicit VR under an explicit transfer syntax), or one already decoded.
            write(encode_decoded(ds[tag], encoding, encodings))


def encode_decoded(decoded: DataElement, encoding: object, encodings: list[str]) -> bytes:
    """A decoded element as explicit VR little endian bytes, header included.

    ``encoding`` is the dataset's Specific Character Set value (or the default) as
    pydicom's writer takes it, ``encodings`` the same made into Python codec names. Used
    by the writer above and by the header-only path, so that both give the same bytes.
    """
    data = _encoded(decoded, encodings) if decoded.VR in _STRINGS else None
    if data is None:
        buffer = DicomBytesIO()
        buffer.is_implicit_VR, buffer.is_little_endian = False, True
        write_data_element(buffer, decoded, encoding)
        return buffer.getvalue()
    vr = decoded.VR
    head = struct.pack("<HH", decoded.tag >> 16, decoded.tag & 0xFFFF) + vr.encode()
    if vr in _LONG:
        return head + b"\x00\x00" + struct.pack("<I", len(data)) + data
    return head + struct.pack("<H", len(data)) + data


class Prepared:
    """An output already laid out as bytes and byte ranges of the source file (what the
    header-only path makes); :func:`write` writes it, so every output goes through one
    function."""

    def __init__(self, parts: list, source_fd: int) -> None:
        #: bytes, or (offset, length) of a range of the source to copy file to file
        self.parts, self.source_fd = parts, source_fd

    def write(self, fh: BinaryIO) -> None:
        pending: list[bytes] = []
        for part in self.parts:
            if isinstance(part, bytes):
                pending.append(part)
                continue
            if pending:
                fh.write(b"".join(pending))
                pending = []
            copy_range(self.source_fd, fh, *part)
        if pending:
            fh.write(b"".join(pending))


#: String VRs written as plain text (pydicom's write_string and write_UI)...
_PLAIN = {"AE", "AS", "CS", "DA", "DT", "TM", "UI"}
#: ...and in the dataset's character set (pydicom's write_text).
_TEXT = {"LO", "LT", "SH", "ST", "UC", "UT"}
_STRINGS = _PLAIN | _TEXT


def _encoded(elem: DataElement, encodings: list[str]) -> bytes | None:
    """The value bytes pydicom's own writer gives a string element, or None to let it.

    Why: the elements the engine changed (emptied, replaced, new UIDs) are decoded
    DataElements, and pydicom's general writer costs more per element than the rest of the
    file. Only str values are handled here, the way filewriter.write_string/write_text
    encode and pad them; anything else (dates as objects, numbers, person names) goes to
    pydicom. The writer test compares the bytes with pydicom's on every sample.
    """
    value = elem.value
    if value is None or (not isinstance(value, str) and len(value) == 0) or value == "":
        return b""
    if isinstance(value, str):
        parts = [value]
    elif isinstance(value, MultiValue | list | tuple) and all(isinstance(v, str) for v in value):
        parts = list(value)
    else:
        return None
    if elem.VR in _PLAIN:
        text = "\\".join(parts)
        if len(text) % 2:
            text += "\x00" if elem.VR == "UI" else " "
        data = text.encode(default_encoding)
    else:
        data = b"\\".join(encode_string(v, encodings) for v in parts)
        if len(data) % 2:
            data += b" "
    return data if len(data) <= 0xFFFF or elem.VR in _LONG else None
