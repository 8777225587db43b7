"""The Python reference: signatures and docstrings of the toolkit's public functions.

Why generated: the API page must show the functions as they are, not as they were when
someone wrote about them. Each entry is imported by its dotted name when the book is built;
a renamed or removed function stops the build instead of leaving a stale page. Docstrings
are written for Sphinx (``code``, :func:`name`); they are shown here as Markdown.
"""

from __future__ import annotations

import importlib
import inspect
import re
import textwrap

#: What a program that uses the toolkit needs, grouped as the API page shows it.
PUBLIC: dict[str, list[str]] = {
    "folders": [
        "imgshare.batch.deidentify_tree",
        "imgshare.batch.run",
        "imgshare.batch.Report",
        "imgshare.batch.UsageError",
    ],
    "settings": [
        "imgshare.dicom.config.build",
        "imgshare.dicom.config.Config",
        "imgshare.dicom.config.load_recipe",
        "imgshare.dicom.subjects.load",
    ],
    "datasets": [
        "imgshare.dicom.io.read",
        "imgshare.dicom.engine.plan",
        "imgshare.dicom.engine.apply",
        "imgshare.dicom.engine.DeidError",
        "imgshare.dicom.text.Cleaner",
    ],
    "keys": [
        "imgshare.dicom.keys.create_key",
        "imgshare.dicom.keys.load_key",
        "imgshare.dicom.keys.uid",
        "imgshare.dicom.keys.pseudonym",
        "imgshare.dicom.keys.date_offset",
    ],
    "checks": [
        "imgshare.verify.verify",
        "imgshare.transfer.package.write_manifest",
        "imgshare.transfer.package.check_manifest",
        "imgshare.transfer.package.verify_manifest",
        "imgshare.transfer.package.seal",
        "imgshare.transfer.package.unseal",
    ],
}

_ROLE = re.compile(r":(?:py:)?(?:func|mod|class|data|meth|attr|exc|obj):`~?([^`]+)`")


def resolve(dotted: str):
    """The object a dotted name points at (module, then attribute)."""
    module, _, name = dotted.rpartition(".")
    return getattr(importlib.import_module(module), name)


def _signature(obj) -> str:
    try:
        text = str(inspect.signature(obj, eval_str=True))
    except (NameError, TypeError, ValueError):
        try:
            text = re.sub(r"'([^']*)'", r"\1", str(inspect.signature(obj)))
        except (TypeError, ValueError):
            return ""
    text = re.sub(r"<class '?([\w.]+)'?>", r"\1", text)
    return re.sub(r"\b(?:pathlib|typing|collections\.abc|imgshare\.[\w.]+)\.(\w+)", r"\1", text)


def _fields(cls) -> str:
    """A dataclass's fields as a MyST list-table (name, type, default), widths for print."""
    import dataclasses

    rows = ["```{list-table}", ":header-rows: 1", ":widths: 25 50 25", ""]
    rows += ["* - field", "  - type", "  - default"]
    hints = inspect.get_annotations(cls, eval_str=False)
    for f in dataclasses.fields(cls):
        if f.default is not dataclasses.MISSING:
            default = f"`{f.default!r}`"
        elif f.default_factory is not dataclasses.MISSING:
            default = f"a new `{f.default_factory.__name__}`"
        else:
            default = "(required)"
        rows += [f"* - `{f.name}`", f"  - `{hints.get(f.name, '')}`", f"  - {default}"]
    return "\n".join([*rows, "```"])


def _markdown_doc(doc: str) -> str:
    doc = _ROLE.sub(r"`\1`", doc)
    return re.sub(r"``([^`]+)``", r"`\1`", doc)


def entry(dotted: str) -> str:
    """One function or class as Markdown: its name, signature and docstring."""
    obj = resolve(dotted)
    name = dotted.rpartition(".")[2]
    kind = "class" if inspect.isclass(obj) else "def"
    import dataclasses

    signature = _signature(obj).removesuffix(" -> None")
    table = ""
    if inspect.isclass(obj) and issubclass(obj, Exception):
        signature = f"({', '.join(b.__name__ for b in obj.__bases__)})"
    elif inspect.isclass(obj) and dataclasses.is_dataclass(obj):
        signature, table = "", _fields(obj)
    header = f"{kind} {name}{signature}"
    if len(header) > 88 and "(" in header:
        head, _, params = header.partition("(")
        params, _, ret = params.rpartition(")")
        parts = [p.strip() for p in re.split(r",\s(?![^\[]*\])", params) if p.strip()]
        header = head + "(\n" + "".join(f"    {p},\n" for p in parts) + ")" + ret
    doc = inspect.getdoc(obj) or "(no docstring)"
    return "\n".join(
        [
            f"**`{dotted}`**",
            "",
            "```python",
            header,
            "```",
            "",
            textwrap.dedent(_markdown_doc(doc)),
            "",
            table,
            "",
        ]
    )


def group(name: str):
    """The entries of one group of :data:`PUBLIC`, as Markdown for a book page."""
    from IPython.display import Markdown

    return Markdown("\n".join(entry(dotted) for dotted in PUBLIC[name]))
