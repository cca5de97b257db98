"""A planner's table read as they have it: CSV with or without BOM, XLSX, headers in
Vietnamese or English in any case; a header that lacks or doubles a column refuses the file."""

from __future__ import annotations

import re
from datetime import date

import pytest
from openpyxl import Workbook

from schoolnet_collector.registry.table_file import TableFileError, read_table
from schoolnet_collector.registry.unit_file import ALIASES, REQUIRED

WANT = [
    (2, {"code": "lao-cai", "name": "Tỉnh Lào Cai", "type": "Tỉnh", "parent": ""}),
    (3, {"code": "08044", "name": "Xã Bát Xát", "type": "Xã", "parent": "lao-cai"}),
]


@pytest.mark.parametrize("bom", ["", "\ufeff"])
@pytest.mark.parametrize(
    "header", ["code,name,type,parent", "Mã,Tên,Loại,Cấp trên", " MÃ ,TÊN,loại,cấp  trên"]
)
def test_csv_with_or_without_bom_in_either_language(tmp_path, bom, header):
    path = tmp_path / "units.csv"
    body = "lao-cai,Tỉnh Lào Cai,Tỉnh,\n08044,Xã Bát Xát,Xã,lao-cai\n,,,\n"
    path.write_text(bom + header + "\n" + body, encoding="utf-8")
    assert read_table(path, ALIASES, REQUIRED) == WANT  # the empty row is skipped


def test_xlsx_first_sheet_with_numbers_and_dates_as_excel_types(tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["STT", "Mã", "Tên", "Loại", "Cấp trên", "Hiệu lực từ"])
    sheet.append([1, "lao-cai", "Tỉnh Lào Cai", "Tỉnh", None, date(2025, 7, 1)])
    sheet.append([2, 8044.0, "Xã Bát Xát", "Xã", "lao-cai", None])
    path = tmp_path / "units.xlsx"
    book.save(path)
    rows = read_table(path, ALIASES, REQUIRED)
    assert rows[0] == (
        2,
        {
            "code": "lao-cai",
            "name": "Tỉnh Lào Cai",
            "type": "Tỉnh",
            "parent": "",
            "valid_from": "2025-07-01",
        },
    )
    assert rows[1][1]["code"] == "8044"  # a number typed in a code cell, without ".0"


@pytest.mark.parametrize(
    "name,content,expected",
    [
        ("u.csv", "id,label\nx,y\n", "header lacks column(s) code (code / mã"),
        ("u.csv", "code,mã,name,type\n", "header names 'code' twice"),
        ("u.csv", "", "empty file"),
        ("u.csv", b"\xff\xfecode", "not UTF-8"),
        ("u.xlsx", "not a zip", "not an XLSX workbook"),
        ("u.ods", "", "unknown format '.ods'"),
        ("missing.csv", None, "cannot read"),
    ],
)
def test_unreadable_files_are_refused_with_the_reason(tmp_path, name, content, expected):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(TableFileError, match=re.escape(expected)):
        read_table(path, ALIASES, REQUIRED)
