"""The writers lay a table out in its language: text with the locale's separators, XLSX with
numbers that stay numbers (a number format, not text), years left alone in both."""

from __future__ import annotations

import io

import openpyxl

from schoolnet_collector.planning.export_csv import csv_text
from schoolnet_collector.planning.export_text import render
from schoolnet_collector.planning.export_xlsx import xlsx_bytes
from schoolnet_collector.planning.tables import Table


def table(lang: str) -> Table:
    return Table(
        "Tổng hợp",
        ["Mã", "Năm", "Kinh phí", "Tỷ lệ", "Ghi chú"],
        [["lc-01", 2019, 359_000_000, 98.53, None], ["lc-02", 2020, 12, 7.0, "x"]],
        lang=lang,
        years=frozenset({1}),
    )


def test_text_follows_the_tables_language():
    vi, en = render(table("vi")), render(table("en"))
    assert "lc-01  2019  359.000.000  98,5" in vi
    assert "lc-01  2019  359,000,000  98.5" in en
    assert "lc-02  2020  12           7,0    x" in vi
    assert render(table("vi"), max_rows=1).splitlines()[-1] == "… còn 1 dòng"
    assert render(table("en"), max_rows=1).splitlines()[-1] == "… 1 more"


def test_xlsx_cells_stay_numbers_with_a_number_format():
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx_bytes([table("vi")])))["Tổng hợp"]
    year, cost, share, note = sheet["B2"], sheet["C2"], sheet["D2"], sheet["E3"]
    assert (year.value, year.number_format) == (2019, "General")
    assert (cost.value, cost.number_format) == (359_000_000, "#,##0")
    assert (share.value, share.number_format) == (98.53, "#,##0.0#")
    assert (note.value, note.number_format) == ("x", "General")


def test_csv_keeps_raw_numbers_for_programs():
    assert csv_text(table("vi")).splitlines()[1] == "lc-01,2019,359000000,98.53,"
