"""The header-only path: de-identify a file without making objects of what it keeps.

Why: on a typical image most elements are kept (K) and Pixel Data is most of the bytes. The
general path (io.read, engine.apply, fastwrite) makes a pydicom object of every element and
decides each one; here the file is scanned by position (rawscan), each element is decided
by its tag from decisions cached per setting and IOD, a kept element is written as the
bytes it was (consecutive ones as one slice), Pixel Data is copied file to file in the
kernel, and only the elements an action changes go through pydicom and the engine's own
code (``engine._act``), whose bytes are then reused for the next file with the same value.

It gives the same bytes, report entries and notes as the general path, or does nothing:
any file or setting it does not handle exactly (another transfer syntax, compressed pixel
data, pixel options, a preset, an element that cannot be decoded, an error of any kind)
goes to the general path, with the reason (tests/test_fastpath.py compares both paths'
output bytes on every sample and every real-world file). Everything that looks at a
file's content (the reader's checks, the release gate, the subject, the identifying values,
the decisions that depend on a value) is the same code, called on a pydicom Dataset of the
raw elements the scanner found, as pydicom's reader would have made it.
"""

from __future__ import annotations

import functools
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydicom import Dataset
from pydicom.charset import convert_encodings, default_encoding
from pydicom.datadict import tag_for_keyword
from pydicom.dataelem import DataElement, RawDataElement
from pydicom.tag import BaseTag
from pydicom.uid import PYDICOM_IMPLEMENTATION_UID, ExplicitVRLittleEndian

from imgshare import gate
from imgshare.dicom import engine, fastwrite, io, rawscan
from imgshare.dicom.config import Config
from imgshare.pixels import series_batch

#: Options whose work is on pixels (or needs the pixel module's hooks): general path.
GENERAL_ONLY = ("clean-pixel-data", "clean-recognizable-visual-features", "clean-graphics")
#: Set by the engine at the end (engine._finalise); a source holding one goes the general way.
FINALISED = (0x00120062, 0x00120063, 0x00120064, 0x00280303)
#: Read again after the walk (output names, File Meta Information, the engine's final
#: attributes where the source has them): the Dataset holds their changed elements.
READ_AFTER = frozenset({0x00080016, 0x00080018, 0x0020000D, 0x0020000E, *FINALISED})
#: Never taken from the cache of changed values: the SOP Instance UID differs in every
#: file, and the engine's final attributes are changed again after the walk.
UNIQUE = frozenset({0x00080018, *FINALISED})
SPECIFIC_CHARACTER_SET = 0x00080005
#: VRs whose Clean (C) depends on the file's own identifying values: never cached.
_CLEANED_TEXT = engine.FREE_TEXT_VRS | engine.TEXT_VRS | {"CS"}
_KEEP, _DROP = object(), None  # an element kept as its source bytes; one removed
_PREFIX = b"\x00" * 128 + b"DICM"
_LIMIT = 10_000  # entries per cache before it is emptied (bounded memory)


class Fallback(Exception):
    """The header-only path does not handle this file exactly; the message says why."""


@dataclass
class Done:
    """A file de-identified by the header-only path."""

    ds: Dataset  # the Dataset of raw elements, with the changed elements changed
    ctx: engine.Context
    temp: Path
    notes: list[str]


class _Guarded(engine.Context):
    """A context whose text cleaners exist before the walk (with options), or are never
    asked for. The general walker would build them lazily from the half-walked dataset,
    which this path does not keep in step (cached changes are not written into it)."""

    @property
    def cleaner(self):  # type: ignore[override]
        if self._cleaner is None:
            raise Fallback("text cleaned without options: left to the general walker")
        return self._cleaner

    @property
    def text_cleaner(self):  # type: ignore[override]
        if self._text_cleaner is None:
            raise Fallback("text cleaned without options: left to the general walker")
        return self._text_cleaner


