"""Benchmark of the pixel module: OCR seconds per image, growth with frames, defacing time.

Not a test: run it by hand (`.venv/bin/python benchmarks/pixel_benchmark.py`) and paste the
table it prints into benchmarks/README.md between the pixel-benchmark markers (it can also
write them itself with --write). Times are wall-clock on the machine that runs it.

``--triage`` measures what the triage by SOP class and modality adds: the same Clean Pixel
Data run over data/samples, side by side, with the rule before it (Burned In Annotation
trusted; only YES, or a text-likely class with the flag absent, read) and with the current
rule (radiography, mammography and XA/RF read whatever the flag says; ultrasound, secondary
captures and photographs read even when the flag says NO).
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
from imgshare.pixels import clean, deface, figures, movedhead, settings, synth, triage

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
    subject = movedhead.make().image
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


def flag_trusting_triage(ds, ocr_all: bool = False) -> triage.Triage:
    """The rule before issue 17, kept here only as the baseline of the comparison."""
    burned = str(ds.get("BurnedInAnnotation", "") or "").strip().upper()
    sop, modality = str(ds.get("SOPClassUID", "")), str(ds.get("Modality", "")).upper()
    conversion = str(ds.get("ConversionType", "") or "").upper()
    kind = (triage.HIGH_RISK_CLASSES.get(sop) or triage.HIGH_RISK_MODALITIES.get(modality)
            or triage.SCREEN_CAPTURES.get(conversion))  # fmt: skip
    read = burned == "YES" or (bool(kind) and burned != "NO") or ocr_all
    return triage.Triage(read, bool(kind), "flag trusted")


def triage_cost(rounds: int = 2) -> str:
    """Seconds of a Clean Pixel Data run over the samples with each rule, best of rounds."""
    import tempfile

    from imgshare import batch, samples
    from imgshare.dicom import config, keys

    work = Path(tempfile.mkdtemp(prefix="imgshare-triage-"))
    key = keys.create_key(work / "k")
    cfg = config.build(key, ["clean-pixel-data"], release_unreviewed=True)
    best = {"flag trusted": float("inf"), "by class and modality": float("inf")}
    read = {}
    for r in range(rounds):
        for name, rule in (("flag trusted", flag_trusting_triage),
                           ("by class and modality", triage.triage)):  # fmt: skip
            clean.triage = rule
            rep = batch.run(samples.samples_dir(), work / f"{r}-{name}", cfg)
            best[name] = min(best[name], rep.seconds)
            read[name] = sum(any("clean pixel data (" in n for n in f.get("notes", []))
                             for f in rep.files)  # fmt: skip
    clean.triage = triage.triage
    old, new = best["flag trusted"], best["by class and modality"]
    return (
        f"Triage, Clean Pixel Data over data/samples (one worker, best of {rounds}): flag "
        f"trusted {old:.1f} s ({read['flag trusted']} files OCR'd), by class and modality "
        f"{new:.1f} s ({read['by class and modality']} files OCR'd): {new - old:+.1f} s, "
        f"ratio {new / old:.2f}."
    )


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
    parser.add_argument("--triage", action="store_true", help="only the triage comparison")
    args = parser.parse_args()
    np.seterr(all="ignore")
    if args.triage:
        print(triage_cost())
        raise SystemExit(0)
    table = main() + "\n\n" + triage_cost()
    print(table)
    if args.write:
        write(table)
