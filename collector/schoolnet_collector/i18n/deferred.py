"""A message decided now and written later: a message id with named arguments, kept as JSON.

Text that is stored (an incident's summary, a device's replacement reasons) must not be
frozen in the language of the moment it was decided: the teacher reads Vietnamese, the
partner English, and a wording fixed in the catalogue should show on old rows too. So what is
kept is the message id and its arguments, and the words are chosen when the text is shown or
sent, in the reader's language, with the arguments written in that language's formats.

JSON form (``to_json``): ``{"id": msgid, "context": msgctxt or null, "args": {...}}``, each
argument a JSON string or number, or a tagged object for what JSON has no type for::

    {"num": 1.0, "digits": 1}   {"pct": 0.93, "digits": 0}   {"vnd": 14000000}
    {"datetime": "2026-11-16T01:00:00+00:00"}   {"date": "2026-11-16"}   {"seconds": 5400}
    {"text": "Projector", "context": "device kind"}   {"message": {...}}  (a nested Deferred)

A stored id is a contract with every row that holds it: to reword a message, change its
translations (the ``en`` catalogue too: an English msgid is still only an id), not the id.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from schoolnet_collector.i18n.catalogue import translations
from schoolnet_collector.i18n.formats import LOCAL_TZ, Num, Pct, Vnd
from schoolnet_collector.i18n.text import Text, fill


@dataclass(frozen=True)
class Deferred:
    message: str
    context: str | None = None
    args: Mapping[str, object] = field(default_factory=dict)

    def render(self, lang: str, tz: tzinfo = LOCAL_TZ) -> str:
        """The message in ``lang``. A stored row that no longer fits its message (an argument
        missing, a translation with a broken placeholder) is shown untranslated, or as its
        bare id, rather than failing the page or the e-mail that shows it."""
        t = translations(lang)
        text = str(
            t.pgettext(self.context, self.message) if self.context else t.gettext(self.message)
        )
        args = {
            k: v.render(lang, tz) if isinstance(v, Deferred) else v for k, v in self.args.items()
        }
        for candidate in (text, self.message):
            try:
                return fill(candidate, lang, args, tz)
            except (KeyError, ValueError, TypeError, ArithmeticError):  # Babel: InvalidOperation
                continue
        return self.message

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.message,
            "context": self.context,
            "args": {k: _encode(v) for k, v in self.args.items()},
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Deferred:
        args = {k: _decode(v) for k, v in (data.get("args") or {}).items()}
        return cls(str(data["id"]), data.get("context"), args)


def deferred(message: str, /, **args: object) -> Deferred:
    """``Deferred(message, args=...)`` in the shape of a gettext call, so extraction finds it."""
    return Deferred(message, None, args)


def pdeferred(context: str, message: str, /, **args: object) -> Deferred:
    return Deferred(message, context, args)


def render_stored(data: Mapping[str, Any], lang: str, tz: tzinfo = LOCAL_TZ) -> str:
    """A message kept as JSON (``Deferred.to_json``) written in ``lang``."""
    return Deferred.from_json(data).render(lang, tz)


def _encode(value: object) -> object:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, Num):
        return {"num": value.value, "digits": value.digits}
    if isinstance(value, Pct):
        return {"pct": value.ratio, "digits": value.digits}
    if isinstance(value, Vnd):
        return {"vnd": value.amount}
    if isinstance(value, datetime):
        return {"datetime": value.isoformat()}
    if isinstance(value, date):
        return {"date": value.isoformat()}
    if isinstance(value, timedelta):
        return {"seconds": value.total_seconds()}
    if isinstance(value, Text):
        return {"text": value.message, "context": value.context}
    if isinstance(value, Deferred):
        return {"message": value.to_json()}
    raise TypeError(f"a stored message argument cannot be a {type(value).__name__}")


def _decode(value: Any) -> object:
    if not isinstance(value, dict):
        return value
    if "num" in value:
        return Num(value["num"], value.get("digits"))
    if "pct" in value:
        return Pct(value["pct"], value.get("digits", 0))
    if "vnd" in value:
        return Vnd(value["vnd"])
    if "datetime" in value:
        return datetime.fromisoformat(value["datetime"])
    if "date" in value:
        return date.fromisoformat(value["date"])
    if "seconds" in value:
        return timedelta(seconds=value["seconds"])
    if "text" in value:
        return Text(value["text"], value.get("context"))
    if "message" in value:
        return Deferred.from_json(value["message"])
    raise ValueError(f"unknown stored message argument {value!r}")
