"""Numbers, shares, money, dates and times as each language writes them."""

from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from schoolnet_collector.i18n import (
    format_date,
    format_datetime,
    format_number,
    format_percent,
    format_time,
    format_vnd,
)

NBSP = "\u00a0"
WHEN = datetime(2026, 11, 16, 1, 5, tzinfo=timezone.utc)  # 08:05 in Lào Cai


def test_numbers_group_and_decimals_as_each_language_does():
    assert format_number(1234.5, "vi") == "1.234,5"
    assert format_number(1234.5, "en") == "1,234.5"
    assert format_number(15000, "vi") == "15.000"
    assert format_number(15000, "en") == "15,000"
    assert format_number(20, "vi", 1) == "20,0"
    assert format_number(2.25, "en", 1) == "2.2"  # half to even, as Babel rounds
    assert format_number(None, "vi") == "–"


def test_shares_are_percentages():
    assert format_percent(0.934, "vi") == "93,4%"
    assert format_percent(0.934, "en") == "93.4%"
    assert format_percent(1, "vi", 0) == "100%"
    assert format_percent(None, "en") == "–"


def test_dong_with_the_dong_sign():
    assert format_vnd(14_000_000, "vi") == f"14.000.000{NBSP}đ"
    assert format_vnd(14_000_000, "en") == "₫14,000,000"
    assert format_vnd(None, "vi") == "–"


def test_dates_are_day_first_with_four_digit_years_in_vietnam_time():
    assert format_date(WHEN, "vi") == "16/11/2026"
    assert format_date(WHEN, "en") == "16/11/2026"
    assert format_date(date(2027, 2, 4), "vi") == "04/02/2027"
    late = datetime(2026, 11, 16, 18, 30, tzinfo=timezone.utc)  # already the 17th in Lào Cai
    assert format_date(late, "vi") == "17/11/2026"


def test_times_and_datetimes_in_each_languages_order():
    assert format_time(WHEN, "vi") == format_time(WHEN, "en") == "08:05"
    assert format_datetime(WHEN, "vi") == "08:05 16/11/2026"
    assert format_datetime(WHEN, "en") == "16/11/2026, 08:05"
    assert format_datetime(WHEN, "vi", year=False) == "08:05 16/11"
    assert format_datetime(None, "en") == "–"


def test_a_naive_time_is_utc_and_another_zone_can_be_asked_for():
    naive = datetime(2026, 11, 16, 1, 5)
    assert format_datetime(naive, "vi") == "08:05 16/11/2026"
    assert format_time(WHEN, "vi", ZoneInfo("Europe/Paris")) == "02:05"


def test_an_unknown_language_writes_vietnamese():
    assert format_number(1234.5, "fr") == "1.234,5"
