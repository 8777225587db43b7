"""Writing a de-identified dataset: unchanged elements are copied as the bytes they were.

Why: most elements of a file are kept as they are (K), and pydicom, which is general, spends
most of a run's time re-encoding them one by one. For the common encoding (explicit VR
little endian, the encoding of every compressed transfer syntax too) an element that was
never decoded is written here straight from its bytes, with its tag, VR and length; anything
else goes through pydicom's own writer. A test checks that the result is byte for byte the
file pydicom itself writes, on every sample.
"""

from __future__ import annotations

import struct
import zlib
from typing import BinaryIO

from pydicom import Dataset
from pydicom.charset import default_encoding
from pydicom.filebase import DicomBytesIO, DicomFileLike
from pydicom.filewriter import write_data_element, write_dataset, write_file_meta_info
from pydicom.valuerep import EXPLICIT_VR_LENGTH_32

DEFLATED = "1.2.840.10008.1.2.1.99"
_LONG = {str(vr) for vr in EXPLICIT_VR_LENGTH_32}


def write(fh: BinaryIO, ds: Dataset) -> None:
    """Write ``ds`` in the DICOM File Format to ``fh`` (its file_meta must be complete).

    Every transfer syntax pydicom reads is written back readable: a deflated one is written
    deflated again (the dataset is encoded as explicit VR little endian, then deflated, as
    PS3.5 A.5 says), big endian stays big endian, encapsulated pixel data stays encapsulated.
    """
    syntax = ds.file_meta.TransferSyntaxUID
    fh.write(ds.preamble if ds.preamble and len(ds.preamble) == 128 else b"\x00" * 128)
    fh.write(b"DICM")
    fp = DicomFileLike(fh)
    write_file_meta_info(fp, ds.file_meta, enforce_standard=True)
    if syntax == DEFLATED:
        body = DicomBytesIO()
        body.is_implicit_VR, body.is_little_endian = False, True
        _write_body(body, ds, implicit=False, little=True)
        deflater = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -zlib.MAX_WBITS)
        fh.write(deflater.compress(body.getvalue()) + deflater.flush())
        return
    fp.is_implicit_VR, fp.is_little_endian = syntax.is_implicit_VR, syntax.is_little_endian
    _write_body(fp, ds, syntax.is_implicit_VR, syntax.is_little_endian)


def _write_body(fp: DicomFileLike, ds: Dataset, implicit: bool, little: bool) -> None:
    syntax = ds.file_meta.TransferSyntaxUID
    if "PixelData" in ds:
        ds["PixelData"].is_undefined_length = syntax.is_compressed
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
    for tag in sorted(ds.keys()):
        if tag.element == 0 and tag.group > 6:
            continue
        elem = ds.get_item(tag)
        value = elem.value
        if (
            elem.is_raw
            and elem.VR
            and isinstance(value, bytes)
            and elem.length != 0xFFFFFFFF
            and len(value) == elem.length
        ):
            vr = elem.VR
            write(pack_tag(tag.group, tag.element))
            if vr in _LONG:
                write(vr.encode() + b"\x00\x00" + pack32(len(value)))
            else:
                write(vr.encode() + pack16(len(value)))
            write(value)
        else:
            # Decoded by pydicom first: a raw element without a VR (a body written in
            # implicit VR under an explicit transfer syntax) or read lazily.
            write_data_element(fp, ds[tag], encoding)
