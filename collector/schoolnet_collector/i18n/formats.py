"""Numbers, percentages, money, dates and times as each language writes them (Babel, CLDR).

Vietnamese groups thousands with a dot and writes decimals with a comma (15.000; 93,4%);
English the other way round (15,000; 93.4%). English is CLDR's ``en_GB``: the people who read
it work beside Vietnamese colleagues on the same figures, with day-first dates and the
24-hour clock, and a US month-first date would be misread. Vietnamese dates are dd/mm/yyyy:
CLDR's short ``d/M/yy`` is not what the province's documents write. Every time is shown in
Asia/Ho_Chi_Minh unless a caller names another zone; a naive datetime is UTC (the registry
stores UTC). ``None`` is shown as "–" everywhere, so a missing figure never reads as zero.

The wrappers ``Num``, ``Pct`` and ``Vnd`` say how a value passed into a message is to be
written (``gettext(lang, "… %(ram)s GiB", ram=Num(1.0, 1))``); a plain int or float is a
number with the locale's default precision.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime, timezone, tzinfo
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date as babel_date, format_time as babel_time
from babel.numbers import (
    format_currency as babel_currency,
    format_decimal as babel_decimal,
    format_percent as babel_percent,
)

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
NONE = "–"
BABEL_LOCALES = {"vi": "vi", "en": "en_GB"}
DATE_PATTERNS = {"vi": "dd/MM/yyyy"}
"""Where a language's own date differs from CLDR's short date (the others use CLDR's)."""
DAY_PATTERNS = {"vi": "dd/MM", "en": "dd/MM"}
"""A date without its year (the hours of the last day on a school's page)."""
VND_SIGNS = {"vi": "đ"}
"""The đ Vietnamese invoices and the Sở's plans write after an amount (CLDR: ₫)."""


@dataclass(frozen=True)
class Num:
    """A number with a fixed count of decimals (``None``: the locale's default, up to 3)."""

    value: float | None
    digits: int | None = None


@dataclass(frozen=True)
class Pct:
    """A share written as a percentage: ``ratio`` 0.934 is 93,4% (digits=1)."""

    ratio: float | None
    digits: int = 0


@dataclass(frozen=True)
class Vnd:
    """An amount of Vietnamese đồng."""

    amount: int | float | None


@functools.cache
def babel_locale(lang: str) -> Locale:
    return Locale.parse(BABEL_LOCALES.get(lang, BABEL_LOCALES["vi"]))


def _pattern(digits: int) -> str:
    return "#,##0." + "0" * digits if digits > 0 else "#,##0"


def format_number(value: float | None, lang: str, digits: int | None = None) -> str:
    """1.234,5 in Vietnamese, 1,234.5 in English; ``digits`` fixes the decimals."""
    if value is None:
        return NONE
    fmt = None if digits is None else _pattern(digits)
    return babel_decimal(value, format=fmt, locale=babel_locale(lang))


def format_percent(ratio: float | None, lang: str, digits: int = 1) -> str:
    """A share (0.934) as a percentage: 93,4% / 93.4%."""
    if ratio is None:
        return NONE
    return babel_percent(ratio, format=_pattern(digits) + "%", locale=babel_locale(lang))


def format_vnd(amount: float | None, lang: str) -> str:
    """14.000.000 đ in Vietnamese, ₫14,000,000 in English (no decimals: đồng has none)."""
    if amount is None:
        return NONE
    text = babel_currency(amount, "VND", locale=babel_locale(lang))
    sign = VND_SIGNS.get(lang)
    return text.replace("₫", sign) if sign else text


def local(value: datetime, tz: tzinfo = LOCAL_TZ) -> datetime:
    """An aware time in ``tz``; a naive one is taken as UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(tz)


def format_date(value: date | datetime | None, lang: str, tz: tzinfo = LOCAL_TZ) -> str:
    """16/11/2026 (a datetime: its day in ``tz``)."""
    if value is None:
        return NONE
    day = local(value, tz).date() if isinstance(value, datetime) else value
    loc = babel_locale(lang)
    return babel_date(day, DATE_PATTERNS.get(lang) or loc.date_formats["short"], locale=loc)


def format_time(value: datetime | None, lang: str, tz: tzinfo = LOCAL_TZ) -> str:
    """08:00 (hours and minutes in ``tz``)."""
    if value is None:
        return NONE
    loc = babel_locale(lang)
    return babel_time(local(value, tz), loc.time_formats["short"], locale=loc)


def format_datetime(
    value: datetime | None, lang: str, tz: tzinfo = LOCAL_TZ, year: bool = True
) -> str:
    """The time and date in the language's order: "08:00 16/11/2026", "16/11/2026, 08:00";
    ``year=False`` leaves the year out ("08:00 16/11")."""
    if value is None:
        return NONE
    loc = babel_locale(lang)
    when = local(value, tz)
    day = (
        format_date(when, lang, tz)
        if year
        else babel_date(when.date(), DAY_PATTERNS.get(lang, "dd/MM"), locale=loc)
    )
    combined = str(loc.datetime_formats["short"])
    return combined.replace("{0}", format_time(when, lang, tz)).replace("{1}", day)
