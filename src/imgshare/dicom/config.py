"""What a run is asked to do: options, overrides, lists, the key and the subject map.

Why a recipe file: a sponsor must be able to version its de-identification decisions (the
options chosen for a request, any per-attribute overrides, the safe private attributes, an
allow-list) and show them with the release. The recipe holds decisions only; the key and
the subject map are secrets and stay in their own files, named on the command line.

Recipe (YAML or TOML)::

    options: [retain-long-modified-dates, retain-patient-characteristics, clean-descriptors]
    overrides:            # tag or keyword -> action (X, Z, D, K, C, U)
      "(0018,1030)": X
      BodyPartExamined: K
    safe_private:         # private attributes kept under retain-safe-private
      - {group: 0x0019, creator: "ACME_RESEARCH_1", element: 0x10}
    allow_list: [Modality, SliceThickness, PixelSpacing]   # optional, strictest mode
    preset:               # optional: align with a clinical release (imgshare.dicom.presets)
      name: sdtm
      sponsor: Example Pharma
      protocol_id: ONC-001
    pixels:               # Clean Pixel Data (see imgshare.pixels.clean and .triage)
      burned_in: mask-text          # mask-text, mask-identifying, known-regions, refuse
      ocr_all: false                # OCR every image, whatever the triage says
      us_regions: false             # blank everything outside the ultrasound regions
      verify: true                  # read the output again; refuse what is still readable
    nifti:
      keep_extensions: [32]         # NIfTI header extension codes kept (default: none)

The pixel and NIfTI settings used to be environment variables (``IMGSHARE_BURNED_IN``,
``IMGSHARE_OCR_ALL``, ``IMGSHARE_US_REGIONS``, ``IMGSHARE_OCR_VERIFY``,
``IMGSHARE_NIFTI_KEEP_EXTENSIONS``); they are read no more. In the recipe they are versioned
with the other decisions, written into the run report and covered by the resume fingerprint.
``release_unreviewed`` is not a recipe key: it is the command line's explicit
``--release-unreviewed-pixels`` (see :mod:`imgshare.gate`).
"""

from __future__ import annotations

import functools
import hashlib
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydicom.datadict import tag_for_keyword

from imgshare import profile
from imgshare.dicom import keys, presets, subjects

VALID_ACTIONS = {"X", "Z", "D", "K", "C", "U"}

#: Attributes always kept in allow-list mode: without them the file is not a valid,
#: viewable image. Identifying ones among them (UIDs) are still replaced by the profile.
ALLOW_ALWAYS = frozenset(
    tag_for_keyword(k)
    for k in [
        "SpecificCharacterSet", "ImageType", "SOPClassUID", "SOPInstanceUID", "StudyDate",
        "StudyTime", "Modality", "PatientName", "PatientID", "PatientBirthDate", "PatientSex",
        "StudyInstanceUID", "SeriesInstanceUID", "StudyID", "SeriesNumber", "InstanceNumber",
        "AccessionNumber", "ReferringPhysicianName", "FrameOfReferenceUID",
        "PositionReferenceIndicator", "PatientOrientation", "ImagePositionPatient",
        "ImageOrientationPatient", "PixelSpacing", "SliceThickness", "SamplesPerPixel",
        "PhotometricInterpretation", "PlanarConfiguration", "NumberOfFrames", "Rows",
        "Columns", "BitsAllocated", "BitsStored", "HighBit", "PixelRepresentation",
        "RescaleIntercept", "RescaleSlope", "RescaleType", "WindowCenter", "WindowWidth",
        "PixelData", "FloatPixelData", "DoubleFloatPixelData", "Manufacturer",
        "PatientIdentityRemoved", "DeidentificationMethod", "DeidentificationMethodCodeSequence",
        "LongitudinalTemporalInformationModified", "BurnedInAnnotation",
        "LossyImageCompression", "RedPaletteColorLookupTableDescriptor",
        "GreenPaletteColorLookupTableDescriptor", "BluePaletteColorLookupTableDescriptor",
        "RedPaletteColorLookupTableData", "GreenPaletteColorLookupTableData",
        "BluePaletteColorLookupTableData",
    ]
)  # fmt: skip


