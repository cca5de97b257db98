"""A report as text for the terminal: the summary and each table, columns aligned."""

from __future__ import annotations

from schoolnet_collector.planning.tables import Cell, Table


def _cell(value: Cell) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) < 1e6 else f"{value:,.0f}"
    if isinstance(value, int) and abs(value) >= 10000:
        return f"{value:,}"
    return str(value)


def render(table: Table, max_rows: int | None = None) -> str:
    rows = [[_cell(v) for v in row] for row in table.rows[:max_rows]]
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(table.headers)]

    def line(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=False)).rstrip()

    out = [table.title, line(table.headers), line(["-" * w for w in widths])]
    out += [line(r) for r in rows]
    if max_rows is not None and len(table.rows) > max_rows:
        out.append(f"… {len(table.rows) - max_rows} more")
    out += table.notes
    return "\n".join(out)


def render_all(tables: list[Table], max_rows: int | None = 50) -> str:
    return "\n\n".join(render(t, max_rows) for t in tables)