class _Cache:
    """What one configuration has decided and encoded, reused from file to file."""

    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg  # held, so that the identity test below cannot see a reused id
        #: by SOP Class, then by tag: (VR, action, reason)
        self.decisions: dict[Any, dict[int, tuple[str, str, str]]] = {}
        #: a change by its inputs: (its bytes or None, the notes it made, the changed
        #: element where it is read again after the walk)
        self.changed: dict[tuple, tuple[bytes | None, tuple[str, ...], Any]] = {}
        self.kept: dict[tuple, bytes] = {}
        self.finals: dict[Any, list[tuple[int, bytes]]] = {}

    def trim(self) -> None:
        for table in (self.changed, self.kept):
            if len(table) > _LIMIT:
                table.clear()


_cache: _Cache | None = None


def _cache_for(cfg: Config) -> _Cache:
    global _cache
    if _cache is None or _cache.cfg is not cfg:
        _cache = _Cache(cfg)
    return _cache


def not_handled(cfg: Config) -> str | None:
    """Why the header-only path leaves every file of this configuration to the general
    path, or None if it may take them."""
    for option in GENERAL_ONLY:
        if cfg.has(option):
            return f"--option {option} works on pixels: general path"
    if cfg.preset:
        return "a preset (its rules read the walked dataset): general path"
    return None


def deidentify(
    path: str,
    cfg: Config,
    dst: Path,
    staging: Path,
    durable: bool = False,
    times: dict[str, float] | None = None,
) -> Done | str:
    """De-identify one file of a run into DST, as a temporary file in ``staging``: a
    :class:`Done`, or the reason (a string) why the general path must do it. Never raises.

    ``times``, if given, gathers the seconds spent in each phase (read: scan and checks;
    gate; walk: the engine's decisions and changes and the output's layout; write), for
    the benchmark's profile."""
    reason = not_handled(cfg)
    if reason:
        return reason
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError as exc:
        return f"cannot open: {exc.strerror}"
    temp: Path | None = None
    try:
        start = time.perf_counter() if times is not None else 0.0
        scan = rawscan.scan(fd, io.DEFER_SIZE)
        ds, ctx, parts, notes = _deidentify(scan, path, cfg, dst, times, start)
        if os.fstat(fd).st_mtime != scan.mtime:
            raise Fallback("the source changed while it was read")
        start = time.perf_counter() if times is not None else 0.0
        temp = io.temp_file(
            staging, lambda fh: fastwrite.write(fh, fastwrite.Prepared(parts, fd)), durable
        )
        _lap(times, "write", start)
        return Done(ds, ctx, temp, notes)
    except Exception as exc:  # any problem at all: the general path decides and reports
        if temp is not None:
            temp.unlink(missing_ok=True)
        return f"{type(exc).__name__}: {exc}"
    finally:
        os.close(fd)


#: Decoded elements by (tag, VR, raw value, character set): a template to copy from.
_DECODED: dict[tuple, DataElement] = {}
#: Values that cannot change in place, so that a copied element may share them.
_IMMUTABLE = (str, int, float, bytes)


class _Scanned(Dataset):
    """The scanned file as pydicom's reader would have made it, except that an element
    decoded before (in this file or another) with the same tag, VR, raw value and
    character set is copied from that decoding instead of being decoded again.

    Why: the checks, the release gate and the subject read the same dozen attributes of
    every file, and pydicom's decoding (with validation) is most of their cost. The copy
    is the element pydicom makes (its attributes; a value of an immutable type, shared),
    so what reads it, and what the writer makes of it, cannot tell the difference.
    Private elements (their creator can decide their VR), sequences and multi-valued
    values are decoded as usual. Like the engine's cache of decisions, this assumes that
    pydicom's settings do not change while a process runs.
    """

    def __getitem__(self, key):  # type: ignore[override]
        raw = self._dict.get(key) if type(key) is BaseTag else None
        if type(raw) is not RawDataElement or raw.value is None or raw.VR in ("SQ", "UN"):
            return super().__getitem__(key)
        if key >> 16 & 1 or key in UNIQUE:
            return super().__getitem__(key)
        if key == SPECIFIC_CHARACTER_SET:
            charset = default_encoding
        else:
            charset = self.original_character_set or self._character_set
        cache_key = (
            key,
            raw.VR,
            raw.value,
            charset if isinstance(charset, str) else tuple(charset),
        )
        template = _DECODED.get(cache_key)
        if template is None:
            element = super().__getitem__(key)
            if isinstance(element.value, _IMMUTABLE) and type(element) is DataElement:
                if len(_DECODED) > _LIMIT:
                    _DECODED.clear()
                template = object.__new__(DataElement)
                template.__dict__.update(element.__dict__)
                _DECODED[cache_key] = template
            return element
        element = object.__new__(DataElement)
        element.__dict__.update(template.__dict__)
        element.file_tell = raw.value_tell
        self._dict[key] = element
        return element

    def __getattr__(self, name: str) -> Any:
        # pydicom's own lookup (keyword -> tag -> element value), with the tag object the
        # scanner used as the key; anything else is left to pydicom.
        tag = _keyword_tag(name)
        if tag is not None and tag in self._dict:
            return self[tag].value
        return super().__getattr__(name)

    def __contains__(self, name: object) -> bool:
        tag = _keyword_tag(name) if type(name) is str else None
        if tag is not None:
            return tag in self._dict
        return super().__contains__(name)  # type: ignore[arg-type]


