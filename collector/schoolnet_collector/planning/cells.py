"""Spreadsheet cells that cannot run: OWASP's rule against formula (CSV) injection.

School names, rooms and device tags come from school files, equipment files and devices; a
value such as ``=HYPERLINK("http://…")`` or ``@SUM(…)`` would otherwise become a live formula
when a planner opens the download. Every text cell that starts with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return is written as text: in CSV behind a leading apostrophe (what
Excel and LibreOffice read as "this is text"), in XLSX as a string cell marked with Excel's
quote prefix. Numbers are not text and stay numbers, negative ones included.
"""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def is_formula_like(value: object) -> bool:
    """True for text a spreadsheet would read as a formula (or a DDE call)."""
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def csv_cell(value: object) -> object:
    """The value a CSV writer may write: formula-like text behind an apostrophe, the rest as
    given (``None`` as an empty cell)."""
    if value is None:
        return ""
    if is_formula_like(value):
        return f"'{value}"
    return value
