"""When a school is in session (Asia/Ho_Chi_Minh): hours, terms, holidays with Tết, a school's own
calendar, and a date the terms do not cover counted as a school day."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from schoolnet_collector.registry.calendar import VN, Calendar, is_school_time, next_school_time
from schoolnet_collector.registry.calendar_file import (
    CalendarIn,
    store_calendar,
)
from tests.support.collector import S1


def vn(*args) -> datetime:
    return datetime(*args, tzinfo=VN)


@pytest.mark.parametrize(
    "at, expected",
    [
        (vn(2026, 11, 25, 9, 0), True),  # a Wednesday morning in term
        (vn(2026, 11, 25, 6, 59), False),  # before school
        (vn(2026, 11, 25, 17, 0), False),  # closed at 17:00
        (vn(2026, 11, 28, 9, 0), False),  # Saturday
        (vn(2027, 2, 8, 9, 0), False),  # Tết
        (vn(2027, 4, 16, 9, 0), False),  # Giỗ Tổ Hùng Vương
        (vn(2027, 1, 17, 9, 0), False),  # Sunday between the terms
        (vn(2027, 1, 18, 9, 0), True),  # second term starts
        (
            datetime(2026, 11, 25, 1, 30, tzinfo=timezone.utc),
            True,
        ),  # 08:30 in Lào Cai, given in UTC
    ],
)
def test_school_time(sessions, at, expected):
    with sessions() as s:
        assert is_school_time(s, S1, at) is expected


def test_next_school_time_skips_nights_weekends_and_tet(sessions):
    with sessions() as s:
        assert next_school_time(s, S1, vn(2026, 11, 25, 9, 0)) == vn(2026, 11, 25, 9, 0)
        assert next_school_time(s, S1, vn(2026, 11, 25, 18, 0)) == vn(2026, 11, 26, 7, 0)
        assert next_school_time(s, S1, vn(2026, 11, 27, 18, 0)) == vn(2026, 11, 30, 7, 0)
        assert next_school_time(s, S1, vn(2027, 2, 3, 18, 0)) == vn(2027, 2, 11, 7, 0)


def test_a_school_with_its_own_hours_and_holiday(sessions):
    own = CalendarIn(
        school_hours={"mon": "07:30-11:30", "sat": "07:30-11:30"},
        holidays=[{"name": "Lễ hội Gầu Tào", "starts": "2027-01-25", "ends": "2027-01-25"}],
    )
    with sessions() as s:
        store_calendar(s, own, S1)
        s.commit()
        cal = Calendar.load(s)
        assert cal.is_school_time(S1, vn(2026, 11, 28, 9, 0))  # its Saturday class
        assert not cal.is_school_time(S1, vn(2026, 11, 30, 14, 0))  # its Monday afternoon
        assert cal.is_school_time("lc-test-02", vn(2026, 11, 30, 14, 0))  # the province's hours
        assert not cal.is_school_time(S1, vn(2027, 1, 25, 9, 0))  # its own holiday
        assert not cal.is_school_time(S1, vn(2027, 2, 8, 9, 0))  # and the province's Tết


def test_a_date_outside_the_terms_known_counts_as_a_school_day(sessions):
    """A calendar not yet updated for the next year must not silence alerts."""
    with sessions() as s:
        assert is_school_time(s, S1, vn(2027, 9, 15, 9, 0))
