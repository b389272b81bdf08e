"""The report's one HTML table renderer, and the escaping and verdict colours it uses.

Every table of the report is an `auxbench.analysis.tables.Table`: the paper's tables as the
tables job builds them, and the report's own (runs, environments, compute). A cell is text,
escaped here, unless it is `Html` (a link, already escaped).
"""

from __future__ import annotations

import html
import math
import re
from dataclasses import replace
from typing import Any

from auxbench.analysis.tables import Table

_BOLD = re.compile(r"\*\*(.+?)\*\*")
_CODE = re.compile(r"`([^`]+)`")
_ALIGN = {"l": "left", "r": "right", "c": "center"}

VERDICT_CLASSES = {
    "reproduced": "ok", "supported": "ok", "better": "ok", "completed": "ok",
    "worse": "bad", "contradicted": "bad", "failed": "bad", "missing": "bad",
    "inconclusive": "warn", "against": "warn", "not run": "muted", "context": "muted",
    "not comparable (scale)": "muted", "not comparable": "muted", "reduced scale": "muted",
}


class Html(str):
    """Text that is HTML already (it is not escaped again)."""


def esc(x: Any) -> str:
    return html.escape("" if x is None else str(x), quote=True)


def inline(text: str) -> str:
    """Escape text for HTML, then turn **bold** and `code` into tags (titles and notes)."""
    out = html.escape(str(text), quote=False)
    out = _BOLD.sub(r"<strong>\1</strong>", out)
    return _CODE.sub(r"<code>\1</code>", out)


def num(x: Any, digits: int = 1, none: str = "—") -> str:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return none
    if not math.isfinite(v):
        return none
    return f"{v:,.{digits}f}"


def verdict_class(text: str) -> str | None:
    t = str(text).strip().lower()
    if t in VERDICT_CLASSES:
        return VERDICT_CLASSES[t]
    for key, cls in VERDICT_CLASSES.items():
        if t.startswith(key):
            return cls
    return None


def badge(text: str) -> Html:
    vc = verdict_class(text)
    return Html(f'<span class="v-{vc}">{esc(text)}</span>' if vc else esc(text))


def table_html(t: Table, verdict_columns: tuple[str, ...] = ("Verdict", "Status")) -> str:
    """The table (its title is the caller's heading), bold cells, verdict colours, notes."""
    align = [_ALIGN[a] for a in t.alignment()]
    vcols = {j for j, h in enumerate(t.header) if h in verdict_columns}
    parts = ['<div class="table-wrap"><table>', "<thead><tr>" + "".join(
        f'<th class="{a}">{inline(h)}</th>' for h, a in zip(t.header, align)) + "</tr></thead>",
        "<tbody>"]
    if not t.rows:
        parts.append(f'<tr><td class="muted" colspan="{max(len(t.header), 1)}">'
                     "(none)</td></tr>")
    for i, row in enumerate(t.rows):
        cells = []
        for j, (c, a) in enumerate(zip(row, align)):
            cls = [a]
            vc = verdict_class(c) if j in vcols else None
            if vc:
                cls.append(f"v-{vc}")
            text = c if isinstance(c, Html) else esc(c)
            if (i, j) in t.bold and str(c) not in ("", "—"):
                cls.append("best")
                text = f"<strong>{text}</strong>"
            cells.append(f'<td class="{" ".join(cls)}">{text}</td>')
        parts.append("<tr>" + "".join(cells) + "</tr>")
    parts.append("</tbody></table></div>")
    if t.notes:
        parts.append('<ul class="notes">' + "".join(f"<li>{inline(n)}</li>" for n in t.notes)
                     + "</ul>")
    return "\n".join(parts)


def split_rows(t: Table, column: str, hide: tuple[str, ...]) -> tuple[Table, Table | None]:
    """The rows worth reading first, and those whose `column` is in `hide` (e.g. cells nothing
    ran for), to collapse; None when there are none of either."""
    if column not in t.header:
        return t, None
    j = t.header.index(column)
    hidden = [i for i, r in enumerate(t.rows) if str(r[j]).strip().lower() in hide]
    if not hidden or len(hidden) == len(t.rows):
        return t, None

    def part(rows: list[int], notes: list[str]) -> Table:
        index = {old: new for new, old in enumerate(rows)}
        return replace(t, rows=[t.rows[i] for i in rows], notes=notes,
                       bold={(index[i], c) for i, c in t.bold if i in index})

    shown = [i for i in range(len(t.rows)) if i not in set(hidden)]
    return part(shown, t.notes), part(hidden, [])
