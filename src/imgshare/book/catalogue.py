"""A searchable catalogue of PS3.15 Table E.1-1, built from the engine's own copy of the table.

Why: readers need to look up what the Basic Profile and each option do to an attribute, and
the book must show exactly what the code does. The catalogue therefore reads
``profile.table()``, the same rows the de-identification engine applies, and renders them as
one self-contained HTML table (a text box, two drop-downs and sortable columns, a few lines
of inline JavaScript, no network assets) so that it works in the offline book. The pandas
view is what the tests check.
"""

from __future__ import annotations

import html
from collections import Counter
from typing import Any

from imgshare import profile

#: Short column headers for the options, in ``profile.OPTIONS`` order (full names in tooltips).
SHORT = {
    "clean-pixel-data": "Pixels",
    "clean-recognizable-visual-features": "Visual",
    "clean-graphics": "Graphics",
    "clean-structured-content": "Struct",
    "clean-descriptors": "Descr",
    "retain-long-full-dates": "Dates",
    "retain-long-modified-dates": "ModDates",
    "retain-patient-characteristics": "PatChar",
    "retain-device-identity": "Device",
    "retain-uids": "UIDs",
    "retain-safe-private": "SafePriv",
    "retain-institution-identity": "Inst",
}


def option_columns() -> list[str]:
    """The option slugs that have a column in Table E.1-1 (two options act on pixels only)."""
    return [slug for slug, option in profile.OPTIONS.items() if option.column]


def dataframe():
    """All rows of Table E.1-1 as a DataFrame: tag, name, basic action, IOD flag, per option.

    An option column holds the action that option prescribes for the row, or an empty string
    where the option leaves the Basic Profile's action unchanged.
    """
    import pandas as pd

    records = []
    for row in profile.table():
        record: dict[str, Any] = {
            "tag": row.tag,
            "name": row.name,
            "basic": row.basic,
            "in_std_iod": row.in_std_iod,
        }
        for slug in option_columns():
            record[slug] = row.options.get(slug, "")
        records.append(record)
    return pd.DataFrame.from_records(records)


def basic_counts() -> dict[str, int]:
    """How many rows carry each Basic Profile action (compound actions such as X/Z kept whole)."""
    return dict(Counter(row.basic for row in profile.table()))


def option_counts() -> dict[str, dict[str, int]]:
    """Per option, how many rows it gives each action (rows it leaves alone are not counted)."""
    out: dict[str, dict[str, int]] = {}
    for slug in option_columns():
        out[slug] = dict(Counter(r.options[slug] for r in profile.table() if r.options.get(slug)))
    return out


def fate(keywords: list[str], options: tuple[str, ...] = ()):
    """What the Basic Profile (and chosen options) do to the named attributes.

    Why: a reviewer balancing privacy and utility asks of each attribute a researcher needs
    whether it survives. Attributes that Table E.1-1 does not list are kept by the profile.
    """
    import pandas as pd
    from pydicom.datadict import tag_for_keyword

    options = profile.check_options(list(options))
    rows = []
    for keyword in keywords:
        tag = tag_for_keyword(keyword)
        if tag is None:
            raise KeyError(f"{keyword!r} is not a DICOM keyword")
        row = profile.row_for(tag)
        rows.append(
            {
                "keyword": keyword,
                "tag": f"({tag >> 16:04X},{tag & 0xFFFF:04X})",
                "in Table E.1-1": row is not None,
                "Basic Profile": row.basic if row else "(not listed: kept)",
                "with options": profile.action_for(row, options) if row else "(kept)",
            }
        )
    return pd.DataFrame(rows)


_SCRIPT = """
<script>
(function () {
  var root = document.getElementById("%(id)s");
  var rows = Array.prototype.slice.call(root.querySelectorAll("tbody tr"));
  var text = root.querySelector("input"), sels = root.querySelectorAll("select");
  var out = root.querySelector(".count");
  function apply() {
    var q = text.value.toLowerCase(), opt = sels[0].value, act = sels[1].value, n = 0;
    rows.forEach(function (r) {
      var eff = r.getAttribute("data-a" + opt);
      r.cells[2].textContent = eff;
      var ok = (!act || eff === act) && (!q || r.textContent.toLowerCase().indexOf(q) >= 0);
      r.style.display = ok ? "" : "none";
      if (ok) { n++; }
    });
    out.textContent = n + " of " + rows.length + " rows shown";
  }
  root.querySelectorAll("th").forEach(function (th, i) {
    th.addEventListener("click", function () {
      var asc = th.getAttribute("data-asc") !== "1";
      th.setAttribute("data-asc", asc ? "1" : "0");
      rows.sort(function (a, b) {
        var x = a.cells[i].textContent, y = b.cells[i].textContent;
        return (x < y ? -1 : x > y ? 1 : 0) * (asc ? 1 : -1);
      });
      var body = root.querySelector("tbody");
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
  text.addEventListener("input", apply);
  sels[0].addEventListener("change", apply);
  sels[1].addEventListener("change", apply);
  apply();
})();
</script>
"""

