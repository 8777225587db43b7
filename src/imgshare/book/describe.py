"""Read-only views of image files for the book: header tables and a picture.

Why: the chapters show what a file holds. These helpers turn a DICOM dataset or a NIfTI
header into rows a table can show, and any supported image into one 2D array to draw, so
that notebooks stay short and the same code is tested. Nothing here changes a file.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

PREVIEW = 240  # characters of a value shown whole in a table; a longer one is summarised


def _preview(value: Any) -> str:
    """A value as a table shows it: whole, or, if too long, described (never cut short).

    Why not cut: a cell that ends in "…" hides what a reader is looking for, such as the
    identifier at the end of a description, and looks like an error in the printed book.
    """
    text = str(value)
    if len(text) <= PREVIEW:
        return text
    if isinstance(value, list | tuple) or type(value).__name__ == "MultiValue":
        return f"({len(value):,} values)"
    return f"({len(text):,} characters of text)"


def dicom_elements(source: Any, max_depth: int = 8) -> list[dict[str, Any]]:
    """Every data element of a DICOM file or dataset, nested sequences included, as rows.

    Each row has the tag path, keyword, VR, nesting depth and a shortened value. Bulk data
    (pixel data, waveforms) is summarised by its length.
    """
    import pydicom

    ds = source if isinstance(source, pydicom.Dataset) else pydicom.dcmread(source, force=True)
    rows: list[dict[str, Any]] = []
    if getattr(ds, "file_meta", None):
        rows.extend(_walk(ds.file_meta, "", 0, max_depth))
    rows.extend(_walk(ds, "", 0, max_depth))
    return rows


def _walk(ds: Any, prefix: str, depth: int, max_depth: int) -> Iterator[dict[str, Any]]:
    for elem in ds:
        tag = f"({elem.tag.group:04X},{elem.tag.element:04X})"
        path = f"{prefix}{tag}"
        if elem.VR == "SQ":
            value = f"sequence of {len(elem.value)} item(s)"
        elif elem.VR in {"OB", "OW", "OF", "OD", "OL", "OV", "UN"} and elem.value is not None:
            value = f"<{len(elem.value)} bytes>"
        else:
            value = _preview(elem.value)
        yield {
            "path": path,
            "keyword": elem.keyword or ("(private)" if elem.tag.is_private else ""),
            "VR": elem.VR,
            "depth": depth,
            "value": value,
        }
        if elem.VR == "SQ" and depth < max_depth:
            for i, item in enumerate(elem.value):
                yield from _walk(item, f"{path}[{i}].", depth + 1, max_depth)


def nifti_header(path: str | Path) -> list[dict[str, Any]]:
    """The header fields of a NIfTI, Analyze or MGH file as rows (field, value)."""
    import nibabel as nib

    img = nib.load(str(path))
    header = img.header
    rows = (
        [{"field": key, "value": _preview(np.asarray(header[key]).tolist())} for key in header]
        if hasattr(header, "keys")
        else []
    )
    affine = "; ".join(str(row) for row in np.round(img.affine, 3).tolist())
    rows.append({"field": "(affine)", "value": affine})
    extensions = getattr(header, "extensions", None) or []
    for i, ext in enumerate(extensions):
        rows.append({"field": f"(extension {i})", "value": f"code {ext.get_code()}"})
    return rows


def picture(path: str | Path) -> np.ndarray:
    """One 2D image to draw: the first frame of a DICOM file, the middle slice of a volume."""
    path = Path(path)
    name = path.name.lower()
    if name.endswith((".nii", ".nii.gz", ".hdr", ".img", ".mgz", ".mgh")):
        import nibabel as nib

        data = np.asanyarray(nib.load(str(path)).dataobj)
        while data.ndim > 3:
            data = data[..., 0]
        return np.rot90(data[:, :, data.shape[2] // 2]) if data.ndim == 3 else data
    import pydicom

    ds = pydicom.dcmread(path)
    array = ds.pixel_array
    frames = int(ds.get("NumberOfFrames", 1) or 1)
    if frames > 1:
        array = array[0]
    return array


def plan_table(path: str | Path, options: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """What ``imgshare deidentify`` would do to each element of a file, and why (no values)."""
    import secrets

    from imgshare.dicom import config, engine, io

    ds, _ = io.read(Path(path))
    ctx = engine.plan(ds, config.Config(key=secrets.token_bytes(32), options=options))
    return [
        {"path": d.path, "keyword": d.keyword, "VR": d.vr, "action": d.action, "why": d.reason}
        for d in ctx.decisions
    ]


def compare_dicom(before: str | Path, after: str | Path, keywords: list[str]) -> list[dict]:
    """Selected attributes of a file before and after de-identification, side by side."""
    import pydicom

    a = pydicom.dcmread(before, force=True)
    b = pydicom.dcmread(after, force=True)

    def show(ds: Any, keyword: str) -> str:
        if keyword not in ds:
            return "(removed)"
        value = ds[keyword].value
        return "(empty)" if value in ("", None) else _preview(value)

    return [{"attribute": k, "before": show(a, k), "after": show(b, k)} for k in keywords]
