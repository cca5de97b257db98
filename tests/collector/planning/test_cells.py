"""OWASP's rule, cell by cell: formula-like text is written as text in CSV and XLSX, and
numbers (negative ones too) stay numbers."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest

from schoolnet_collector.planning.cells import csv_cell, is_formula_like
from schoolnet_collector.planning.export_csv import csv_text
from schoolnet_collector.planning.export_xlsx import xlsx_bytes
from schoolnet_collector.planning.tables import Table

FORMULAS = ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "=cmd|' /C calc'!A0"]
PLAIN = ["Trường THCS", "lab1", "a=b", " =x", "", "'quoted"]


@pytest.mark.parametrize("text", FORMULAS)
def test_formula_like_text_gets_an_apostrophe_in_csv(text):
    assert is_formula_like(text) and csv_cell(text) == "'" + text


@pytest.mark.parametrize("value", [*PLAIN, -5, -2.5, 0, None])
def test_everything_else_is_left_as_it_is(value):
    assert not is_formula_like(value)
    assert csv_cell(value) == ("" if value is None else value)


def hostile_table() -> Table:
    return Table(
        "=Sheet",
        ["=Header", "Số"],
        [[text, -n] for n, text in enumerate(FORMULAS, start=1)],
        notes=["@note"],
    )


def test_csv_writes_formulas_as_text_and_negative_numbers_as_numbers():
    rows = list(csv.reader(io.StringIO(csv_text(hostile_table()), newline="")))
    assert rows[0] == ["'=Header", "Số"]
    assert [r[0] for r in rows[1:]] == ["'" + t for t in FORMULAS]
    assert [r[1] for r in rows[1:]] == [str(-n) for n in range(1, len(FORMULAS) + 1)]


def test_xlsx_stores_formulas_as_quoted_strings_and_numbers_as_numbers():
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx_bytes([hostile_table()]))).worksheets[0]
    header = sheet["A1"]
    assert (header.value, header.data_type, header.quotePrefix) == ("=Header", "s", True)
    for row, text in enumerate(FORMULAS, start=2):
        cell, number = sheet.cell(row, 1), sheet.cell(row, 2)
        kept = text.replace("\r", "\n")  # XML reads a stored CR back as LF
        assert (cell.value, cell.data_type, cell.quotePrefix) == (kept, "s", True)
        assert (number.value, number.data_type) == (1 - row, "n")
    note = sheet.cell(len(FORMULAS) + 3, 1)
    assert (note.value, note.data_type, note.quotePrefix) == ("@note", "s", True)
