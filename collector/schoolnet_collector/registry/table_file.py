"""A planner's table as they have it: CSV (UTF-8, with or without the BOM Excel writes) or the
first sheet of an XLSX workbook, headed in Vietnamese or in English.

Headers are matched after case folding, Unicode NFC and trimming, so "Mã", "MÃ " and "code"
all name the same column; columns nobody asked for (STT, Ghi chú) are ignored. Cells come
back as stripped strings ("" for an empty cell); dates an XLSX holds as dates come back in
ISO form, whole numbers without a trailing ".0" (a commune code typed as a number).
"""

from __future__ import annotations

import csv
import io
import unicodedata
import zipfile
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path


class TableFileError(ValueError):
    """The file as a whole cannot be read: missing, wrong format, header wrong."""


Row = dict[str, str]


def fold(text: str) -> str:
    """A header as compared: NFC, case-folded, inner spaces single, BOM and ends trimmed."""
    text = unicodedata.normalize("NFC", text).replace("\ufeff", "").casefold()
    return " ".join(text.replace("_", " ").split())


def cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _raw_rows(path: Path) -> list[list[str]]:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        try:
            text = path.read_text(encoding="utf-8-sig")
        except OSError as exc:
            raise TableFileError(f"{path}: cannot read: {exc.strerror}") from None
        except UnicodeDecodeError:
            raise TableFileError(
                f"{path}: not UTF-8 text (save the spreadsheet as CSV UTF-8)"
            ) from None
        return [[cell_text(c) for c in row] for row in csv.reader(io.StringIO(text))]
    if suffix == ".xlsx":
        from openpyxl import load_workbook

        try:
            book = load_workbook(path, read_only=True, data_only=True)
        except OSError as exc:
            raise TableFileError(f"{path}: cannot read: {exc.strerror}") from None
        except (zipfile.BadZipFile, KeyError, ValueError):
            raise TableFileError(f"{path}: not an XLSX workbook") from None
        try:
            sheet = book.worksheets[0]
            return [[cell_text(c) for c in row] for row in sheet.iter_rows(values_only=True)]
        finally:
            book.close()
    raise TableFileError(f"{path}: unknown format {suffix!r}; use .csv or .xlsx")


def read_table(
    path: Path, aliases: Mapping[str, tuple[str, ...]], required: tuple[str, ...]
) -> list[tuple[int, Row]]:
    """(row number as the planner sees it, {field: cell}) for every non-empty row.

    ``aliases`` maps each field to the headers that name it (English first). A header row
    lacking a required field, or naming one field twice, refuses the file."""
    path = Path(path)
    rows = _raw_rows(path)
    if not rows:
        raise TableFileError(f"{path}: empty file (expected a header row)")
    by_header = {fold(a): field for field, names in aliases.items() for a in names}
    columns: dict[int, str] = {}
    for i, header in enumerate(rows[0]):
        field = by_header.get(fold(header))
        if field is None:
            continue
        if field in columns.values():
            raise TableFileError(f"{path}: header names {field!r} twice ({header!r})")
        columns[i] = field
    missing = [f for f in required if f not in columns.values()]
    if missing:
        expected = "; ".join(f"{f} ({' / '.join(aliases[f])})" for f in missing)
        raise TableFileError(f"{path}: header lacks column(s) {expected}")
    out: list[tuple[int, Row]] = []
    for number, raw in enumerate(rows[1:], start=2):
        if not any(raw):
            continue
        row = dict.fromkeys(columns.values(), "")
        for i, field in columns.items():
            if i < len(raw):
                row[field] = raw[i]
        out.append((number, row))
    return out
