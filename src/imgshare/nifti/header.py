"""NIfTI-1, NIfTI-2 and Analyze 7.5 headers: read them, clear their text, keep the rest.

Why at the byte level: the release must carry the same voxels and the same geometry as the
source, bit for bit. Re-saving through a library can change the data type, the scaling, the
quaternion (recomputed from the affine) or the byte order. Here the header is read as the
structured record the format defines (nibabel's field layout), only the text fields and the
pointer to the voxels (``vox_offset``) are changed, and the voxel bytes are copied as they
are. Header extensions (a whole DICOM header, AFNI's XML with the command history, free
comments, …) are removed unless their code is on an allowed list.

Text fields, per format (Cox et al. 2004; the Analyze 7.5 ``dbh.h`` layout):

* NIfTI-1: ``descrip`` (80 bytes, often the converter, a date or a name), ``aux_file``
  (24), ``intent_name`` (16), and the unused Analyze leftovers ``db_name`` (18) and
  ``data_type`` (10);
* NIfTI-2: ``descrip``, ``aux_file``, ``intent_name`` and ``unused_str`` (15);
* Analyze 7.5: ``data_type``, ``db_name``, ``descrip``, ``aux_file``, and the data-history
  fields ``generated``, ``scannum``, ``patient_id``, ``exp_date``, ``exp_time`` and
  ``hist_un0``. ``originator`` is where SPM keeps the origin (five 16-bit integers), which
  is geometry: it is kept unless it reads as text.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

import numpy as np
from nibabel import analyze, nifti1, nifti2

from imgshare.dicom.errors import DeidError

#: The documented value written into ``descrip``; every other text field is emptied.
DESCRIP = "de-identified by imgshare"

DTYPES = {
    "nifti1": nifti1.header_dtype,
    "nifti1-pair": nifti1.header_dtype,
    "nifti2": nifti2.header_dtype,
    "nifti2-pair": nifti2.header_dtype,
    "analyze": analyze.header_dtype,
}
HEADER_SIZE = {"nifti1": 348, "nifti1-pair": 348, "analyze": 348, "nifti2": 540, "nifti2-pair": 540}
TEXT_FIELDS = {
    "nifti1": ("data_type", "db_name", "descrip", "aux_file", "intent_name"),
    "nifti2": ("descrip", "aux_file", "intent_name", "unused_str"),
    "analyze": ("data_type", "db_name", "descrip", "aux_file", "generated", "scannum",
                "patient_id", "exp_date", "exp_time", "hist_un0"),
}  # fmt: skip
#: Fields that place the voxels in space and time: never changed (the tests compare them).
GEOMETRY_FIELDS = (
    "dim", "pixdim", "datatype", "bitpix", "dim_info", "qform_code", "sform_code",
    "quatern_b", "quatern_c", "quatern_d", "qoffset_x", "qoffset_y", "qoffset_z",
    "srow_x", "srow_y", "srow_z", "xyzt_units", "slice_start", "slice_end", "slice_code",
    "slice_duration", "toffset", "scl_slope", "scl_inter", "intent_code", "intent_p1",
    "intent_p2", "intent_p3", "cal_max", "cal_min",
)  # fmt: skip
EXTENSION_NAMES = {
    code: nifti1.extension_codes.label[code] for code in nifti1.extension_codes.value_set()
}  # noqa: E501


def text_fields(kind: str) -> tuple[str, ...]:
    return TEXT_FIELDS[kind.replace("-pair", "")]


@dataclass
class Image:
    """A parsed header, its extensions and its voxel bytes (untouched)."""

    kind: str
    order: str  # '<' little-endian or '>' big-endian
    header: np.ndarray  # one structured record, in the file's byte order
    extensions: list[tuple[int, bytes]] = field(default_factory=list)  # (code, raw block)
    data: bytes = b""
    notes: list[str] = field(default_factory=list)


def _record(raw: bytes, kind: str) -> tuple[np.ndarray, str]:
    size = HEADER_SIZE[kind]
    if len(raw) < size:
        raise DeidError(f"truncated: header has {len(raw)} of {size} bytes")
    (value,) = struct.unpack("<i", raw[:4])
    order = "<" if value == size else ">"
    dtype = DTYPES[kind].newbyteorder(order)
    return np.frombuffer(raw[:size], dtype=dtype, count=1).copy(), order


def data_size(header: np.ndarray) -> int:
    """Bytes of voxel data the header describes: the product of the used dims × bitpix/8."""
    dim = [int(d) for d in header["dim"][0]]
    if not 1 <= dim[0] <= 7:
        raise DeidError(f"invalid header: dim[0] is {dim[0]} (must be 1 to 7)")
    sizes = dim[1 : dim[0] + 1]
    if any(d < 1 for d in sizes):
        raise DeidError(f"invalid header: dimensions {sizes} are not all positive")
    bitpix = int(header["bitpix"][0])
    if bitpix <= 0 or bitpix % 8:
        raise DeidError(f"invalid header: bitpix {bitpix} is not a whole number of bytes")
    return int(np.prod(sizes, dtype=np.int64)) * bitpix // 8


def _extensions(raw: bytes, start: int, end: int, order: str) -> list[tuple[int, bytes]]:
    """Extension blocks between ``start`` (after the 4-byte extender) and ``end``."""
    found, pos = [], start
    while pos + 8 <= end:
        esize, ecode = struct.unpack(order + "ii", raw[pos : pos + 8])
        if esize < 8 or pos + esize > end:
            raise DeidError(
                f"inconsistent extensions: an extension of {esize} bytes at byte {pos} "
                f"does not fit before vox_offset {end}"
            )
        found.append((ecode, raw[pos : pos + esize]))
        pos += esize
    return found


def parse_single(raw: bytes, kind: str) -> Image:
    """A single-file NIfTI (.nii): header, extender, extensions, voxels at vox_offset."""
    header, order = _record(raw, kind)
    size = HEADER_SIZE[kind]
    offset_value = float(header["vox_offset"][0])
    offset = int(offset_value)
    if offset != offset_value or offset < size + 4:
        raise DeidError(
            f"inconsistent vox_offset: {offset_value:g} is inside the {size + 4}-byte header"
        )
    if offset > len(raw):
        raise DeidError(f"inconsistent vox_offset: {offset} is beyond the end ({len(raw)} bytes)")
    image = Image(kind, order, header)
    if raw[size] != 0:
        if offset < size + 4 + 8:
            raise DeidError(
                f"inconsistent extensions: the extender announces extensions but vox_offset "
                f"{offset} leaves no room for one"
            )
        image.extensions = _extensions(raw, size + 4, offset, order)
    need = data_size(header)
    available = len(raw) - offset
    if available < need:
        raise DeidError(f"voxel data truncated: {available} of {need} bytes")
    if available > need:
        image.notes.append(f"{available - need} bytes after the voxel data dropped")
    image.data = raw[offset : offset + need]
    return image


def parse_pair(header_raw: bytes, image_raw: bytes, kind: str) -> Image:
    """A header file (.hdr) and its image file (.img): Analyze 7.5 or a NIfTI pair."""
    header, order = _record(header_raw, kind)
    size = HEADER_SIZE[kind]
    image = Image(kind, order, header)
    if kind != "analyze" and len(header_raw) > size and header_raw[size] != 0:
        image.extensions = _extensions(header_raw, size + 4, len(header_raw), order)
    offset_value = float(header["vox_offset"][0])
    offset = int(offset_value)
    if offset != offset_value or offset < 0:
        raise DeidError(f"inconsistent vox_offset: {offset_value:g} is not a byte position")
    need = data_size(header)
    if len(image_raw) < offset + need:
        raise DeidError(
            f"mismatched .hdr/.img: image file has {len(image_raw)} bytes, "
            f"header needs {offset + need}"
        )
    if len(image_raw) > offset + need:
        image.notes.append(f"{len(image_raw) - offset - need} bytes after the voxel data dropped")
    image.data = image_raw[offset : offset + need]
    return image


def _is_text(value: bytes) -> bool:
    stripped = value.rstrip(b"\x00")
    return (
        bool(stripped)
        and all(32 <= c < 127 for c in stripped)
        and any(chr(c).isalpha() for c in stripped)
    )


def clean(image: Image, keep_extensions: frozenset[int] = frozenset()) -> dict[str, list[str]]:
    """Clear text fields and drop extensions in place; return what was done (names only)."""
    done: dict[str, list[str]] = {"cleared": [], "extensions_removed": [], "extensions_kept": []}
    record = image.header
    for name in text_fields(image.kind):
        if bytes(record[name][0]).strip(b"\x00 "):
            done["cleared"].append(name)
        record[name] = b""
    record["descrip"] = DESCRIP.encode()
    if image.kind == "analyze" and _is_text(bytes(record["originator"][0])):
        done["cleared"].append("originator")
        record["originator"] = b""
    kept = []
    for code, block in image.extensions:
        label = f"{code} ({EXTENSION_NAMES.get(code, 'unregistered')})"
        if code in keep_extensions:
            kept.append((code, block))
            done["extensions_kept"].append(label)
        else:
            done["extensions_removed"].append(label)
    image.extensions = kept
    return done


def _padded(block: bytes, order: str) -> bytes:
    """An extension padded to a multiple of 16 bytes, its size field updated (NIfTI rule)."""
    size = -(-len(block) // 16) * 16
    if size == len(block):
        return block
    code = block[4:8]
    return struct.pack(order + "i", size) + code + block[8:] + b"\x00" * (size - len(block))


def header_bytes(image: Image, single: bool) -> bytes:
    """The header (and extender and kept extensions) to write; sets vox_offset."""
    size = HEADER_SIZE[image.kind]
    ext = b"".join(_padded(block, image.order) for _, block in image.extensions)
    if image.kind == "analyze":
        image.header["vox_offset"] = 0
        return image.header.tobytes()
    extender = (b"\x01" if ext else b"\x00") + b"\x00\x00\x00"
    image.header["vox_offset"] = size + 4 + len(ext) if single else 0
    return image.header.tobytes() + extender + ext


def geometry(record: np.ndarray) -> dict[str, object]:
    """The geometry fields of a header record, for comparing before and after."""
    names = record.dtype.names or ()
    return {n: record[n][0].tolist() for n in GEOMETRY_FIELDS if n in names}
