"""Helpers that only the book's chapters use: figures, galleries, tables, citations.

Why apart from the toolkit: a user de-identifying their own data needs ``imgshare.dicom``,
``imgshare.batch`` and the command line, not the code that draws the book's figures. Keeping
these modules here lets a newcomer see which is which; nothing in the toolkit imports them.
"""

from imgshare.book import display

display.register()  # pandas Stylers get a plain-text form in notebooks (for the PDF)