@functools.lru_cache(maxsize=4096)
def _keyword_tag(name: str) -> BaseTag | None:
    """The shared tag object of a DICOM keyword (None if it is not one)."""
    number = tag_for_keyword(name)
    return None if number is None else rawscan.tag_for(number)


def _dataset(scan: rawscan.Scan) -> Dataset:
    """The Dataset pydicom's reader would make of the file (with values larger than the
    defer size left in the file); its File Meta Information is not needed (the scanner
    checked the transfer syntax, and the output gets new File Meta Information)."""
    ds = _Scanned({raw.tag: raw for _, raw in scan.elements})
    ds.set_original_encoding(False, True, ds._character_set)  # as dcmread ends
    return ds


def _check(ds: Dataset) -> None:
    """io.check, for what the scanner has not already checked (every element whole, the
    last one ending the file, explicit VR little endian, so native pixel data)."""
    if ds.get("SOPClassUID") is None or "SOPInstanceUID" not in ds:
        raise Fallback("no SOP Class UID or SOP Instance UID: the general reader says why")
    if "PixelData" in ds:
        io.check_native_pixel_length(ds)


def _meta(ds: Dataset) -> bytes:
    """The File Meta Information io.file_meta and fastwrite give the output (the same
    values, as its UI elements hold them: stripped), without making a Dataset of it."""
    values: dict[int, object] = {
        0x00020010: ExplicitVRLittleEndian,
        0x00020012: PYDICOM_IMPLEMENTATION_UID,
        0x00020013: io.IMPLEMENTATION_VERSION,
    }
    for meta_tag, tag in ((0x00020002, 0x00080016), (0x00020003, 0x00080018)):
        value = ds[tag].value
        if not isinstance(value, str):
            raise Fallback("SOP Class or Instance UID with more than one value")
        values[meta_tag] = value.strip()
    data = fastwrite.meta_bytes(values)
    if data is None:
        raise Fallback("File Meta Information values that are not plain text")
    return data


def _lap(times: dict[str, float] | None, phase: str, start: float) -> float:
    """Add the time since ``start`` to ``phase`` (if timing); the time now."""
    if times is None:
        return 0.0
    now = time.perf_counter()
    times[phase] = times.get(phase, 0.0) + now - start
    return now


