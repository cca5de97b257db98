"""A report as text for the terminal: the summary and each table, columns aligned."""

from __future__ import annotations

from schoolnet_collector.i18n import format_number, gettext
from schoolnet_collector.planning.tables import Cell, Table


def _cell(value: Cell, lang: str, year: bool = False) -> str:
    """Numbers as the table's language writes them (one decimal, none from a million on);
    a year column's numbers as they are."""
    if value is None:
        return "–"
    if year or isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if isinstance(value, float):
        return format_number(value, lang, 1 if abs(value) < 1e6 else 0)
    return format_number(value, lang)


def render(table: Table, max_rows: int | None = None) -> str:
    rows = [
        [_cell(v, table.lang, i in table.years) for i, v in enumerate(row)]
        for row in table.rows[:max_rows]
    ]
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(table.headers)]

    def line(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=False)).rstrip()

    out = [table.title, line(table.headers), line(["-" * w for w in widths])]
    out += [line(r) for r in rows]
    if max_rows is not None and len(table.rows) > max_rows:
        out.append(gettext(table.lang, "… %(count)s more", count=len(table.rows) - max_rows))
    out += table.notes
    return "\n".join(out)


def render_all(tables: list[Table], max_rows: int | None = 50) -> str:
    return "\n\n".join(render(t, max_rows) for t in tables)