class RecipeError(ValueError):
    """The recipe file is malformed; the message says where."""


#: What Clean Pixel Data does where text may be burned in (see imgshare.pixels.settings).
BURNED_IN_POLICIES = ("mask-text", "mask-identifying", "known-regions", "refuse")


@dataclass(frozen=True)
class PixelSettings:
    """Settings of Clean Pixel Data (the recipe's ``pixels`` mapping)."""

    burned_in: str = "mask-text"
    ocr_all: bool = False
    us_regions: bool = False
    verify: bool = True

    def __post_init__(self) -> None:
        if self.burned_in not in BURNED_IN_POLICIES:
            raise RecipeError(
                f"pixels.burned_in={self.burned_in!r}: "
                f"choose one of {', '.join(BURNED_IN_POLICIES)}"
            )
        for name in ("ocr_all", "us_regions", "verify"):
            if not isinstance(getattr(self, name), bool):
                raise RecipeError(f"pixels.{name} must be true or false")


@dataclass(frozen=True)
class NiftiSettings:
    """Settings of the NIfTI path (the recipe's ``nifti`` mapping)."""

    keep_extensions: frozenset[int] = frozenset()

    def __post_init__(self) -> None:
        try:
            codes = frozenset(int(c) for c in self.keep_extensions)
        except (TypeError, ValueError):
            raise RecipeError(
                "nifti.keep_extensions lists extension codes, e.g. [32, 44]"
            ) from None
        object.__setattr__(self, "keep_extensions", codes)


def _section(data: dict, name: str, cls: type) -> Any:
    """A recipe section as its settings object; unknown keys are refused, not ignored."""
    raw = data.get(name) or {}
    if not isinstance(raw, dict):
        raise RecipeError(f"recipe key {name!r} is a mapping of settings")
    known = set(cls.__dataclass_fields__)
    unknown = set(raw) - known
    if unknown:
        raise RecipeError(f"unknown {name} setting(s): {', '.join(sorted(unknown))}")
    return cls(**raw)


def parse_tag(text: str | int) -> int:
    """A tag from '(0010,0010)', '00100010', '0x00100010' or a keyword such as 'PatientName'."""
    if isinstance(text, int):
        return text
    raw = text.strip()
    cleaned = raw.strip("()").replace(",", "").replace(" ", "")
    if cleaned.lower().startswith("0x"):
        cleaned = cleaned[2:]
    if len(cleaned) == 8:
        try:
            return int(cleaned, 16)
        except ValueError:
            pass
    tag = tag_for_keyword(raw)
    if tag is None:
        raise RecipeError(f"not a tag or keyword: {text!r}")
    return tag