def _deidentify(
    scan: rawscan.Scan,
    path: str,
    cfg: Config,
    dst: Path,
    times: dict[str, float] | None = None,
    start: float = 0.0,
) -> tuple:
    ds = _dataset(scan)
    _check(ds)
    elements = ds._dict  # pydicom's own, read only: no Tag() per lookup
    finalised_before = any(tag in elements for tag in FINALISED)
    start = _lap(times, "read", start)
    # --- as batch.process_file: the pixels hook and the release gate, then the engine
    notes = series_batch.apply(ds, path, cfg, dst) + gate.check_dicom(ds, cfg)
    start = _lap(times, "gate", start)
    ctx = engine.start(ds, cfg, _Guarded)
    cache = _cache_for(cfg)
    cache.trim()
    charset_key = scan_value(scan, SPECIFIC_CHARACTER_SET)
    encoding = ds.get("SpecificCharacterSet", default_encoding)
    encodings = convert_encodings(encoding)
    status = _walk(scan, ds, ctx, cache, charset_key, encoding, encodings)
    if finalised_before:
        # Set in place (keeping the source's VR and length form), as the engine does.
        engine._finalise(ds, ctx)
        for tag, state in status.items():
            if state is not _DROP and tag not in elements:
                status[tag] = _DROP  # an orphan overlay element, removed
        finals = [(tag, fastwrite.encode_decoded(elements[tag], encoding, encodings))
                  for tag in FINALISED]  # fmt: skip
        for tag in FINALISED:
            status[tag] = _DROP  # written from finals
    else:
        _drop_orphan_overlays(scan, ds, status)
        finals = cache.finals.get(charset_key)
        if finals is None:
            made = Dataset()
            engine._finalise(made, ctx)
            finals = [(tag, fastwrite.encode_decoded(made[tag], encoding, encodings))
                      for tag in FINALISED]  # fmt: skip
            cache.finals[charset_key] = finals
    meta = _meta(ds)
    parts = _layout(scan, ds, status, finals, cache, charset_key, encoding, encodings)
    parts.insert(0, _PREFIX + meta)
    _lap(times, "walk", start)
    return ds, ctx, parts, notes


def scan_value(scan: rawscan.Scan, tag: int) -> bytes | None:
    """The raw value of a top-level element as the scanner read it (None if absent)."""
    for number, raw in scan.elements:
        if number == tag:
            return raw.value
    return None


def _walk(
    scan: rawscan.Scan,
    ds: Dataset,
    ctx: engine.Context,
    cache: _Cache,
    charset_key: bytes | None,
    encoding: Any,
    encodings: list[str],
) -> dict[int, Any]:
    """engine._walk at the top level, element by element from the scan: the same
    decisions, records and changes, but kept elements are only marked (_KEEP)."""
    cfg = ctx.config
    decided = cache.decisions.setdefault(ctx.sop_class, {})
    records = ctx.records
    elements = ds._dict
    status: dict[int, Any] = {}
    kept_blocks: set[tuple[int, int]] = set()
    creators = []
    for tag, raw in scan.elements:
        vr = raw.VR
        raw_tag = raw.tag
        if vr == "UN":
            vr = engine.resolved_vr(ds, raw_tag)  # the walker's own lookup
        found = decided.get(tag)
        if found is None or found[0] != vr:
            action, reason = engine._decide(ds, raw_tag, vr, ctx, 0, None)
            if engine.cacheable(tag, vr, cfg):
                decided[tag] = (vr, action, reason)
        else:
            _, action, reason = found
        if action == "K?":
            creators.append((tag, raw))
            continue
        records.append(("", raw_tag, None, vr, action, reason))
        if tag >> 16 & 1 and action != "X":
            kept_blocks.add((tag >> 16, (tag & 0xFFFF) >> 8))
        if action == "K" and vr != "SQ":
            status[tag] = _KEEP
            continue
        if tag == SPECIFIC_CHARACTER_SET:
            raise Fallback("Specific Character Set changed: left to the general writer")
        if action == "X":
            del elements[raw_tag]
            status[tag] = _DROP
            continue
        status[tag] = _change(tag, raw, vr, action, ds, ctx, cache, charset_key, encoding,
                              encodings)  # fmt: skip
    for tag, raw in creators:
        keep = (tag >> 16, tag & 0xFF) in kept_blocks
        records.append(("", raw.tag, "(private creator)", "LO", "K" if keep else "X",
                        "private creator"))  # fmt: skip
        if keep:
            status[tag] = _KEEP
        else:
            del elements[raw.tag]
            status[tag] = _DROP
    return status


