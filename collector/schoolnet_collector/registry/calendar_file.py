"""The school calendar as people write it: a YAML file (``calendar import``) or the API's PUT
body, checked, stored in place of the old rows, and read back.

The shape is checked by pydantic; what contradicts itself (a day closing before it opens, a
term ending before it starts) separately, so a file names the row and the API answers 409.
When a school is in session is ``registry.calendar``'s business.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from schoolnet_collector.core import yamlfile
from schoolnet_collector.registry.alerting_models import Holiday, SchoolHours, SchoolTerm
from schoolnet_collector.registry.calendar import CalendarRow

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = get_args(Weekday)  # Monday first, as date.weekday() counts
DEFAULT_CALENDAR = "calendar-2026-2027.yaml"


class CalendarFileError(ValueError):
    """The calendar file as a whole cannot be used."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


HOURS_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-3]):[0-5][0-9]$"


class TermIn(_Strict):
    name: str = Field(min_length=1, max_length=200)
    starts: date
    ends: date


class HolidayIn(TermIn):
    name_en: str | None = Field(None, max_length=200)


def parse_hours(value: str) -> tuple[time, time]:
    """``"07:00-17:00"`` → (07:00, 17:00)."""
    opens, closes = (time.fromisoformat(p.strip()) for p in str(value).split("-"))
    return opens, closes


class CalendarIn(_Strict):
    """A calendar as people write it (the file, and the API's PUT body).

    The shape is checked here; what contradicts itself (a day closing before it opens, a term
    ending before it starts) by ``contradictions``, so the file can name the row and the API
    answer 409 rather than refuse a well-formed document as malformed.
    """

    school_year: str | None = Field(None, max_length=20)
    timezone: Literal["Asia/Ho_Chi_Minh"] = "Asia/Ho_Chi_Minh"
    school_hours: dict[Weekday, Annotated[str, Field(pattern=HOURS_PATTERN)]] = Field(
        {}, description='weekday → "opens-closes", local time, e.g. {"mon": "07:00-17:00"}'
    )
    terms: list[TermIn] = []
    holidays: list[HolidayIn] = []


def span_problem(span: TermIn) -> str | None:
    if span.ends < span.starts:
        return f"ends {span.ends} is before starts {span.starts}"
    return None


def hours_problem(value: str) -> str | None:
    opens, closes = parse_hours(value)
    return None if closes > opens else f"{value!r}: closes before it opens"


def contradictions(calendar: CalendarIn) -> list[str]:
    """What in a well-formed calendar cannot be true, one line each."""
    out = [
        f"school_hours.{day}: {p}"
        for day, span in calendar.school_hours.items()
        if (p := hours_problem(span))
    ]
    for key in ("terms", "holidays"):
        out += [
            f"{key}.{i}: {p}"
            for i, item in enumerate(getattr(calendar, key))
            if (p := span_problem(item))
        ]
    return out


@dataclass
class CalendarImport:
    hours: int = 0
    terms: int = 0
    holidays: int = 0
    errors: list[str] = field(default_factory=list)


def read_calendar_file(path: Path | None) -> tuple[CalendarIn, list[str]]:
    """The calendar in a YAML file (default: the packaged one) and the problems of rows left out.

    A wrong term or holiday row is named by its line and left out; the other rows are kept.
    Wrong hours or an unknown top-level key refuse the file (hours half-read would be wrong
    every day).
    """
    if path is None:
        name = DEFAULT_CALENDAR
        text = resources.files("schoolnet_collector.rules").joinpath(name).read_text("utf-8")
    else:
        name = Path(path).name
        try:
            text = Path(path).read_text(encoding="utf-8-sig")
        except OSError as exc:
            raise CalendarFileError(f"{path}: cannot read: {exc.strerror}") from None
        except UnicodeDecodeError:
            raise CalendarFileError(f"{path}: not UTF-8 text") from None
    try:
        data, node = yamlfile.load(text, name)
    except yamlfile.YamlFileError as exc:
        raise CalendarFileError(str(exc)) from None
    if not isinstance(data, dict):
        raise CalendarFileError(f"{name}:1: expected a mapping with school_hours, terms, holidays")
    problems: list[str] = []
    terms = _read_spans(data, node, name, "terms", TermIn, problems)
    holidays = _read_spans(data, node, name, "holidays", HolidayIn, problems)
    try:
        calendar = CalendarIn.model_validate(data)
    except ValidationError as exc:
        raise CalendarFileError("\n".join(yamlfile.describe(exc, node, name))) from None
    wrong = [
        f"{name}:{yamlfile.line_of(node, ['school_hours', day])}: school_hours.{day}: {p}"
        for day, span in calendar.school_hours.items()
        if (p := hours_problem(span))
    ]
    if wrong:
        raise CalendarFileError("\n".join(wrong))
    calendar.terms, calendar.holidays = terms, holidays
    return calendar, problems


