"""Decode the pixels of a DICOM image into frames, view them for OCR, and store them back.

Why a module of its own: masking needs the decoded values (compressed pixel data cannot be
edited in place without a codec-specific method), and the output must stay a valid file:
after decoding, the pixels are stored uncompressed (Explicit VR Little Endian) and the
attributes that describe them follow (Photometric Interpretation, Planar Configuration,
Transfer Syntax UID in the file meta, which the batch writer takes the syntax from).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from pydicom import Dataset
from pydicom.uid import UID, ExplicitVRLittleEndian

from imgshare.dicom.errors import DeidError


@dataclass
class Pixels:
    """All frames of an image, as decoded, and what the decoding changed."""

    frames: np.ndarray  # (frames, rows, columns[, samples])
    photometric: str
    source_syntax: str
    lossy: bool


def decode(ds: Dataset) -> Pixels:
    """Every frame of ``ds``; colour YBR data come back as RGB."""
    syntax = ds.file_meta.get("TransferSyntaxUID") if hasattr(ds, "file_meta") else None
    syntax = syntax or ExplicitVRLittleEndian
    photometric = str(ds.PhotometricInterpretation).strip()
    arr = ds.pixel_array  # pydicom converts YBR to RGB by default
    if photometric.startswith("YBR") and int(ds.get("SamplesPerPixel", 1)) == 3:
        photometric = "RGB"
    n_frames = int(ds.get("NumberOfFrames", 1) or 1)
    if n_frames == 1:
        arr = arr[np.newaxis]
    lossy = str(ds.get("LossyImageCompression", "00")).strip() == "01" or syntax in LOSSY
    return Pixels(np.array(arr), photometric, str(syntax), lossy)


#: Transfer syntaxes whose decoding has lost information.
LOSSY = {
    "1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51", "1.2.840.10008.1.2.4.81",
    "1.2.840.10008.1.2.4.91", "1.2.840.10008.1.2.4.101", "1.2.840.10008.1.2.4.102",
    "1.2.840.10008.1.2.4.103", "1.2.840.10008.1.2.4.104", "1.2.840.10008.1.2.4.105",
    "1.2.840.10008.1.2.4.106", "1.2.840.10008.1.2.4.201", "1.2.840.10008.1.2.4.202",
    "1.2.840.10008.1.2.4.203", "1.2.840.10008.1.2.4.100",
}  # fmt: skip


def for_ocr(frame: np.ndarray, ds: Dataset) -> np.ndarray:
    """An 8-bit greyscale view of one frame in which text stands out.

    Colour: the brightest channel (coloured text on a dark background stays bright, where a
    luminance average would dim blue or red text). Palette: through the lookup table.
    More than 8 bits: stretched between the 0.5th and 99.5th percentiles, because text is
    usually drawn at the top of the range and a window would hide it.
    """
    if str(ds.PhotometricInterpretation).strip() == "PALETTE COLOR":
        from pydicom.pixels import apply_color_lut

        frame = apply_color_lut(frame, ds)
    if frame.ndim == 3:
        frame = frame.max(axis=2)
    frame = frame.astype(np.float64)
    lo, hi = np.percentile(frame, [0.5, 99.5]) if frame.size else (0.0, 1.0)
    if hi <= lo:
        lo, hi = float(frame.min()), float(frame.max()) or 1.0
    if frame.max() <= 255 and frame.min() >= 0 and hi - lo > 64:
        lo, hi = 0.0, 255.0
    out = np.clip((frame - lo) / max(hi - lo, 1e-9) * 255.0, 0, 255).astype(np.uint8)
    if str(ds.PhotometricInterpretation).strip() == "MONOCHROME1":
        out = 255 - out
    return out


def blank_value(ds: Dataset, frames: np.ndarray) -> int | float:
    """The value that shows as black: the minimum (maximum for MONOCHROME1), or for a
    palette image the index of its darkest colour."""
    photometric = str(ds.PhotometricInterpretation).strip()
    if photometric == "PALETTE COLOR":
        from pydicom.pixels import apply_color_lut

        n = int(ds.RedPaletteColorLookupTableDescriptor[0]) or 65536
        first = int(ds.RedPaletteColorLookupTableDescriptor[1])
        indices = np.arange(first, first + n, dtype=frames.dtype)
        colours = apply_color_lut(indices, ds).astype(np.float64).sum(axis=-1)
        return int(indices[int(np.argmin(colours))])
    if photometric == "MONOCHROME1":
        return frames.max()
    return frames.min()


def store(ds: Dataset, pixels: Pixels) -> list[str]:
    """Write the frames back uncompressed and update the attributes that describe them."""
    notes: list[str] = []
    arr = pixels.frames
    if arr.shape[0] == 1:
        arr = arr[0]
    bits_stored = int(ds.get("BitsStored", arr.dtype.itemsize * 8))
    syntax = ds.file_meta.get("TransferSyntaxUID") if hasattr(ds, "file_meta") else None
    if syntax is not None and (syntax.is_compressed or not syntax.is_little_endian):
        ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian  # set_pixel_data needs LE
    if arr.dtype.itemsize > 2:
        raise DeidError("pixels of more than 16 bits cannot be stored back after cleaning")
    had_frames = "NumberOfFrames" in ds
    ds.set_pixel_data(arr, pixels.photometric, bits_stored, generate_instance_uid=False)
    if had_frames and "NumberOfFrames" not in ds:
        ds.NumberOfFrames = 1  # multi-frame classes keep the attribute (Type 1)
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    if pixels.source_syntax != ExplicitVRLittleEndian:
        notes.append(f"pixels decoded from {pixels.source_syntax}, stored uncompressed")
    if pixels.lossy:
        ds.LossyImageCompression = "01"
        notes.append("source pixels were lossy-compressed: artefacts of the text may remain")
    return notes


def clear_unused_bits(ds: Dataset) -> bool:
    """Clear bits outside Bits Stored in uncompressed pixel data (embedded overlays).

    Old files put overlay planes in the unused high bits of each pixel; a viewer that shows
    them shows their text. Unsigned values are masked; signed values are sign-extended from
    High Bit, which also wipes the bits above it. Returns True if anything changed.
    """
    if "PixelData" not in ds or int(ds.get("BitsAllocated", 8)) not in (16, 32):
        return False
    meta = getattr(ds, "file_meta", None)
    syntax = UID(
        (meta.get("TransferSyntaxUID") if meta is not None else None) or ExplicitVRLittleEndian
    )
    if syntax.is_compressed or not syntax.is_little_endian:
        return False  # decoding already drops bits outside Bits Stored
    allocated, stored = int(ds.BitsAllocated), int(ds.BitsStored)
    high = int(ds.get("HighBit", stored - 1))
    if stored >= allocated:
        return False
    dtype = np.dtype(f"<u{allocated // 8}")
    raw = np.frombuffer(ds.PixelData, dtype=dtype).copy()
    low = high - stored + 1
    mask = ((1 << stored) - 1) << low
    cleaned = raw & dtype.type(mask)
    if int(ds.get("PixelRepresentation", 0)) == 1:
        sign = dtype.type(1 << high)
        negative = (cleaned & sign) != 0
        above = dtype.type(((1 << allocated) - 1) ^ ((1 << (high + 1)) - 1))
        cleaned = np.where(negative, cleaned | above, cleaned)
    if np.array_equal(cleaned, raw):
        return False
    ds.PixelData = cleaned.astype(dtype).tobytes()
    return True
