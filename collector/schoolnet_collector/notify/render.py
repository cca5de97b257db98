"""Messages from template files: ``templates/<rule>.<transition>.j2``, in the reader's language.

A template's first line is the subject (≤ 80 characters, so it fits a phone's notification),
then a blank line, then the body: the form of an email, readable and editable by whoever
runs the province's service without knowing Python. The packaged templates write their words
as ``{% trans %}`` messages of the collector's catalogue (``schoolnet_collector.i18n``), so
one file serves both languages; an environment per language fills them in and formats times
and numbers for it. Lookup falls back from the rule's own template to
``default.<transition>``; a reminder or an escalation reuses the ``opened`` text under a
prefix ("Nhắc lại: ", "Chưa xử lý: "). Vietnamese unless the contact chose English.

A province's ``notify.templates_dir`` is searched first, as ``<language>/<name>.j2`` (its own
words in one language, the form these files always had) and then ``<name>.j2`` (one file for
both languages, with ``{% trans %}``); what it does not have comes from the package.
Whitespace: the environment trims the newline after a block tag, so a line that ends with
``{% endtrans %}`` ends with ``{% endtrans +%}`` to keep its newline.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import (
    Environment,
    FileSystemLoader,
    Template,
    TemplateError,
    TemplateNotFound,
    TemplateSyntaxError,
)

from schoolnet_collector import i18n
from schoolnet_collector.channels import Message
from schoolnet_collector.i18n import N_, NP_
from schoolnet_collector.registry.alerting_models import Incident
from schoolnet_collector.registry.devices import utc
from schoolnet_collector.registry.models import School

TEMPLATES = Path(__file__).resolve().parent / "templates"
SUBJECT_MAX = 80

PREFIXES = {"repeat": N_("Reminder:"), "escalated": N_("Unacknowledged:")}
SEVERITIES = {
    "info": NP_("severity in a sentence", "info"),
    "warning": NP_("severity in a sentence", "warning"),
    "critical": NP_("severity in a sentence", "critical"),
}


class TemplateProblem(ValueError):
    """A template file cannot be used; the message names the file and line."""


class Renderer:
    def __init__(self, timezone: str = "Asia/Ho_Chi_Minh", own_dir: Path | None = None) -> None:
        self.tz = ZoneInfo(timezone)
        self.search = ([str(own_dir)] if own_dir else []) + [str(TEMPLATES)]  # the province's first
        self._envs: dict[str, Environment] = {}

    def env(self, language: str) -> Environment:
        """The templates' environment for ``language`` (made once: templates are compiled
        per environment)."""
        language = i18n.language(language)
        env = self._envs.get(language)
        if env is None:
            env = self._envs[language] = i18n.jinja.environment(
                language,
                self.tz,
                loader=FileSystemLoader(self.search),
                sandboxed=True,  # templates_dir is the province's: sandboxed (i18n.jinja)
                autoescape=False,
                trim_blocks=True,  # as [tool.babel] extracts notify/templates
                keep_trailing_newline=False,
            )
        return env

    def local(self, when: datetime | None, language: str, short: bool = False) -> str:
        """A time as the contact's language writes it in the province's zone: "08:00" short,
        else with the date."""
        if short:
            return i18n.format_time(utc(when), language, self.tz)
        return i18n.format_datetime(utc(when), language, self.tz)

    def duration(self, delta: timedelta, language: str) -> str:
        return i18n.format_duration(delta, language)

    def template(self, names: list[str], language: str) -> Template:
        """The first of ``names`` found: the province's own file in this language, then one
        for every language (the province's, then the package's)."""
        env = self.env(language)
        for name in names:
            for candidate in (f"{language}/{name}.j2", f"{name}.j2"):
                try:
                    return env.get_template(candidate)
                except TemplateNotFound:
                    continue
                except TemplateSyntaxError as exc:
                    raise TemplateProblem(f"{candidate}:{exc.lineno}: {exc.message}") from None
        raise TemplateProblem(f"no template among {names} for language {language}")

    def render(
        self,
        names: list[str],
        language: str,
        context: dict[str, object],
        dedup_key: str = "",
        event: dict[str, object] | None = None,
    ) -> Message:
        language = i18n.language(language)
        template = self.template(names, language)
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
        language = i18n.language(language)
        base = "opened" if transition in ("repeat", "escalated") else transition
        names = [
            f"{incident.rule}.{transition}",
            f"default.{transition}",
            f"{incident.rule}.{base}",
            f"default.{base}",
        ]
        end = utc(incident.resolved_at) or now
        context: dict[str, object] = {
            "school": school,
            "incident": incident,
            "transition": transition,
            "summary": incident.summary_text(language),
            "prefix": PREFIXES[transition].translate(language) + " "
            if transition in PREFIXES
            else "",
            "since": self.local(incident.opened_at, language),
            "since_short": self.local(incident.opened_at, language, True),
            "resolved": self.local(incident.resolved_at or now, language),
            "duration": self.duration(end - utc(incident.opened_at), language),
            "severity": SEVERITIES[incident.severity].translate(language)
            if incident.severity in SEVERITIES
            else incident.severity,
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
            "summary": incident.summary_text(language),
            "summary_id": incident.summary_id,
            "opened_at": utc(incident.opened_at).isoformat(),
            "resolved_at": utc(incident.resolved_at).isoformat() if incident.resolved_at else None,
        }
        return self.render(names, language, context, dedup_key, event)