@dataclass(frozen=True)
class Config:
    """Everything that decides the output. Same config and input give the same bytes."""

    key: bytes
    options: tuple[str, ...] = ()
    subjects: dict[str, subjects.Subject] | None = None
    overrides: dict[int, str] = field(default_factory=dict)
    safe_private: frozenset[tuple[int, str, int]] = frozenset()
    allow_list: frozenset[int] | None = None
    recipe_sha256: str | None = None
    #: Where the key was read from (never the key itself): a run refuses a key inside DST.
    key_file: str | None = None
    preset: str | None = None  # a name from imgshare.dicom.presets.PRESETS
    trial: tuple[tuple[str, str], ...] = ()  # the preset's settings (sponsor, protocol_id, ...)
    pixels: PixelSettings = PixelSettings()
    nifti: NiftiSettings = NiftiSettings()
    #: Release files whose pixels may identify without the option that treats them (the
    #: command line's --release-unreviewed-pixels); written into every report.
    release_unreviewed: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "options", profile.check_options(list(self.options)))
        for tag, action in self.overrides.items():
            if action not in VALID_ACTIONS:
                raise RecipeError(f"override for {tag:08X}: {action!r} is not an action")
        presets.check(self)

    @functools.cached_property
    def decision_key(self) -> tuple:
        """Everything in the settings that can change a per-tag decision, hashable.

        Used to key the engine's decision cache: never an object's id, which Python reuses
        once an object is gone (a stale decision from other settings could then leak).
        """
        return (
            self.options,
            tuple(sorted(self.overrides.items())),
            tuple(sorted(self.safe_private)),
            tuple(sorted(self.allow_list)) if self.allow_list is not None else None,
            self.preset,
        )

    def settings(self) -> dict[str, Any]:
        """Every setting that decides the output bytes, as plain data, without the key.

        Why one method: the run journal's fingerprint hashes exactly this, so a destination
        is never resumed with other settings. A setting added to Config must appear here
        (the pixel and NIfTI settings, from the recipe, come from :meth:`pixel_settings`).
        """
        return {
            "options": list(self.options),
            "overrides": sorted(self.overrides.items()),
            "safe_private": sorted(self.safe_private),
            "allow_list": sorted(self.allow_list) if self.allow_list is not None else None,
            "subjects": sorted(
                (k, v.subject_id, v.date_offset_days, v.site_id, v.study_id, v.rfstdtc)
                for k, v in (self.subjects or {}).items()
            ),
            "preset": [self.preset, [list(item) for item in self.trial]],
            **self.pixel_settings(),
        }

    def pixel_settings(self) -> dict[str, Any]:
        """The pixel and NIfTI settings and the release flag, as plain data for the run
        report and the resume fingerprint."""
        return {
            "pixels": asdict(self.pixels),
            "nifti": {"keep_extensions": sorted(self.nifti.keep_extensions)},
            "release_unreviewed_pixels": self.release_unreviewed,
        }

    def has(self, option: str) -> bool:
        return option in self.options

    def allowed(self, tag: int) -> bool:
        return self.allow_list is None or tag in self.allow_list or tag in ALLOW_ALWAYS


def load_recipe(path: str | Path) -> dict:
    """Read a YAML or TOML recipe into plain data, checking its keys."""
    path = Path(path)
    text = path.read_text()
    try:
        data = tomllib.loads(text) if path.suffix == ".toml" else yaml.safe_load(text)
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        raise RecipeError(f"{path}: {exc}") from None
    data = data or {}
    if not isinstance(data, dict):
        raise RecipeError(f"{path}: a recipe is a mapping of options, overrides, …")
    known = {"options", "overrides", "safe_private", "allow_list", "description", "preset",
             "pixels", "nifti"}  # fmt: skip
    unknown = set(data) - known
    if unknown:
        raise RecipeError(f"{path}: unknown recipe key(s): {', '.join(sorted(unknown))}")
    data["_sha256"] = hashlib.sha256(text.encode()).hexdigest()
    return data


def build(
    key_file: str | Path,
    options: list[str] | tuple[str, ...] = (),
    subject_map: str | Path | None = None,
    recipe: str | Path | None = None,
    release_unreviewed: bool = False,
) -> Config:
    """A Config from the command line's pieces: options add to the recipe's options."""
    data = load_recipe(recipe) if recipe else {}
    overrides = {}
    for name, action in (data.get("overrides") or {}).items():
        overrides[parse_tag(name)] = str(action).upper()
    safe = set()
    for entry in data.get("safe_private") or []:
        try:
            safe.add((int(entry["group"]), str(entry["creator"]).strip(), int(entry["element"])))
        except (KeyError, TypeError, ValueError):
            raise RecipeError(
                f"safe_private entry {entry!r} needs group, creator, element"
            ) from None
    allow = data.get("allow_list")
    preset, trial = presets.parse(data.get("preset"))
    return Config(
        key=keys.load_key(key_file),
        options=tuple(list(data.get("options") or []) + list(options)),
        subjects=subjects.load(subject_map) if subject_map else None,
        overrides=overrides,
        safe_private=frozenset(safe),
        allow_list=frozenset(parse_tag(a) for a in allow) if allow is not None else None,
        recipe_sha256=data.get("_sha256"),
        key_file=str(Path(key_file).resolve()),
        preset=preset,
        trial=trial,
        pixels=_section(data, "pixels", PixelSettings),
        nifti=_section(data, "nifti", NiftiSettings),
        release_unreviewed=release_unreviewed,
    )
