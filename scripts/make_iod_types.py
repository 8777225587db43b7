"""Write src/imgshare/profile/iod_types.json: the Type, per IOD, of each attribute whose
Basic Profile action is compound (X/Z, X/D, Z/D, X/Z/D, X/Z/U*), at the top level and
inside the sequences where the IOD's modules define it.

Why: PS3.15 E.1.1 resolves a compound action by the attribute's Type in the IOD (keep the
file conformant with the least information). The IOD and module tables come from the DICOM
standard as shipped, offline, by highdicom (its _standard folder, itself parsed from the
standard by innolitics/dicom-standard). Only the few attributes the profile needs are
kept, so the package does not carry the 22 MB table. Run: python scripts/make_iod_types.py

Keys: the attribute's tag ("0008114A"), or inside sequences the path of tags from the top
("00081115/0008114A/00081155": Referenced Series Sequence > Referenced Instance Sequence >
Referenced SOP Instance UID). Where modules of one IOD give one path different Types, the
strictest (1 before 1C, 2, 2C, 3) is kept: an attribute some module requires must stay.
"""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path

import highdicom
from pydicom.datadict import keyword_for_tag, tag_for_keyword

ROOT = Path(__file__).resolve().parents[1]
PROFILE = ROOT / "src" / "imgshare" / "profile"
ORDER = {"1": 0, "1C": 1, "2": 2, "2C": 3, "3": 4}


def main() -> None:
    table = json.loads((PROFILE / "table_e1_1.json").read_text())
    compound = {}
    for row in table:
        if "/" in row["basicProfile"]:
            keyword = keyword_for_tag(int(row["id"], 16))
            if keyword:
                compound[keyword] = row["id"].upper()
    std = files(highdicom) / "_standard"
    sop_iod = json.loads((std / "sop_class_iod_map.json").read_text())
    iod_modules = json.loads((std / "iod_module_map.json").read_text())
    module_attrs = json.loads((std / "module_attribute_map.json").read_text())
    out: dict[str, dict[str, str]] = {}
    for sop_class, iod in sorted(sop_iod.items()):
        types: dict[str, str] = {}
        for module in iod_modules.get(iod, []):
            for attr in module_attrs.get(module["key"], []):
                if attr["keyword"] not in compound:
                    continue
                parents = [tag_for_keyword(k) for k in attr["path"]]
                if None in parents:
                    continue  # a sequence pydicom's dictionary does not name
                tag = "/".join([*(f"{t:08X}" for t in parents), compound[attr["keyword"]]])
                # If the attribute is present, its module is present, whatever the module's
                # usage (M, C or U): the attribute's Type within the module applies.
                kind = attr["type"]
                if tag not in types or ORDER[kind] < ORDER[types[tag]]:
                    types[tag] = kind
        out[sop_class] = dict(sorted(types.items()))
    payload = {
        "source": f"highdicom {highdicom.__version__} _standard tables (DICOM standard, "
        "parsed by innolitics/dicom-standard)",
        "types": out,
    }
    (PROFILE / "iod_types.json").write_text(json.dumps(payload, indent=1, sort_keys=True) + "\n")
    print(f"{len(out)} SOP classes, {len(compound)} compound attributes")


if __name__ == "__main__":
    main()
