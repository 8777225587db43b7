"""Check a release for residual identifiers, lost pixels, broken links and lost values.

Why a separate checker: a de-identification tool reports what it did; only an independent
reading of what it wrote shows what is left. ``imgshare verify`` shares no code and no list
with the engine or the corpus. It takes the identifying values from the originals
(``--against SRC``: every element of every DICOM file decoded in its declared character
sets, NIfTI headers and extensions, BIDS sidecars and tables; see ``values``) or from a
corpus answer key (``--answer-key``), or both, and searches every path, every decoded value
and every byte of the release for them (``match``, ``scan``). It pairs each released DICOM
file with its source (``pairing``) and checks what must survive (``checks``), reading from
each released file the options it declares (``standard``). The report masks every
identifier (``report``); ``files`` walks and reads, ``cli`` is the command line.

    from imgshare.verify import verify
    result = verify("release", against="originals")
    result.passed, result.text()

"""

from __future__ import annotations

from imgshare.verify import checks, files, match, pairing, scan, values
from imgshare.verify.checks import Check
from imgshare.verify.cli import build_parser, run
from imgshare.verify.match import Matcher, mask
from imgshare.verify.release import DESCRIPTIVE, source_values, verify
from imgshare.verify.report import Result
from imgshare.verify.scan import CATEGORIES, Finding
from imgshare.verify.values import Values, long_enough


def main(argv: list[str] | None = None) -> int:
    return run(build_parser().parse_args(argv))


__all__ = ["verify", "source_values", "DESCRIPTIVE", "checks", "files", "match", "pairing",
           "scan", "values", "Result", "Finding", "Check", "Matcher", "Values", "mask",
           "long_enough", "CATEGORIES", "build_parser", "run", "main"]  # fmt: skip
