"""Every word the collector shows people, in Vietnamese (the default) and English.

The bottom layer of the collector's text: it imports nothing else of ``schoolnet_collector``
(an import-linter contract holds it to that), so pages, notifications, reports and the
alert rules can all use it.

**Message ids are English.** The sources say ``gettext(lang, "Devices")``; the ``vi``
catalogue gives "Thiết bị", the ``en`` catalogue may leave the msgstr empty (the id is
shown) or reword it without touching the code. Where one English word has two Vietnamese
ones, a context tells them apart: ``pgettext(lang, "device state", "Online")`` is "Hoạt
động", a column headed "Online" is "Đang hoạt động". Messages are %-format strings with
named placeholders, in Python and in templates alike: ``"Since %(when)s"``, a literal
``%%``. Catalogues: ``i18n/locale/<vi|en>/LC_MESSAGES/schoolnet.po``; ``make i18n-update``
extracts the sources into both, ``make i18n-check`` fails when they are stale, untranslated
(Vietnamese) or fuzzy. Built packages carry ``.mo`` files compiled by ``setup.py``; a
checkout compiles the ``.po`` in memory when its ``.mo`` is missing or older.

API (every call takes the language; an unknown one is Vietnamese)::

    from schoolnet_collector import i18n
    i18n.gettext("vi", "Devices")                         # "Thiết bị"
    i18n.pgettext(lang, "device state", "Online")
    i18n.ngettext(lang, "%(num)s day", "%(num)s days", n)
    i18n.gettext(lang, "RAM %(ram)s GiB", ram=i18n.Num(1.0, 1))   # vi "RAM 1,0 GiB"
    LEVELS = {"thcs": i18n.NP_("school level", "Lower secondary")}  # module level: lazy
    LEVELS["thcs"].translate("vi")                        # "THCS"
    i18n.format_number(15000, "vi"); i18n.format_percent(0.934, "en")   # 15.000; 93.4%
    i18n.format_vnd(14_000_000, "vi")                     # 14.000.000 đ
    i18n.format_datetime(when, "vi"); i18n.format_date(...); i18n.format_time(...)
    i18n.format_duration(timedelta(hours=26), "vi")       # 1 ngày 2 giờ
    i18n.jinja.environment("en", loader=...)              # {% trans %}, |number, |datetime…

**Stored text, shown later** (what the alert rules need next: today an incident keeps its
summary frozen in both languages). Decide the message when the problem is found, keep its
id and arguments, write the words when the page is shown or the message sent::

    msg = i18n.deferred("Disk of %(device)s nearly full: %(used)s",
                        device="pc-07", used=i18n.Pct(0.93))
    details["message"] = msg.to_json()                    # JSON, in the incident's row
    i18n.render_stored(details["message"], contact.language)   # "Ổ đĩa pc-07 sắp đầy: 93%"

Arguments that are numbers, ``Num``/``Pct``/``Vnd``, datetimes, dates, durations or
``Text`` are written in the reading language (a datetime in Asia/Ho_Chi_Minh, or the zone
passed to ``render``); strings are kept as they are. ``pdeferred(context, ...)`` adds a
context. Keep a stored id stable: reword through the catalogues. See ``deferred``.
"""

from __future__ import annotations

from schoolnet_collector.i18n import jinja
from schoolnet_collector.i18n.catalogue import (
    DEFAULT_LANGUAGE,
    LANGUAGE_NAMES,
    LANGUAGES,
    language,
    translations,
)
from schoolnet_collector.i18n.deferred import Deferred, deferred, pdeferred, render_stored
from schoolnet_collector.i18n.formats import (
    LOCAL_TZ,
    Num,
    Pct,
    Vnd,
    format_date,
    format_datetime,
    format_number,
    format_percent,
    format_time,
    format_vnd,
    local,
)
from schoolnet_collector.i18n.text import (
    N_,
    NP_,
    Text,
    format_duration,
    gettext,
    ngettext,
    npgettext,
    pgettext,
)

__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "LANGUAGE_NAMES",
    "LOCAL_TZ",
    "NP_",
    "N_",
    "Deferred",
    "Num",
    "Pct",
    "Text",
    "Vnd",
    "deferred",
    "format_date",
    "format_datetime",
    "format_duration",
    "format_number",
    "format_percent",
    "format_time",
    "format_vnd",
    "gettext",
    "jinja",
    "language",
    "local",
    "ngettext",
    "npgettext",
    "pdeferred",
    "pgettext",
    "render_stored",
    "translations",
]
