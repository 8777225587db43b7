"""Plan and apply PS3.15 Annex E to one dataset: every element, at every depth.

Why one walker for both: ``imgshare inspect`` shows the plan and ``imgshare deidentify``
applies it; if they were two pieces of code they could disagree. The walker decides an
action for each element from the table (through the options, the recipe's overrides, the
allow-list and the attribute's Type in the IOD), records the decision with its reason, and,
unless it is only planning, carries it out. Decisions never hold the original values.

The rules, in order, for an element at any depth:

1. Group lengths (gggg,0000) go: they are deprecated and would be wrong after editing.
2. Private elements (odd groups) go, unless Retain Safe Private is chosen and the element is
   in PS3.15 Table E.3.10-1 or on the recipe's safe list, matched by its private creator.
   A private creator element is kept only while an element of its block is kept. Kept
   private text is cleaned like a descriptor when Clean Descriptors is chosen.
3. A recipe override decides, if there is one.
4. In allow-list mode, top-level attributes not on the list go.
5. Attributes in Table E.1-1 get the table's action for the chosen options; a compound action
   is resolved by the attribute's Type in the IOD. Overlay groups (60xx) follow Overlay Data.
6. Attributes not in the table are kept (the table is the standard's list of attributes that
   can identify), with three safeguards: an element whose VR is still unknown (UN) goes,
   since it cannot be checked; a UID that is not a registered DICOM UID is replaced, since
   it can only name an instance; and inside a sequence that the table says to replace (D)
   or clean (C), text, dates and UIDs are replaced or cleaned too, while codes and numbers
   are kept, so that structure survives and content does not.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

from pydicom import Dataset, Sequence
from pydicom.charset import python_encoding
from pydicom.datadict import keyword_for_tag
from pydicom.dataelem import DataElement
from pydicom.multival import MultiValue
from pydicom.tag import BaseTag
from pydicom.uid import UID_dictionary

from imgshare import __version__, profile
from imgshare.dicom import dates, hooks, keys, presets, subjects
from imgshare.dicom.config import Config
from imgshare.dicom.elements import (  # re-exported: the engine's public names
    MAX_DEPTH,
    dictionary_vr,
    identifying_values,
    resolved_vr,
)
from imgshare.dicom.errors import DeidError
from imgshare.dicom.text import Cleaner, vocabulary
from imgshare.reasons import from_exception

DUMMY_TEXT = "DEIDENTIFIED"
DUMMY = {
    "AE": DUMMY_TEXT, "AS": "000D", "CS": DUMMY_TEXT, "DA": "19000101", "DS": "0",
    "DT": "19000101000000", "IS": "0", "LO": DUMMY_TEXT, "LT": DUMMY_TEXT, "PN": DUMMY_TEXT,
    "SH": DUMMY_TEXT, "ST": DUMMY_TEXT, "TM": "000000", "UC": DUMMY_TEXT, "UT": DUMMY_TEXT,
    "UR": "", "FL": 0.0, "FD": 0.0, "SL": 0, "SS": 0, "SV": 0, "UL": 0, "US": 0, "UV": 0,
    "AT": 0, "OB": b"", "OD": b"", "OF": b"", "OL": b"", "OV": b"", "OW": b"", "UN": b"",
}  # fmt: skip
TEXT_VRS = {"AE", "LO", "LT", "PN", "SH", "ST", "UC", "UT", "UR", "AS"}
DATE_VRS = {"DA", "DT", "TM"}
#: Free text: cleaned by the allow-list (kept words only); other text VRs by values and patterns.
FREE_TEXT_VRS = {"LO", "LT", "SH", "ST", "UC", "UT"}
MAX_LENGTH = {"SH": 16, "LO": 64, "ST": 1024, "LT": 10240}
#: Attributes of coded entries, kept inside replaced or cleaned sequences.
CODE_KEYWORDS = {
    "CodeValue", "CodingSchemeDesignator", "CodingSchemeVersion", "CodeMeaning",
    "LongCodeValue", "URNCodeValue", "ContextIdentifier", "ContextUID", "MappingResource",
    "ContextGroupVersion", "ContextGroupExtensionFlag", "ValueType", "RelationshipType",
    "ContinuityOfContent", "TemplateIdentifier", "MeasurementUnitsCodeSequence",
    "ConceptNameCodeSequence", "ConceptCodeSequence", "NumericValue", "FloatingPointValue",
    "ReferencedSOPClassUID", "GraphicType", "GraphicData", "NumberOfGraphicPoints",
    "GraphicAnnotationUnits", "BoundingBoxAnnotationUnits", "AnchorPointAnnotationUnits",
    "GraphicLayer",
}  # fmt: skip
IDENTITY = {0x00100020, 0x00100010, 0x00120040}  # Patient ID, Patient's Name, Subject ID
OVERLAY_DATA = 0x60003000
PRIVATE_REMOVED = "private attribute (Table E.1-1, private row)"


@dataclass(frozen=True)
class Decision:
    """What happens to one element and why. Holds no value of the element."""

    path: str
    keyword: str
    vr: str
    action: str  # X Z D K C U, or a compound one resolved to one of those
    reason: str


@dataclass
class Context:
    """Per-dataset state: the subject, the offset and the text cleaner."""

    config: Config
    sop_class: str | None
    subject_id: str
    offset: int
    dataset: Dataset
    notes: list[str] = field(default_factory=list)
    _cleaner: Cleaner | None = None
    _text_cleaner: Cleaner | None = None
    #: (prefix, tag, keyword or None, vr, action, reason) per element, as the walk found
    #: them; Decision objects are made only when asked for (a batch only counts them).
    records: list[tuple] = field(default_factory=list)
    _decisions: list[Decision] | None = None

    @property
    def decisions(self) -> list[Decision]:
        if self._decisions is None or len(self._decisions) != len(self.records):
            self._decisions = [
                Decision(f"{prefix}{_tag_text(tag)}", keyword or _keyword(tag), vr, action, why)
                for prefix, tag, keyword, vr, action, why in self.records
            ]
        return self._decisions

    @property
    def cleaner(self) -> Cleaner:
        """The dataset's own values and identifying patterns (for OCR'd and coded text)."""
        if self._cleaner is None:
            self._cleaner = Cleaner(identifying_values(self.dataset))
        return self._cleaner

    @property
    def text_cleaner(self) -> Cleaner:
        """The allow-list cleaner for free text: keeps known words, removes the rest."""
        if self._text_cleaner is None:
            self._text_cleaner = Cleaner(identifying_values(self.dataset), vocabulary())
        return self._text_cleaner


def _tag_text(tag: int) -> str:
    return f"({tag >> 16:04X},{tag & 0xFFFF:04X})"


def subject_for(ds: Dataset, config: Config) -> tuple[str, int]:
    """The released subject ID and date offset for a dataset's patient.

    The patient is known by Patient ID qualified by Issuer of Patient ID (an ID is unique
    only within its issuer). A file without a Patient ID is never given a shared pseudonym:
    without a subject map its pseudonym and offset are made per study (Study Instance UID),
    and a subject map cannot place it, so it fails.
    """
    return _subject(ds, config)[:2]


def _subject(ds: Dataset, config: Config) -> tuple[str, int, str | None]:
    patient_id = str(ds.get("PatientID", "") or "").strip()
    issuer = str(ds.get("IssuerOfPatientID", "") or "").strip()
    if config.subjects is not None:
        if not patient_id:
            raise DeidError("no Patient ID: the file cannot be matched to the subject map")
        subject = config.subjects.get(subjects.match_key(patient_id, issuer))
        if subject is None:
            raise DeidError(
                "patient is not in the subject map (matched on Patient ID and Issuer of "
                "Patient ID; neither is printed)"
            )
        return subject.subject_id, subject.date_offset_days, None
    note = None
    if patient_id:
        known_as = subjects.match_key(patient_id, issuer)
    else:
        study = str(ds.get("StudyInstanceUID", "") or "").strip()
        instance = str(ds.get("SOPInstanceUID", "") or "").strip()
        known_as = f"\x00no Patient ID\x00{study or instance}"
        note = (
            "no Patient ID: pseudonym and date offset made for this study alone"
            if study
            else "no Patient ID and no Study Instance UID: pseudonym made for this file alone"
        )
    return keys.pseudonym(config.key, known_as), keys.date_offset(config.key, known_as), note


def check_character_set(ds: Dataset) -> None:
    """Refuse text whose encoding is unknown: it cannot be checked for identifiers."""
    charset = ds.get("SpecificCharacterSet")
    if charset is None:
        return
    names = charset if isinstance(charset, list | tuple | MultiValue) else [charset]
    for name in names:
        name = str(name).strip()
        if name and name not in python_encoding:
            raise DeidError(f"unknown Specific Character Set {name!r}: text cannot be checked")


def plan(ds: Dataset, config: Config) -> Context:
    """The decisions for a dataset, without changing it."""
    return _run(ds, config, apply=False)


def apply(ds: Dataset, config: Config) -> Context:
    """De-identify a dataset in place and return the decisions taken."""
    return _run(ds, config, apply=True)


def start(ds: Dataset, config: Config, context: type[Context] = Context) -> Context:
    """Everything before the walk: the checks, the subject and, when options may clean
    text, the identifying values (gathered before the walk changes any of them).

    Why a function of its own: the header-only path (fastpath.py) walks the elements
    itself but must start from exactly the same context as the walker here.
    """
    missing = hooks.missing(config.options)
    if missing:
        raise DeidError(f"option(s) {', '.join(missing)} need the pixel module, not installed")
    check_character_set(ds)
    sop_class = str(ds.get("SOPClassUID", "") or "") or None
    subject_id, offset, note = _subject(ds, config)
    ctx = context(config, sop_class, subject_id, offset, ds)
    if note:
        ctx.notes.append(note)
    if config.options or "C" in config.overrides.values():
        values = identifying_values(ds)
        ctx._cleaner = Cleaner(values)
        ctx._text_cleaner = Cleaner(values, vocabulary())
    return ctx


def _run(ds: Dataset, config: Config, apply: bool) -> Context:
    ctx = start(ds, config)
    preset = presets.prepare(ds, config)  # the originals a preset's rules depend on
    _walk(ds, ctx, apply, depth=0, prefix="", mode=None)
    if preset is not None:
        presets.finish(preset, ds, ctx, apply)
    if apply:
        for option in config.options:
            if option in hooks.PIXEL_HOOKS:
                ctx.notes.extend(hooks.PIXEL_HOOKS[option](ds, ctx))
        _finalise(ds, ctx)
    return ctx


_DECISIONS: dict[tuple, tuple[str, str]] = {}


def _decide(
    ds: Dataset,
    tag: BaseTag,
    vr: str,
    ctx: Context,
    depth: int,
    mode: str | None,
    parents: tuple[int, ...] = (),
) -> tuple[str, str]:
    """The action for one element and the reason for it.

    For a standard element the decision depends only on the settings, the tag, the VR, the
    level (the sequences it sits in) and the IOD, so it is computed once per process and
    reused: this is most of the elements of most files. The exceptions are private elements
    (their creator decides) and UIDs that the table does not list (whether the value is a
    registered UID decides).
    """
    if not cacheable(tag, vr, ctx.config):
        return _decide_uncached(ds, tag, vr, ctx, depth, mode, parents)
    key = (ctx.config.decision_key, int(tag), vr, depth == 0, mode, ctx.sop_class, parents)
    found = _DECISIONS.get(key)
    if found is None:
        if len(_DECISIONS) > 100_000:
            _DECISIONS.clear()
        found = _DECISIONS[key] = _decide_uncached(ds, tag, vr, ctx, depth, mode, parents)
    return found


def cacheable(tag: int, vr: str, config: Config) -> bool:
    """Whether the decision for an element depends only on the settings, the tag, the VR,
    the level and the IOD (not on the element's value or its private creator)."""
    if (tag >> 16) % 2 == 1:
        return False  # private: its creator decides
    # a UID the table does not list: the decision depends on its value (registered?)
    listed = int(tag) in config.overrides or profile.row_for(int(tag)) is not None
    return vr != "UI" or listed


def _decide_uncached(
    ds: Dataset,
    tag: BaseTag,
    vr: str,
    ctx: Context,
    depth: int,
    mode: str | None,
    parents: tuple[int, ...] = (),
) -> tuple[str, str]:
    cfg = ctx.config
    group, element = tag >> 16, tag & 0xFFFF
    if element == 0x0000:
        return "X", "group length"
    if group % 2 == 1:
        if 0x0010 <= element <= 0x00FF:
            return "K?", "private creator (kept only with a kept element of its block)"
        if not cfg.has("retain-safe-private"):
            return "X", PRIVATE_REMOVED  # whatever the creator (its value is not read)
        creator_tag = (group << 16) | (element >> 8)
        creator = str(ds[creator_tag].value).strip() if creator_tag in ds else ""
        key = (group, creator, element & 0xFF)
        if cfg.has("retain-safe-private"):
            if key in cfg.safe_private:
                source = "Retain Safe Private, recipe"
            elif key in profile.safe_private_keys():
                source = "PS3.15 Table E.3.10-1"
            else:
                source = None
            if source and vr in FREE_TEXT_VRS and cfg.has("clean-descriptors"):
                return (
                    "C",
                    f"safe private text of {creator!r} ({source}), cleaned (Clean Descriptors)",
                )
            if source:
                return "K", f"safe private attribute of {creator!r} ({source})"
        return "X", PRIVATE_REMOVED
    if int(tag) in cfg.overrides:
        return cfg.overrides[int(tag)], "recipe override"
    if depth == 0 and not cfg.allowed(int(tag)):
        return "X", "not on the allow-list"
    lookup = OVERLAY_DATA if (group & 0xFF00) == 0x6000 else int(tag)
    row = profile.row_for(lookup)
    if row is not None:
        action = profile.action_for(row, cfg.options)
        resolved = profile.resolve_compound(action, int(tag), ctx.sop_class, parents)
        graphics = resolved == "C" and (group & 0xFF00) in (0x6000, 0x5000)
        if graphics and "clean-graphics" not in hooks.PIXEL_HOOKS:
            return "X", "Clean Graphics: overlay/curve cannot be checked without the pixel module"
        why = f"Table E.1-1: {row.name}"
        if resolved != action:
            why += f" ({action} resolved by Type in the IOD)"
        elif action != row.basic:
            why += " (changed by an option)"
        return resolved, why
    if dictionary_vr(int(tag)) is None:
        # The same under implicit and explicit VR: a public element that the dictionary
        # does not know has no defined meaning, so it cannot be checked.
        return "X", "not in the data dictionary: cannot be checked"
    if vr == "UN":
        return "X", "value representation unknown (UN): cannot be checked"
    keyword = keyword_for_tag(tag) or ""
    if vr == "UI" and not cfg.has("retain-uids") and not _registered_uid(ds, tag, keyword):
        return "U", "not in the table, but an instance UID"
    in_replaced = mode is not None and vr != "SQ" and keyword not in CODE_KEYWORDS
    if in_replaced and (vr in TEXT_VRS or vr in DATE_VRS):
        return ("D" if mode == "D" else "C"), f"inside a sequence to {_MODE[mode]}"
    return "K", "not in Table E.1-1"


_MODE = {"D": "replace (D)", "C": "clean (C)"}


@functools.lru_cache(maxsize=8192)
def _keyword(tag: int) -> str:
    return keyword_for_tag(tag) or ("(private)" if (tag >> 16) % 2 == 1 else "")


def _registered_uid(ds: Dataset, tag: BaseTag, keyword: str) -> bool:
    if keyword.endswith(("ClassUID", "TransferSyntaxUID", "CodingSchemeUID", "ContextUID")):
        return True
    value = ds[tag].value
    values = value if isinstance(value, list | tuple | MultiValue) else [value]
    return all(str(v).strip() in UID_dictionary for v in values if v)


def _walk(
    ds: Dataset,
    ctx: Context,
    apply: bool,
    depth: int,
    prefix: str,
    mode: str | None,
    parents: tuple[int, ...] = (),
) -> None:
    if depth > MAX_DEPTH:
        raise DeidError(f"sequences nested deeper than {MAX_DEPTH} levels")
    kept_blocks: set[tuple[int, int]] = set()
    creators: list[BaseTag] = []
    for tag in list(ds.keys()):
        try:
            vr = resolved_vr(ds, tag)
            action, reason = _decide(ds, tag, vr, ctx, depth, mode, parents)
        except DeidError:
            raise
        except Exception as exc:  # a value pydicom cannot parse
            raise DeidError(
                f"cannot read element {_tag_text(tag)}: {from_exception(exc)}"
            ) from None
        if action == "K?":
            creators.append(tag)
            continue
        ctx.records.append((prefix, tag, None, vr, action, reason))
        if tag.is_private and action != "X":
            kept_blocks.add((tag >> 16, (tag & 0xFFFF) >> 8))
        if vr != "SQ" and (action == "K" or not apply):
            continue  # kept elements stay raw: written back byte for byte, and fast
        path = f"{prefix}{_tag_text(tag)}"
        try:
            _act(ds, tag, vr, action, ctx, apply, depth, path, mode, parents)
        except DeidError:
            raise
        except Exception as exc:
            raise DeidError(f"cannot process element {path}: {from_exception(exc)}") from None
    for tag in creators:
        keep = (tag >> 16, tag & 0xFF) in kept_blocks
        ctx.records.append(
            (prefix, tag, "(private creator)", "LO", "K" if keep else "X", "private creator")
        )
        if apply and not keep:
            del ds[tag]


def _act(
    ds: Dataset,
    tag: BaseTag,
    vr: str,
    action: str,
    ctx: Context,
    apply: bool,
    depth: int,
    path: str,
    mode: str | None,
    parents: tuple[int, ...] = (),
) -> None:
    if action == "X":
        if apply:
            del ds[tag]
        return
    if depth == 0 and int(tag) in IDENTITY and action != "K":
        if apply:
            ds[tag].value = ctx.subject_id
        return
    if vr != "SQ" and (action == "K" or not apply):
        return  # kept elements stay raw: they are written back byte for byte, and fast
    elem = ds[tag]
    if elem.VR == "SQ":
        if action == "Z":
            if apply:
                elem.value = Sequence()
            return
        sub_mode = {"D": "D", "C": "C"}.get(action, mode)
        for i, item in enumerate(elem.value):
            _walk(item, ctx, apply, depth + 1, f"{path}[{i}].", sub_mode, (*parents, int(tag)))
        return
    if not apply:
        return
    if action == "K":
        return
    if action == "Z":
        elem.value = "" if elem.VR not in DUMMY or isinstance(DUMMY[elem.VR], str) else None
    elif action == "D":
        _dummy(elem, ctx)
    elif action == "U":
        _replace_uid(elem, ctx)
    elif action == "C":
        _clean(ds, elem, ctx)
    else:
        raise DeidError(f"unknown action {action!r} for {path}")


def _dummy(elem: DataElement, ctx: Context) -> None:
    if elem.VR == "UI":
        _replace_uid(elem, ctx)
    else:
        elem.value = DUMMY.get(elem.VR, "")


def _replace_uid(elem: DataElement, ctx: Context) -> None:
    if elem.VR != "UI" or elem.value in (None, ""):
        if elem.VR != "UI":
            elem.value = DUMMY.get(elem.VR, "")
        return
    if elem.VM > 1:
        elem.value = [keys.uid(ctx.config.key, str(v)) for v in elem.value]
    else:
        elem.value = keys.uid(ctx.config.key, str(elem.value))


def _map_values(elem: DataElement, fn, ctx: Context, failure: str) -> None:
    """Apply fn to each value; if any value cannot be handled with confidence, empty it all."""
    values = list(elem.value) if elem.VM > 1 else [elem.value]
    mapped = [fn(str(v)) for v in values]
    if any(m is None for m in mapped):
        elem.value = ""
        ctx.notes.append(f"{elem.tag}: {failure} with confidence; emptied")
    else:
        elem.value = mapped if elem.VM > 1 else mapped[0]


def _clean(ds: Dataset, elem: DataElement, ctx: Context) -> None:
    """C: keep the information, without what identifies."""
    vr = elem.VR
    if elem.value in (None, ""):
        return
    if vr in DATE_VRS:
        if ctx.config.has("retain-long-full-dates"):
            return
        if vr == "TM":
            return  # whole-day shifts keep the time of day
        shift = dates.shift_da if vr == "DA" else dates.shift_dt
        _map_values(elem, lambda v: shift(v, ctx.offset), ctx, "a date could not be shifted")
        return
    if vr == "PN":
        elem.value = DUMMY_TEXT
        return
    if vr == "UI":
        _replace_uid(elem, ctx)
        return
    if vr in FREE_TEXT_VRS:
        limit = MAX_LENGTH.get(vr)
        clean = ctx.text_cleaner.clean
        _map_values(elem, lambda v: clean(v, max_length=limit), ctx, "text could not be cleaned")
        return
    if vr in TEXT_VRS or vr == "CS":
        _map_values(elem, ctx.cleaner.clean, ctx, "text could not be cleaned")
        return
    if (elem.tag >> 16) & 0xFF00 in (0x6000, 0x5000):
        if "clean-graphics" in hooks.PIXEL_HOOKS:
            return  # the pixel module's Clean Graphics hook cleans it after the walk
        # Overlay or curve data under Clean Graphics: without the pixel module the bitmap
        # cannot be checked for text, so it is removed rather than kept unchecked.
        del ds[elem.tag]
        ctx.notes.append(f"{elem.tag}: graphics cannot be cleaned without pixel checks; removed")
        return
    # binary or numeric values that the table says to clean: nothing textual to remove


def _finalise(ds: Dataset, ctx: Context) -> None:
    """Record what was done, as PS3.15 E.1.1 and PS3.3 ask, and rebuild the file meta."""
    cfg = ctx.config
    # Overlay groups whose data went are removed whole, so no orphan overlay attributes stay.
    tags = list(ds.keys())
    groups_with_data = {
        t >> 16 for t in tags if (t >> 16) & 0xFF00 == 0x6000 and t & 0xFFFF == 0x3000
    }
    for tag in [t for t in tags if (t >> 16) & 0xFF00 == 0x6000]:
        if tag >> 16 not in groups_with_data:
            del ds[tag]
    ds.PatientIdentityRemoved = "YES"
    ds.DeidentificationMethod = f"imgshare {__version__}; DICOM PS3.15 E.1-1 (2024e)"
    if cfg.preset:
        ds.DeidentificationMethod = [ds.DeidentificationMethod, f"imgshare preset {cfg.preset}"]
    codes = Sequence()
    for option in [profile.BASIC, *(profile.OPTIONS[o] for o in cfg.options)]:
        item = Dataset()
        item.CodeValue = option.code
        item.CodingSchemeDesignator = "DCM"
        item.CodeMeaning = option.name
        codes.append(item)
    ds.DeidentificationMethodCodeSequence = codes
    if cfg.has("retain-long-full-dates"):
        ds.LongitudinalTemporalInformationModified = "UNMODIFIED"
    elif cfg.has("retain-long-modified-dates"):
        ds.LongitudinalTemporalInformationModified = "MODIFIED"
    else:
        ds.LongitudinalTemporalInformationModified = "REMOVED"
    ds.preamble = b"\x00" * 128


def summary(ctx: Context) -> dict[str, Any]:
    """Counts of actions and the tags per action, for the report (no values)."""
    counts: dict[str, int] = {}
    tags: dict[str, list[str]] = {}
    texts = _TAG_TEXTS
    for prefix, tag, _, _, action, _ in ctx.records:
        counts[action] = counts.get(action, 0) + 1
        if action != "K":
            text = texts.get(tag)
            if text is None:
                text = _tag_text(tag)
                if len(texts) < 65536:
                    texts[tag] = text
            tags.setdefault(action, []).append(prefix + text)
    return {"actions": dict(sorted(counts.items())), "tags": tags}


#: "(gggg,eeee)" by tag, for the report: the same few hundred tags in every file.
_TAG_TEXTS: dict[int, str] = {}


__all__ = ["Decision", "Context", "DeidError", "plan", "apply", "summary"]
