"""The pages' words that come from data (device kinds, severities, incident states, school
levels), the language cookie, and one Jinja environment per language.

The words themselves are in the collector's catalogue (``schoolnet_collector.i18n``); the
templates mark their own text with ``{% trans %}``. The tables here are lazy (``NP_``) and
translated per page, so a template still looks a code up with ``kinds.get(d.kind, d.kind)``.
"""

from __future__ import annotations

import functools
from datetime import datetime, timezone
from pathlib import Path

from fastapi.templating import Jinja2Templates
from jinja2 import FileSystemLoader

from schoolnet_collector import i18n
from schoolnet_collector.i18n import NP_, Text
from schoolnet_collector.planning.labels import LEVELS
from schoolnet_collector.registry.units import MANAGING_BODY_LABELS

LANGUAGES = i18n.LANGUAGES
DEFAULT_LANGUAGE = i18n.DEFAULT_LANGUAGE
LANGUAGE_NAMES = i18n.LANGUAGE_NAMES
LANG_COOKIE = "schoolnet_lang"
TEMPLATES = Path(__file__).resolve().parent / "templates"

KINDS = {
    "gateway": NP_("device kind", "Gateway"),
    "lab_pc": NP_("device kind", "Lab PC"),
    "admin_pc": NP_("device kind", "Office PC"),
    "teacher_pc": NP_("device kind", "Teacher PC"),
    "projector": NP_("device kind", "Projector"),
    "board": NP_("device kind", "Interactive board"),
    "printer": NP_("device kind", "Printer"),
    "camera": NP_("device kind", "Camera"),
    "router": NP_("device kind", "Router"),
    "other": NP_("device kind", "Other"),
    "unknown": NP_("device kind", "Unknown"),
}
SEVERITIES = {
    "info": NP_("severity", "Info"),
    "warning": NP_("severity", "Warning"),
    "critical": NP_("severity", "Critical"),
}
STATES = {
    "open": NP_("incident state", "Open"),
    "acknowledged": NP_("incident state", "Acknowledged"),
    "resolved": NP_("incident state", "Resolved"),
}


def table(words: dict[str, Text], lang: str) -> dict[str, str]:
    return {code: text.translate(lang) for code, text in words.items()}


def page_words(lang: str) -> dict[str, dict[str, str]]:
    """The code → word tables a template reads, in ``lang``."""
    return {
        "levels": table(LEVELS, lang),
        "bodies": table(MANAGING_BODY_LABELS, lang),
        "kinds": table(KINDS, lang),
        "severities": table(SEVERITIES, lang),
        "states": table(STATES, lang),
    }


def share(part: float | None, whole: float | None, lang: str) -> str:
    """``part`` of ``whole`` as a percentage; "–" when there is no whole to be a share of."""
    return i18n.format_percent(part / whole, lang, 1) if part is not None and whole else "–"


def from_epoch_ms(epoch_ms: int) -> datetime:
    """InfluxDB's epoch milliseconds as an aware time (the ``datetime`` filter shows it local)."""
    return datetime.fromtimestamp(epoch_ms / 1000, timezone.utc)


@functools.cache
def templates(lang: str) -> Jinja2Templates:
    """The pages' templates speaking ``lang`` (one environment each: they are shared by
    every request in that language)."""
    env = i18n.jinja.environment(lang, loader=FileSystemLoader(TEMPLATES), autoescape=True)
    env.filters["share"] = lambda part, whole: share(part, whole, lang)
    env.filters["from_epoch_ms"] = from_epoch_ms
    return Jinja2Templates(env=env)
