"""How big images are: measured on the samples, and estimated for a trial from geometry.

Why: storage tier, transfer time and whether a sharing platform can take a release at all
follow from bytes. The per-file figures are measured; the trial estimate is arithmetic on
an acquisition's geometry (rows x columns x bytes per pixel x images), so every assumption
is visible and can be replaced by a sponsor's own protocol figures.
"""

from __future__ import annotations

from dataclasses import dataclass

from imgshare import samples


def sample_sizes() -> list[dict[str, object]]:
    """Per DICOM sample: modality, geometry, pixel bytes uncompressed, bytes on disk."""
    from pydicom import dcmread

    rows = []
    for sample in samples.manifest():
        if sample.format != "DICOM":
            continue
        try:
            ds = dcmread(sample.path, stop_before_pixels=True)
        except Exception:  # a bad-input sample on purpose: not an image to measure
            continue
        if "Rows" not in ds or "TransferSyntaxUID" not in ds.file_meta:
            continue
        frames = int(ds.get("NumberOfFrames", 1) or 1)
        spp = int(ds.get("SamplesPerPixel", 1))
        raw = int(ds.Rows) * int(ds.Columns) * frames * spp * int(ds.BitsAllocated) // 8
        rows.append(
            {
                "file": sample.file.split("/")[-1],
                "modality": sample.modality,
                "geometry": f"{ds.Rows}x{ds.Columns}x{frames}",
                "bits": int(ds.BitsAllocated),
                "transfer syntax": ds.file_meta.TransferSyntaxUID.name,
                "pixel bytes (uncompressed)": raw,
                "file bytes": sample.bytes,
            }
        )
    return rows


@dataclass(frozen=True)
class Acquisition:
    """One imaging time point of one participant, described by its geometry."""

    modality: str
    rows: int
    columns: int
    bytes_per_pixel: int
    images: int

    @property
    def bytes(self) -> int:
        return self.rows * self.columns * self.bytes_per_pixel * self.images


def trial_bytes(acquisition: Acquisition, participants: int, time_points: int) -> int:
    """Uncompressed bytes for a trial: per acquisition x participants x time points."""
    return acquisition.bytes * participants * time_points


def human(n: float) -> str:
    """Bytes in decimal units (1 GB = 10^9 bytes), as storage is sold."""
    for unit in ("B", "kB", "MB", "GB", "TB", "PB"):
        if abs(n) < 1000:
            return f"{n:.1f} {unit}" if unit != "B" else f"{int(n)} B"
        n /= 1000
    return f"{n:.1f} EB"
