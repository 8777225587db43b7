"""imgshare: de-identify and inspect medical images for clinical-trial data sharing.

The package behind the book "Sharing medical images from clinical trials": the chapters,
notebooks, tests and benchmarks all call it, so the guidance on the page is tested code.
"""

__version__ = "0.1.0"

from imgshare import _display  # noqa: E402

_display.register()  # pandas Stylers get a plain-text form in notebooks (for the PDF)
