"""Benchmark of the pixel module: OCR seconds per image, growth with frames, defacing time.

Not a test: run it by hand (`.venv/bin/python benchmarks/pixel_benchmark.py`) and paste the
table it prints into benchmarks/README.md between the pixel-benchmark markers (it can also
write them itself with --write). Times are wall-clock on the machine that runs it.
"""

from __future__ import annotations

import argparse
import copy
import os
import platform
import re
import time
from pathlib import Path

import numpy as np

from imgshare.dicom.engine import identifying_values
from imgshare.dicom.text import Cleaner
from imgshare.pixels import clean, deface, figures, settings, synth

README = Path(__file__).with_name("README.md")
START, END = "<!-- pixel-benchmark:start -->", "<!-- pixel-benchmark:end -->"


def timed(fn, repeat: int = 2) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def clean_seconds(ds, verify: bool = True) -> float:
    s = settings.Settings(ocr_all=True, verify=verify)
    cleaner = Cleaner(identifying_values(ds))
    return timed(lambda: clean.clean_pixels(copy.deepcopy(ds), cleaner, s))


def ct_slice():
    """A 512 x 512 CT-like slice with a text banner, as a Secondary Capture."""
    img, _ = synth.draw(512, 512, seed=5, n=6)
    return synth.dataset([img])


def main() -> str:
    rows = []
    for name in [
        "dicom/us_greyscale_burned_in.dcm",
        "dicom/us_rgb_burned_in.dcm",
        "dicom/examples_palette.dcm",
        "dicom/ctbrain1.dcm",
        "dicom/JPEG2000_UNC.dcm",
    ]:
        ds = figures.read(name)
        size = f"{ds.Rows}x{ds.Columns}"
        rows.append((name, size, 1, clean_seconds(ds, False), clean_seconds(ds)))
    ds = ct_slice()
    rows.append(
        (
            "synthetic 512x512 slice with text",
            "512x512",
            1,
            clean_seconds(ds, False),
            clean_seconds(ds),
        )
    )
    for n in (1, 4, 8):
        frames = [synth.draw(256, 256, rgb=True, seed=100 + i, n=4)[0] for i in range(n)]
        ds = synth.dataset(frames)
        rows.append(
            (
                f"synthetic cine, {n} distinct frame(s)",
                "256x256",
                n,
                clean_seconds(ds, False),
                clean_seconds(ds),
            )
        )
    tmpl, _ = deface.template()
    subject, _ = deface.moved_copy(tmpl)
    deface.deface(subject)  # warm the template cache
    t_deface = timed(lambda: deface.deface(subject), repeat=2)
    lines = [
        f"Machine: {platform.machine()}, {os.cpu_count()} CPU(s), "
        f"Python {platform.python_version()}; Tesseract with one thread per process; "
        "best of two runs.",
        "",
        "| Image | Size | Frames | OCR + mask (s) | With verification (s) | Per frame (s) |",
        "|---|---|---|---|---|---|",
    ]
    for name, size, n, a, b in rows:
        lines.append(f"| {name} | {size} | {n} | {a:.2f} | {b:.2f} | {b / n:.2f} |")
    lines += [
        "",
        f"Defacing one volume ({'x'.join(map(str, subject.GetSize()))} voxels, "
        f"affine registration of the template, mask resampling): {t_deface:.1f} s.",
    ]
    return "\n".join(lines)


def write(table: str) -> None:
    text = README.read_text() if README.exists() else "# Benchmarks\n"
    block = f"{START}\n## Pixels: OCR and defacing\n\n{table}\n{END}"
    if START in text:
        text = re.sub(re.escape(START) + ".*?" + re.escape(END), block, text, flags=re.S)
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    README.write_text(text)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", action="store_true", help="update benchmarks/README.md")
    args = parser.parse_args()
    np.seterr(all="ignore")
    table = main()
    print(table)
    if args.write:
        write(table)
