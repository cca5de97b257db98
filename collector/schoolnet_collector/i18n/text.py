"""Messages looked up in a language's catalogue and filled with arguments written in it.

Every message is a %-format string with named placeholders (``"Since %(when)s"``), in the
form Jinja's new-style gettext uses, so Python and templates follow one rule: a literal % is
written %%. Arguments are formatted for the language before they are put in: a number,
``Num``, ``Pct`` or ``Vnd`` by ``formats``, a datetime or date as a local time or date, a
timedelta as a duration, a ``Text`` translated into the same language, a string as it is.
Years and identifiers are strings: 2005 is not "2.005".

The language comes first in every call (``gettext("vi", "Devices")``): the collector serves
both languages at once (a page in English, a page in Vietnamese, a Vietnamese teacher's
e-mail), so there is no "current language" to forget to set.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from schoolnet_collector.i18n.catalogue import translations
from schoolnet_collector.i18n.formats import (
    LOCAL_TZ,
    Num,
    Pct,
    Vnd,
    format_date,
    format_datetime,
    format_number,
    format_percent,
    format_vnd,
)


@dataclass(frozen=True)
class Text:
    """A message marked where it is defined (a module-level table: level names, column
    headers) and translated where it is shown, in the reader's language."""

    message: str
    context: str | None = None

    def translate(self, lang: str, **args: object) -> str:
        if self.context is None:
            return gettext(lang, self.message, **args)
        return pgettext(lang, self.context, self.message, **args)

    def __str__(self) -> str:
        # A Text printed without a language would silently pick one: refuse instead.
        raise TypeError(f"Text {self.message!r} needs a language: .translate(lang)")


def N_(message: str) -> Text:
    return Text(message)


def NP_(context: str, message: str) -> Text:
    return Text(message, context)


def argument(value: object, lang: str, tz: tzinfo = LOCAL_TZ) -> object:
    """One argument as ``lang`` writes it (see the module's docstring)."""
    if isinstance(value, Text):
        return value.translate(lang)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return format_number(value, lang)
    if isinstance(value, Num):
        return format_number(value.value, lang, value.digits)
    if isinstance(value, Pct):
        return format_percent(value.ratio, lang, value.digits)
    if isinstance(value, Vnd):
        return format_vnd(value.amount, lang)
    if isinstance(value, datetime):
        return format_datetime(value, lang, tz)
    if isinstance(value, date):
        return format_date(value, lang)
    if isinstance(value, timedelta):
        return format_duration(value, lang)
    return value


def fill(text: str, lang: str, args: Mapping[str, object], tz: tzinfo = LOCAL_TZ) -> str:
    return text % {k: argument(v, lang, tz) for k, v in args.items()}


def gettext(lang: str, message: str, /, **args: object) -> str:
    return fill(translations(lang).gettext(message), lang, args)


def pgettext(lang: str, context: str, message: str, /, **args: object) -> str:
    return fill(str(translations(lang).pgettext(context, message)), lang, args)


def ngettext(lang: str, singular: str, plural: str, n: int, /, **args: object) -> str:
    """The form for ``n`` (``%(num)s`` is ``n``, as in templates' ``{% pluralize %}``)."""
    return fill(translations(lang).ngettext(singular, plural, n), lang, {"num": n, **args})


def npgettext(
    lang: str, context: str, singular: str, plural: str, n: int, /, **args: object
) -> str:
    text = translations(lang).npgettext(context, singular, plural, n)
    return fill(text, lang, {"num": n, **args})


def format_duration(delta: timedelta, lang: str) -> str:
    """Whole minutes as days, hours and minutes: "1 ngày 2 giờ", "4 phút"; "1 d 2 h".
    A phone shows the length of an outage at a glance, so zero parts are left out (but a
    duration under a minute is "0 min", not nothing)."""
    minutes = max(0, int(delta.total_seconds() // 60))
    days, rest = divmod(minutes, 1440)
    hours, minutes = divmod(rest, 60)
    parts = []
    if days:
        parts.append(npgettext(lang, "duration", "%(num)s d", "%(num)s d", days))
    if hours:
        parts.append(npgettext(lang, "duration", "%(num)s h", "%(num)s h", hours))
    if minutes or not parts:
        parts.append(npgettext(lang, "duration", "%(num)s min", "%(num)s min", minutes))
    return " ".join(parts)