_STYLE = """
<style>
#%(id)s .ctl { margin: 0.4em 0; display: flex; flex-wrap: wrap; gap: 0.5em; align-items: center; }
#%(id)s .wrap { max-height: 32em; overflow: auto; border: 1px solid #ccc; }
#%(id)s table { border-collapse: collapse; font-size: 0.8em; }
#%(id)s th { position: sticky; top: 0; background: #eee; cursor: pointer; }
#%(id)s th, #%(id)s td { padding: 0.15em 0.4em; border-bottom: 1px solid #ddd; }
#%(id)s td.act { font-weight: bold; }
</style>
"""


def html_table(element_id: str = "e11-catalogue") -> str:
    """The catalogue as one HTML fragment: controls, a sortable table, inline CSS and JS.

    Choosing an option in the first drop-down shows, in the "Action" column, the action the
    Basic Profile gives each row once that option is applied (as the engine resolves it);
    the second drop-down filters by that action; the text box filters on any cell.
    """
    slugs = option_columns()
    actions: set[str] = set()
    body = []
    for row in profile.table():
        effective = [row.basic] + [profile.action_for(row, (s,)) for s in slugs]
        actions.update(effective)
        data = " ".join(f'data-a{i}="{html.escape(a)}"' for i, a in enumerate(effective))
        cells = [row.tag, row.name, row.basic, row.basic, "Y" if row.in_std_iod else "N"]
        cells += [row.options.get(s, "") for s in slugs]
        tds = "".join(
            f'<td class="act">{html.escape(c)}</td>' if i == 2 else f"<td>{html.escape(c)}</td>"
            for i, c in enumerate(cells)
        )
        body.append(f"<tr {data}>{tds}</tr>")
    heads = ["Tag", "Attribute", "Action", "Basic", "In std IOD"] + [SHORT[s] for s in slugs]
    titles = [
        "Tag (group,element)",
        "Attribute name",
        "Action with the option chosen above",
        "Basic Profile action",
        "Listed in a standard composite IOD",
    ] + [profile.OPTIONS[s].name for s in slugs]
    thead = "".join(
        f'<th title="{html.escape(t)}">{html.escape(h)}</th>'
        for h, t in zip(heads, titles, strict=True)
    )
    opt_choices = '<option value="0">Basic Profile only</option>' + "".join(
        f'<option value="{i}">{html.escape(profile.OPTIONS[s].name)}</option>'
        for i, s in enumerate(slugs, start=1)
    )
    act_choices = '<option value="">any action</option>' + "".join(
        f'<option value="{html.escape(a)}">{html.escape(a)}</option>' for a in sorted(actions)
    )
    ids = {"id": element_id}
    return (
        (_STYLE % ids)
        + f'<div id="{element_id}"><div class="ctl">'
        + '<input type="search" placeholder="filter: tag, name or action" size="28">'
        + f"<select>{opt_choices}</select><select>{act_choices}</select>"
        + '<span class="count"></span></div>'
        + f'<div class="wrap"><table><thead><tr>{thead}</tr></thead>'
        + f"<tbody>{''.join(body)}</tbody></table></div></div>"
        + (_SCRIPT % ids)
    )


class Catalogue:
    """The catalogue as a notebook or the book shows it: interactive HTML, or a pointer.

    Why two forms: the web page and JupyterLab show the searchable table. A printed page
    cannot search or sort, and 621 rows of 17 columns do not fit it, so the PDF (which takes
    the Markdown form) says where the rows are instead of printing a placeholder.
    """

    def __init__(self, element_id: str = "e11-catalogue") -> None:
        self.element_id = element_id

    def _repr_html_(self) -> str:
        return html_table(self.element_id)

    def _repr_markdown_(self) -> str:
        rows = len(profile.table())
        return (
            f"*The searchable catalogue of all {rows} rows of Table E.1-1 is part of the web "
            "edition of this page (`make book`, then `_build/html/book/landscape/metadata.html`). "
            "The same rows, with the action of the Basic Profile and of each option, are the "
            "file `src/imgshare/profile/table_e1_1.json` in the repository, taken from the "
            "standard {cite:p}`NEMA2024ps315`; the tables above count them.*"
        )


def show(element_id: str = "e11-catalogue") -> Catalogue:
    """The catalogue for a notebook or a book page (HTML there, a pointer in the PDF)."""
    return Catalogue(element_id)
