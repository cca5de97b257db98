"""Jinja2 environments that speak one language: ``{% trans %}`` and the locale's formats.

One environment per language rather than one switched per render: pages in both languages
are served at the same time from several threads, and an environment's globals are shared.
Templates write ``{% trans %}Devices{% endtrans %}`` or ``{{ _("Devices") }}`` (new-style
gettext: placeholders are filled and escaped by Jinja; ``pgettext`` / ``{% trans "context" %}``
where one English word has two Vietnamese ones), and format with filters bound to the
language: ``number(digits)``, ``percent(digits)`` (of a share), ``vnd``, ``date``, ``time``,
``datetime(year=True)``, ``duration`` and ``tr`` (a ``Text`` from a table, translated; other
values unchanged).

The options that change what a ``{% trans %}`` block's message id is (new-style gettext,
``trim_blocks``) must match ``[tool.babel]`` in pyproject.toml, or extraction and lookup
would disagree: ``environment`` sets new-style, callers pass ``trim_blocks`` as the mapping
of their templates says.
"""

from __future__ import annotations

from datetime import tzinfo
from typing import Any

from jinja2 import Environment
from jinja2.sandbox import SandboxedEnvironment

from schoolnet_collector.i18n.catalogue import language, translations
from schoolnet_collector.i18n.formats import (
    LOCAL_TZ,
    format_date,
    format_datetime,
    format_number,
    format_percent,
    format_time,
    format_vnd,
)
from schoolnet_collector.i18n.text import Text, format_duration


def install(env: Environment, lang: str, tz: tzinfo = LOCAL_TZ) -> Environment:
    """Give an existing environment ``lang``'s translations and formatting filters."""
    lang = language(lang)
    if "jinja2.ext.InternationalizationExtension" not in env.extensions:
        env.add_extension("jinja2.ext.i18n")
    env.install_gettext_translations(translations(lang), newstyle=True)  # type: ignore[attr-defined]  # added by the i18n extension
    env.globals["lang"] = lang
    env.filters.update(
        number=lambda value, digits=None: format_number(value, lang, digits),
        percent=lambda ratio, digits=1: format_percent(ratio, lang, digits),
        vnd=lambda amount: format_vnd(amount, lang),
        date=lambda value: format_date(value, lang, tz),
        time=lambda value: format_time(value, lang, tz),
        datetime=lambda value, year=True: format_datetime(value, lang, tz, year),
        duration=lambda delta: format_duration(delta, lang),
        tr=lambda value: value.translate(lang) if isinstance(value, Text) else value,
    )
    return env


def environment(
    lang: str, tz: tzinfo = LOCAL_TZ, sandboxed: bool = False, **options: Any
) -> Environment:
    """A new environment (``options`` as for ``jinja2.Environment``) speaking ``lang``.
    ``sandboxed`` for templates the package did not ship (a province's own files): Jinja's
    sandbox refuses attributes such as ``__globals__`` that lead from a value to Python."""
    extensions = ["jinja2.ext.i18n", *options.pop("extensions", [])]
    kind = SandboxedEnvironment if sandboxed else Environment
    return install(kind(extensions=extensions, **options), lang, tz)
