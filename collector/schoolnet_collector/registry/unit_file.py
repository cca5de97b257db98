"""Check a units file row by row: what each cell must be, and every way a planner's copy of the
official list goes wrong (a formula pasted in, a line break in a code, a type spelled as on
paper). Nothing here touches the registry; ``unit_import`` weighs the rows against it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime

from schoolnet_agent.protocol.topics import ID_RE
from schoolnet_collector.registry.table_file import Row, fold
from schoolnet_collector.registry.units import UNIT_TYPES

ALIASES = {
    "code": ("code", "mã", "mã đơn vị", "mã đvhc"),
    "name": ("name", "tên", "tên đơn vị"),
    "type": ("type", "loại", "cấp"),
    "parent": ("parent", "cấp trên", "mã cấp trên", "thuộc"),
    "valid_from": ("valid from", "hiệu lực từ", "từ ngày"),
    "valid_to": ("valid to", "hiệu lực đến", "đến ngày"),
}
REQUIRED = ("code", "name", "type")

TYPE_ALIASES = {
    **{fold(t): t for t in UNIT_TYPES},
    "tỉnh": "tinh",
    "thành phố": "thanh_pho",
    "thành phố trực thuộc trung ương": "thanh_pho",
    "xã": "xa",
    "phường": "phuong",
    "đặc khu": "dac_khu",
    "huyện": "huyen",
    "thị xã": "thi_xa",
    "thành phố thuộc tỉnh": "thanh_pho_thuoc_tinh",
    "tỉnh cũ": "tinh_cu",
}
FORMULA_START = ("=", "+", "-", "@")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class RowError(ValueError):
    """One cell is wrong: ``column`` names it, the message says how."""

    def __init__(self, column: str, reason: str) -> None:
        super().__init__(reason)
        self.column = column


@dataclass(frozen=True)
class UnitRow:
    code: str
    name: str
    type: str
    parent: str | None
    valid_from: date | None
    valid_to: date | None


def _text(row: Row, column: str, limit: int) -> str:
    value = unicodedata.normalize("NFC", row.get(column, ""))
    if CONTROL.search(value):
        raise RowError(column, f"{value!r} contains a line break or control character")
    if value.startswith(FORMULA_START):
        raise RowError(column, f"{value!r} looks like a spreadsheet formula")
    if len(value) > limit:
        raise RowError(column, f"longer than {limit} characters")
    return value


def _code(row: Row, column: str) -> str | None:
    value = _text(row, column, 63)
    if not value:
        return None
    if not ID_RE.match(value):
        raise RowError(column, f"{value!r} must be lowercase letters, digits, '-' or '_' (max 63)")
    return value


def _date(row: Row, column: str) -> date | None:
    value = _text(row, column, 10)
    if not value:
        return None
    for form in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(value, form).date()
        except ValueError:
            continue
    raise RowError(column, f"{value!r} is not a date (YYYY-MM-DD or DD/MM/YYYY)")


def check_row(row: Row) -> UnitRow:
    """The row as a unit, or ``RowError`` for its first wrong cell."""
    code = _code(row, "code")
    if code is None:
        raise RowError("code", "is empty")
    name = _text(row, "name", 200)
    if not name:
        raise RowError("name", "is empty")
    kind = TYPE_ALIASES.get(fold(_text(row, "type", 64)))
    if kind is None:
        raise RowError(
            "type", f"{row.get('type', '')!r} is not one of {', '.join(UNIT_TYPES)} (or tỉnh, xã…)"
        )
    parent = _code(row, "parent")
    if parent == code:
        raise RowError("parent", f"{code!r} cannot be its own parent")
    start, end = _date(row, "valid_from"), _date(row, "valid_to")
    if start and end and end < start:
        raise RowError("valid_to", f"{end.isoformat()} is before valid_from {start.isoformat()}")
    return UnitRow(code, name, kind, parent, start, end)
