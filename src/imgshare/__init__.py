"""imgshare: de-identify and inspect medical images for clinical-trial data sharing.

The package behind the book "Sharing medical images from clinical trials": the chapters,
notebooks, tests and benchmarks all call it, so the guidance on the page is tested code.

The toolkit's modules sit at the top (``dicom``, ``pixels``, ``nifti``, ``batch``,
``verify``, ``transfer``, …); helpers that only the book's pages use (figures, galleries,
the attribute catalogue, citations, build information) live in :mod:`imgshare.book`.
"""

__version__ = "0.1.0"
