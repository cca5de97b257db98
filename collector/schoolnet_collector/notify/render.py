"""Messages from template files: ``templates/<language>/<rule>.<transition>.j2``.

A template's first line is the subject (≤ 80 characters, so it fits a phone's notification),
then a blank line, then the body: the form of an email, readable and editable by whoever
runs the province's service without knowing Python. Lookup falls back from the rule's own
template to ``default.<transition>``; a reminder or an escalation reuses the ``opened`` text
under a prefix ("Nhắc lại: ", "Chưa xử lý: "). Vietnamese unless the contact chose English.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import (
    Environment,
    FileSystemLoader,
    TemplateError,
    TemplateNotFound,
    TemplateSyntaxError,
)

from schoolnet_collector.notify.channels import Message
from schoolnet_collector.registry.alerting_models import Incident
from schoolnet_collector.registry.devices import utc
from schoolnet_collector.registry.models import School

TEMPLATES = Path(__file__).resolve().parent / "templates"
SUBJECT_MAX = 80

WORDS = {
    "vi": {
        "repeat": "Nhắc lại: ",
        "escalated": "Chưa xử lý: ",
        "info": "thông tin",
        "warning": "cảnh báo",
        "critical": "nghiêm trọng",
        "h": "giờ",
        "min": "phút",
        "day": "ngày",
    },
    "en": {
        "repeat": "Reminder: ",
        "escalated": "Unacknowledged: ",
        "info": "info",
        "warning": "warning",
        "critical": "critical",
        "h": "h",
        "min": "min",
        "day": "d",
    },
}


class TemplateProblem(ValueError):
    """A template file cannot be used; the message names the file and line."""


class Renderer:
    def __init__(self, timezone: str = "Asia/Ho_Chi_Minh", own_dir: Path | None = None) -> None:
        self.tz = ZoneInfo(timezone)
        search = ([str(own_dir)] if own_dir else []) + [str(TEMPLATES)]  # the province's own first
        self.env = Environment(
            loader=FileSystemLoader(search),
            autoescape=False,
            trim_blocks=True,
            keep_trailing_newline=False,
        )

    def local(self, when: datetime | None, short: bool = False) -> str:
        if when is None:
            return "?"
        when = utc(when).astimezone(self.tz)
        return when.strftime("%H:%M" if short else "%H:%M %d/%m/%Y")

    def duration(self, delta: timedelta, language: str) -> str:
        w = WORDS[language]
        minutes = max(0, int(delta.total_seconds() // 60))
        days, rest = divmod(minutes, 1440)
        hours, minutes = divmod(rest, 60)
        parts = ([f"{days} {w['day']}"] if days else []) + ([f"{hours} {w['h']}"] if hours else [])
        return (
            " ".join([*parts, f"{minutes} {w['min']}"]) if minutes or not parts else " ".join(parts)
        )

    def render(
        self,
        names: list[str],
        language: str,
        context: dict[str, object],
        dedup_key: str = "",
        event: dict[str, object] | None = None,
    ) -> Message:
        language = language if language in WORDS else "vi"
        template = None
        for lang in dict.fromkeys((language, "vi")):
            for name in names:
                try:
                    template = self.env.get_template(f"{lang}/{name}.j2")
                    break
                except TemplateNotFound:
                    continue
                except TemplateSyntaxError as exc:
                    raise TemplateProblem(f"{lang}/{name}.j2:{exc.lineno}: {exc.message}") from None
            if template is not None:
                break
        if template is None:
            raise TemplateProblem(f"no template among {names} for language {language}")
        try:
            text = template.render(**context).strip()
        except TemplateError as exc:
            raise TemplateProblem(f"{template.name}: {exc}") from None
        subject, _, body = text.partition("\n")
        subject = " ".join(subject.split())
        if len(subject) > SUBJECT_MAX:
            subject = subject[: SUBJECT_MAX - 1].rstrip() + "…"
        return Message(
            subject=subject, body=body.strip() + "\n", event=event or {}, dedup_key=dedup_key
        )

    def incident(
        self,
        incident: Incident,
        school: School | None,
        transition: str,
        language: str,
        now: datetime,
        dedup_key: str = "",
    ) -> Message:
        language = language if language in WORDS else "vi"
        w = WORDS[language]
        base = "opened" if transition in ("repeat", "escalated") else transition
        names = [
            f"{incident.rule}.{transition}",
            f"default.{transition}",
            f"{incident.rule}.{base}",
            f"default.{base}",
        ]
        end = utc(incident.resolved_at) or now
        context = {
            "school": school,
            "incident": incident,
            "transition": transition,
            # The evaluator writes the summary in both languages into details.
            "summary": (incident.details or {}).get(f"summary_{language}") or incident.summary,
            "prefix": w.get(transition, "") if transition in ("repeat", "escalated") else "",
            "since": self.local(incident.opened_at),
            "since_short": self.local(incident.opened_at, True),
            "resolved": self.local(incident.resolved_at or now),
            "duration": self.duration(end - utc(incident.opened_at), language),
            "severity": w.get(incident.severity, incident.severity),
        }
        event = {
            "event": "incident",
            "transition": transition,
            "incident_id": incident.id,
            "rule": incident.rule,
            "key": incident.key,
            "school": incident.school_id,
            "school_name": getattr(school, "name", None),
            "device": incident.device_id,
            "severity": incident.severity,
            "state": incident.state,
            "summary": incident.summary,
            "opened_at": utc(incident.opened_at).isoformat(),
            "resolved_at": utc(incident.resolved_at).isoformat() if incident.resolved_at else None,
        }
        return self.render(names, language, context, dedup_key, event)