def _change(
    tag: int,
    raw: RawDataElement,
    vr: str,
    action: str,
    ds: Dataset,
    ctx: engine.Context,
    cache: _Cache,
    charset_key: bytes | None,
    encoding: Any,
    encodings: list[str],
) -> bytes | None:
    """The bytes of an element an action changes (None: removed), by the engine's own
    code; a change that depends only on the value, the settings, the subject and the date
    offset is kept and reused for the next file with the same value."""
    value = raw.value
    reusable = (
        vr != "SQ"
        and value is not None
        and tag not in UNIQUE
        and not tag >> 16 & 1  # private: its creator may decide its VR
        and (tag >> 16) & 0xFF00 not in (0x5000, 0x6000)
        and (action in ("Z", "D", "U") or (action == "C" and vr not in _CLEANED_TEXT))
    )
    if reusable:
        key = (action, tag, vr, value, charset_key,
               ctx.subject_id if tag in engine.IDENTITY else None,
               ctx.offset if action == "C" else None)  # fmt: skip
        found = cache.changed.get(key)
        if found is not None:
            data, notes, changed = found
            ctx.notes.extend(notes)
            if tag in READ_AFTER:
                # read again after the walk: the changed element, as the walker leaves it
                # (never changed again: only read, for names and File Meta Information)
                if changed is None:
                    del ds._dict[raw.tag]
                else:
                    ds._dict[raw.tag] = changed
            return data
    before = len(ctx.notes)
    engine._act(ds, raw.tag, vr, action, ctx, True, 0, engine._tag_text(tag), None)
    changed = ds._dict.get(raw.tag)
    data = None if changed is None else fastwrite.encode_decoded(changed, encoding, encodings)
    if reusable:
        kept = changed if tag in READ_AFTER else None
        cache.changed[key] = (data, tuple(ctx.notes[before:]), kept)
    return data


def _drop_orphan_overlays(scan: rawscan.Scan, ds: Dataset, status: dict[int, Any]) -> None:
    """As engine._finalise: overlay groups whose Overlay Data went are removed whole."""
    overlays = [t for t, _ in scan.elements if (t >> 16) & 0xFF00 == 0x6000
                and status.get(t) is not _DROP]  # fmt: skip
    if not overlays:
        return
    with_data = {t >> 16 for t in overlays if t & 0xFFFF == 0x3000}
    for tag in overlays:
        if tag >> 16 not in with_data:
            status[tag] = _DROP
            del ds._dict[tag]


def _layout(
    scan: rawscan.Scan,
    ds: Dataset,
    status: dict[int, Any],
    finals: list[tuple[int, bytes]],
    cache: _Cache,
    charset_key: bytes | None,
    encoding: Any,
    encodings: list[str],
) -> list:
    """The output body as parts: bytes, or (offset, length) ranges of the source to copy.
    Consecutive kept elements are one slice of the source; a kept element that something
    decoded on the way (the gate, the subject, the checks) is encoded as fastwrite does."""
    parts: list = []
    elements = ds._dict
    pending = list(finals)
    run_start = run_end = -1
    long_vrs = rawscan.LONG_VRS
    order = scan.elements if scan.ordered else sorted(scan.elements, key=lambda e: e[0])
    for tag, raw in order:
        while pending and pending[0][0] < tag:
            if run_start >= 0:
                parts.append(scan.source(run_start, run_end))
                run_start = -1
            parts.append(pending.pop(0)[1])
        state = status[tag]
        if state is _KEEP:
            current = elements.get(raw.tag)
            if current is raw:
                start = raw.value_tell - (12 if raw.VR in long_vrs else 8)
                if raw.value is None and raw.length:  # left in the file: copied
                    if run_start >= 0:
                        parts.append(scan.source(run_start, run_end))
                        run_start = -1
                    parts.append(scan.source(start, raw.value_tell))
                    parts.append((raw.value_tell, raw.length))
                elif run_start >= 0 and run_end == start:
                    run_end = raw.value_tell + raw.length
                else:
                    if run_start >= 0:
                        parts.append(scan.source(run_start, run_end))
                    run_start, run_end = start, raw.value_tell + raw.length
                continue
            if current is None or current.is_raw:
                raise Fallback(f"element {engine._tag_text(tag)} replaced on the way")
            key = (tag, raw.VR, raw.value, charset_key)
            state = cache.kept.get(key) if raw.value is not None else None
            if state is None:
                state = fastwrite.encode_decoded(current, encoding, encodings)
                if raw.value is not None:
                    cache.kept[key] = state
        if run_start >= 0:
            parts.append(scan.source(run_start, run_end))
            run_start = -1
        if state is not _DROP:
            parts.append(state)
    if run_start >= 0:
        parts.append(scan.source(run_start, run_end))
    parts.extend(data for _, data in pending)
    return parts
