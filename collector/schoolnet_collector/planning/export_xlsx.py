"""XLSX workbook of a report: the summary sheet first, then one sheet per level of school
(and, for the replacement plan, the devices to replace), ready to attach to the yearly report.

Headers are bold and frozen, columns sized to their content, numbers numeric with a number
format, notes (period, price assumptions) under the summary table. openpyxl writes the file; nothing here knows what a report contains.
Text that a spreadsheet would run as a formula (``cells``) is stored as a string cell with
Excel's quote prefix, so it shows as typed and stays text when a planner edits it.
"""

from __future__ import annotations

import io
import re

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from schoolnet_collector.planning.cells import is_formula_like
from schoolnet_collector.planning.tables import Table

BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


def sheet_title(text: str, used: set[str]) -> str:
    """Excel's rules: at most 31 characters, none of []:*?/\\, unique in the workbook."""
    base = BAD_SHEET_CHARS.sub("-", text)[:31] or "Sheet"
    title, n = base, 2
    while title.lower() in used:
        title = f"{base[:28]}-{n}"
        n += 1
    used.add(title.lower())
    return title


def number_format(value: object, year: bool = False) -> str:
    """Numbers stay numbers (a planner sums them); the format only groups thousands and fixes
    decimals, and Excel shows its separators in the reader's own locale (1.234,5 in a
    Vietnamese Excel). Years are not grouped."""
    if year or isinstance(value, bool) or not isinstance(value, int | float):
        return "General"
    return "#,##0" if isinstance(value, int) else "#,##0.0#"


def as_text(cell: Cell) -> None:
    """openpyxl makes every string starting with ``=`` a formula: undo that for our values."""
    if is_formula_like(cell.value):
        cell.data_type = "s"
        cell.quotePrefix = True


def xlsx_bytes(tables: list[Table]) -> bytes:
    wb = Workbook()
    default = wb.active
    if default is not None:  # a new workbook comes with one empty sheet: not ours
        wb.remove(default)
    used: set[str] = set()
    for table in tables:
        ws = wb.create_sheet(sheet_title(table.title, used))
        ws.append(table.headers)
        for cell in ws[1]:
            cell.font = Font(bold=True)
            as_text(cell)
        for row in table.rows:
            ws.append(row)
            for i, cell in enumerate(ws[ws.max_row]):
                cell.number_format = number_format(cell.value, i in table.years)
                as_text(cell)
        if table.notes:
            ws.append([])
            for note in table.notes:
                ws.append([note])
                as_text(ws.cell(ws.max_row, 1))
        ws.freeze_panes = "A2"
        for i, header in enumerate(table.headers, start=1):
            width = max(
                [len(str(header))]
                + [len(str(r[i - 1])) for r in table.rows[:500] if r[i - 1] is not None]
            )
            ws.column_dimensions[get_column_letter(i)].width = min(60, max(8, width + 2))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
