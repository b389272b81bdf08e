"""Read back the Markdown tables `auxbench.analysis.tables` writes, and render them as HTML.

The format is fixed by ``auxbench.analysis.tables.to_markdown``: a ``### title`` line, a blank
line, a pipe table (header, alignment row, rows; ``\\|`` escapes a pipe, ``**x**`` marks a bold
cell), then optional note lines. The report shows exactly what the tables rule wrote.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

_BOLD = re.compile(r"\*\*(.+?)\*\*")
_CODE = re.compile(r"`([^`]+)`")


@dataclass
class MdTable:
    title: str
    header: list[str]
    align: list[str]
    rows: list[list[str]]
    notes: list[str] = field(default_factory=list)


def split_row(line: str) -> list[str]:
    """Cells of one `| a | b |` line; `\\|` is a literal pipe."""
    body = line.strip()
    body = body.removeprefix("|")
    if body.endswith("|") and not body.endswith("\\|"):
        body = body[:-1]
    cells, cur, i = [], [], 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body) and body[i + 1] == "|":
            cur.append("|")
            i += 2
            continue
        if ch == "|":
            cells.append("".join(cur).strip())
            cur = []
        else:
            cur.append(ch)
        i += 1
    cells.append("".join(cur).strip())
    return cells


def _alignment(cell: str) -> str:
    cell = cell.strip()
    if cell.startswith(":") and cell.endswith(":"):
        return "center"
    if cell.endswith(":"):
        return "right"
    return "left"


def parse_markdown_table(text: str) -> MdTable:
    lines = text.splitlines()
    title = ""
    i = 0
    while i < len(lines) and not lines[i].strip():
        i += 1
    if i < len(lines) and lines[i].startswith("#"):
        title = lines[i].lstrip("#").strip()
        i += 1
    while i < len(lines) and not lines[i].strip():
        i += 1
    header: list[str] = []
    align: list[str] = []
    rows: list[list[str]] = []
    if i < len(lines) and lines[i].lstrip().startswith("|"):
        header = split_row(lines[i])
        i += 1
        if i < len(lines) and lines[i].lstrip().startswith("|"):
            align = [_alignment(c) for c in split_row(lines[i])]
            i += 1
        while i < len(lines) and lines[i].lstrip().startswith("|"):
            row = split_row(lines[i])
            rows.append(row + [""] * (len(header) - len(row)))
            i += 1
    notes = [ln.strip() for ln in lines[i:] if ln.strip()]
    align = align + ["left"] * (len(header) - len(align))
    return MdTable(title=title, header=header, align=align, rows=rows, notes=notes)


def inline(text: str) -> str:
    """Escape text for HTML, then turn **bold** and `code` into tags."""
    out = html.escape(str(text), quote=False)
    out = _BOLD.sub(r"<strong>\1</strong>", out)
    return _CODE.sub(r"<code>\1</code>", out)


VERDICT_CLASSES = {
    "reproduced": "ok", "supported": "ok", "better": "ok",
    "worse": "bad", "contradicted": "bad", "failed": "bad", "missing": "bad",
    "inconclusive": "warn", "not run": "muted", "context": "muted",
    "not comparable (scale)": "muted", "not comparable": "muted",
}


def verdict_class(text: str) -> str | None:
    t = str(text).strip().lower().strip("*")
    if t in VERDICT_CLASSES:
        return VERDICT_CLASSES[t]
    for key, cls in VERDICT_CLASSES.items():
        if t.startswith(key):
            return cls
    return None


def table_html(t: MdTable, verdict_columns: tuple[str, ...] = ("Verdict",),
               table_id: str | None = None, caption: str | None = None) -> str:
    ident = f' id="{html.escape(table_id)}"' if table_id else ""
    vcols = {j for j, h in enumerate(t.header) if h in verdict_columns}
    parts = [f'<div class="table-wrap"><table{ident}>']
    if caption:
        parts.append(f"<caption>{inline(caption)}</caption>")
    parts.append("<thead><tr>" + "".join(
        f'<th class="{a}">{inline(h)}</th>' for h, a in zip(t.header, t.align)) + "</tr></thead>")
    parts.append("<tbody>")
    if not t.rows:
        parts.append(f'<tr><td class="muted" colspan="{max(len(t.header), 1)}">'
                     "(no rows)</td></tr>")
    for row in t.rows:
        cells = []
        for j, (c, a) in enumerate(zip(row, t.align)):
            cls = [a]
            if j in vcols:
                vc = verdict_class(c)
                if vc:
                    cls.append(f"v-{vc}")
            if c.startswith("**") and c.endswith("**"):
                cls.append("best")
            cells.append(f'<td class="{" ".join(cls)}">{inline(c)}</td>')
        parts.append("<tr>" + "".join(cells) + "</tr>")
    parts.append("</tbody></table></div>")
    if t.notes:
        parts.append('<ul class="notes">' + "".join(f"<li>{inline(n)}</li>" for n in t.notes)
                     + "</ul>")
    return "\n".join(parts)
