"""Reading a dataset's elements as the engine sees them: their VR and their identifying values.

Why apart from the engine: the walker decides on raw elements, and the pixel cleaners need the
same file's identifying values to judge the text they read in the pixels. Both use these
functions; kept here, the pixel modules do not import the engine, which calls them.
"""

from __future__ import annotations

import functools
from typing import Any

from pydicom import Dataset
from pydicom.datadict import dictionary_VR
from pydicom.dataelem import DataElement
from pydicom.hooks import hooks as pydicom_hooks
from pydicom.tag import BaseTag
from pydicom.valuerep import AMBIGUOUS_VR

from imgshare import profile
from imgshare.dicom.text import date_variants, name_tokens

#: Sequences nested deeper than this are refused (no real object comes near it).
MAX_DEPTH = 32


def identifying_values(ds: Dataset) -> set[str]:
    """Values in a dataset that identify, to be searched for in its free text.

    Taken from attributes that Table E.1-1 lists and that are not themselves descriptions:
    names (every component), IDs and other short strings, and dates in common spellings.
    """
    values: set[str] = set()

    def visit(item: Dataset, depth: int) -> None:
        # By tag first: only sequences and listed attributes are decoded (never Pixel Data).
        for tag in list(item.keys()):
            vr = resolved_vr(item, tag)
            if vr == "UN" and getattr(item.get_item(tag, keep_deferred=True), "length", 0) == (
                0xFFFFFFFF
            ):
                vr = item[tag].VR  # pydicom reads an undefined-length UN as a sequence
            if vr == "SQ":
                if depth < MAX_DEPTH:
                    for sub in item[tag].value:
                        visit(sub, depth + 1)
                continue
            row = profile.row_for(int(tag)) if not tag.is_private else None
            if row is None or row.basic == "K" or "clean-descriptors" in row.options:
                continue
            elem = item[tag]
            for value in elem.value if elem.VM > 1 else [elem.value]:
                if value is None or value == "":
                    continue
                text = str(value).strip()
                if elem.VR == "PN":
                    values.update(name_tokens(text))
                elif elem.VR in ("DA", "DT"):
                    values.update(date_variants(text))
                elif elem.VR in ("LO", "SH", "CS", "UC", "AE"):
                    values.add(text)
                    if elem.VR in ("LO", "SH"):
                        values.update(w for w in text.replace("^", " ").split() if len(w) >= 4)

    visit(ds, 0)
    return values


def _elements(ds: Dataset) -> dict:
    """The dataset's elements by tag, raw or decoded, without reading deferred values.

    pydicom's ``get_item`` does the same one element at a time, converting the key to a Tag
    on every call; this is its internal dictionary (pydicom is pinned, 3.0.2), read only.
    """
    return ds._dict


@functools.lru_cache(maxsize=16384)
def dictionary_vr(tag: int) -> str | None:
    """The VR the data dictionary gives a public tag (repeating groups included), or None
    for a tag it does not know. Ambiguous entries come back as written ('US or SS')."""
    try:
        return str(dictionary_VR(tag))
    except KeyError:
        return None


def resolved_vr(ds: Dataset, tag: BaseTag) -> str:
    """The VR of an element, the same whatever the encoding and whatever was read before.

    Why: an implicit-VR file carries no VR, and an explicit one may say UN; pydicom fills
    the VR in when it decodes an element, but the walker looks at raw elements, most of
    them never decoded. So the VR is found here exactly as pydicom's decode finds it: its
    own lookup (the file's explicit VR, else the data dictionary, else the private
    dictionary by private creator), and an ambiguous dictionary VR ('OB or OW', 'US or SS')
    resolved by pydicom itself, which decodes that one element to do it. Before this, a
    raw element kept UN and the UN rule removed Pixel Data from implicit-VR files.
    """
    raw = _elements(ds).get(tag)
    if raw is None:
        raw = ds.get_item(tag, keep_deferred=True)
    vr = raw.VR
    if not isinstance(raw, DataElement) and (vr is None or vr == "UN"):
        found: dict[str, Any] = {}
        pydicom_hooks.raw_element_vr(raw, found, ds=ds)
        vr = found.get("VR") or "UN"
    if vr in AMBIGUOUS_VR:
        vr = ds[tag].VR  # pydicom's own resolution, as a full decode does it
    return str(vr)
