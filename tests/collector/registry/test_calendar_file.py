"""The school calendar as a file: the packaged one holds the school year's public holidays; bad
rows are named by line and the rest kept; a file that cannot be used is refused."""

from __future__ import annotations

from datetime import date

import pytest

from schoolnet_collector.registry.calendar_file import (
    CalendarFileError,
    import_calendar,
    read_calendar_file,
)
from tests.support.calendar import CALENDAR_WITH_MISTAKES


def test_the_default_calendar_has_the_public_holidays_of_the_school_year():
    calendar, problems = read_calendar_file(None)
    assert problems == []
    days = {h.name: (h.starts, h.ends) for h in calendar.holidays}
    assert days["Tết Dương lịch"] == (date(2027, 1, 1), date(2027, 1, 1))
    tet = days["Tết Nguyên đán"]
    assert tet[0] <= date(2027, 2, 6) <= tet[1] and (tet[1] - tet[0]).days + 1 >= 7  # a week
    assert days["Giỗ Tổ Hùng Vương"] == (date(2027, 4, 16), date(2027, 4, 16))  # 10/3 âm lịch
    assert days["Ngày Giải phóng miền Nam, thống nhất đất nước"][0] == date(2027, 4, 30)
    assert days["Ngày Quốc tế Lao động"][0] == date(2027, 5, 1)
    assert date(2026, 9, 2) <= days["Quốc khánh"][1]
    assert calendar.terms[0].starts == date(2026, 9, 5)


def test_calendar_file_rows_with_mistakes_are_named_and_the_rest_kept(sessions, tmp_path):
    path = tmp_path / "lich.yaml"
    path.write_text(CALENDAR_WITH_MISTAKES, encoding="utf-8")
    with sessions() as s:
        result = import_calendar(s, path, None)
        assert (result.hours, result.terms, result.holidays) == (2, 1, 2)
        assert (
            result.errors[0] == "lich.yaml:6: terms.1: ends 2027-01-18 is before starts 2027-05-29"
        )
        assert result.errors[1].startswith(
            "lich.yaml:9: holidays.1.starts: Input should be a valid date"
        )
        assert len(result.errors) == 2


@pytest.mark.parametrize(
    "text, message",
    [
        (
            'school_hours:\n  mon: "17:00-07:00"\n',
            "lich.yaml:2: school_hours.mon: '17:00-07:00': closes before it opens",
        ),
        (
            'school_hours:\n  mon: "7h-17h"\n',
            "lich.yaml:2: school_hours.mon: String should match pattern",
        ),
        ('school_hours:\n  monday: "07:00-17:00"\n', "lich.yaml:2: school_hours.monday.[key]"),
        ("timezone: Asia/Bangkok\n", "lich.yaml:1: timezone: Input should be 'Asia/Ho_Chi_Minh'"),
        ("terms: {a: 1}\n", "lich.yaml:1: terms must be a list"),
        ("holidays: [\n", "lich.yaml:2: not valid YAML"),
    ],
)
def test_a_calendar_file_that_cannot_be_used_is_refused(tmp_path, text, message):
    path = tmp_path / "lich.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CalendarFileError) as err:
        read_calendar_file(path)
    assert str(err.value).startswith(message)