Span = TypeVar("Span", bound=TermIn)


def _read_spans(
    data: dict[str, Any],
    node: yaml.Node | None,
    name: str,
    key: str,
    model: type[Span],
    problems: list[str],
) -> list[Span]:
    """Take ``key``'s rows (terms or holidays) out of the file's mapping: the good ones are
    returned, each bad one is named by its line in ``problems`` and left out."""
    items = data.pop(key, None) or []
    if not isinstance(items, list):
        raise CalendarFileError(f"{name}:{yamlfile.line_of(node, [key])}: {key} must be a list")
    rows: list[Span] = []
    for i, item in enumerate(items):
        try:
            row = model.model_validate(item)
        except ValidationError as exc:
            problems += yamlfile.describe(
                exc, yamlfile.child(yamlfile.child(node, key), i), name, (key, i)
            )
            continue
        if problem := span_problem(row):
            problems.append(f"{name}:{yamlfile.line_of(node, [key, i])}: {key}.{i}: {problem}")
            continue
        rows.append(row)
    return rows


def store_calendar(session: Session, calendar: CalendarIn, school_id: str | None) -> CalendarImport:
    """Replace the calendar of ``school_id`` (None: the province's) with ``calendar``; no commit."""
    for table in (SchoolHours, SchoolTerm, Holiday):
        session.execute(
            delete(table).where(
                table.school_id.is_(None) if school_id is None else table.school_id == school_id
            )
        )
    result = CalendarImport()
    for day, span in calendar.school_hours.items():
        opens, closes = parse_hours(span)
        session.add(
            SchoolHours(
                school_id=school_id, weekday=WEEKDAYS.index(day), opens=opens, closes=closes
            )
        )
        result.hours += 1
    for term in calendar.terms:
        session.add(
            SchoolTerm(
                school_id=school_id, name=term.name, starts_on=term.starts, ends_on=term.ends
            )
        )
        result.terms += 1
    for h in calendar.holidays:
        session.add(
            Holiday(
                school_id=school_id,
                name=h.name,
                name_en=h.name_en,
                starts_on=h.starts,
                ends_on=h.ends,
            )
        )
        result.holidays += 1
    return result


def import_calendar(
    session: Session, path: Path | None, school_id: str | None = None
) -> CalendarImport:
    calendar, problems = read_calendar_file(path)
    result = store_calendar(session, calendar, school_id)
    result.errors = problems
    session.commit()
    return result


def ensure_default_calendar(session: Session) -> bool:
    """Load the packaged calendar when the province has none yet; True if it did."""
    if session.scalar(select(SchoolHours.id).where(SchoolHours.school_id.is_(None)).limit(1)):
        return False
    if session.scalar(select(SchoolTerm.id).where(SchoolTerm.school_id.is_(None)).limit(1)):
        return False
    import_calendar(session, None)
    return True


def calendar_of(session: Session, school_id: str | None) -> CalendarIn:
    """The rows stored for one school (or the province) as a ``CalendarIn`` (the API's GET)."""

    def rows(table: type[CalendarRow]) -> list[CalendarRow]:
        cond = table.school_id.is_(None) if school_id is None else table.school_id == school_id
        return list(session.scalars(select(table).where(cond).order_by(table.id)))

    return CalendarIn(
        school_hours={
            WEEKDAYS[h.weekday]: f"{h.opens:%H:%M}-{h.closes:%H:%M}" for h in rows(SchoolHours)
        },
        terms=[TermIn(name=t.name, starts=t.starts_on, ends=t.ends_on) for t in rows(SchoolTerm)],
        holidays=[
            HolidayIn(name=h.name, name_en=h.name_en, starts=h.starts_on, ends=h.ends_on)
            for h in rows(Holiday)
        ],
    )
