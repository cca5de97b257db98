"""``/status`` in Telegram: a registered chat asks, the bot answers with the school's state now.

Updates come by ``getUpdates`` long-poll against the configured API base (Telegram allows one
poller per bot, so with several collectors only one has ``notify.telegram.poll_updates``).
A school IT teacher's chat gets their school; commune office and Sở staff name one:
``/status lc-0123``. A chat nobody registered is told its chat id, which is what the staff
enter as the contact's ``telegram_chat_id``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from schoolnet_collector.channels import DeliveryError
from schoolnet_collector.channels.telegram import TelegramApi
from schoolnet_collector.core.access import Scope
from schoolnet_collector.i18n import LANGUAGES, N_, NP_, gettext, language
from schoolnet_collector.notify import actions
from schoolnet_collector.notify.actions import Act
from schoolnet_collector.notify.render import Renderer
from schoolnet_collector.registry.alerting_models import (
    Contact,
    ContactAddress,
    DeviceReading,
    Incident,
)
from schoolnet_collector.registry.devices import is_online, school_devices
from schoolnet_collector.registry.models import School
from schoolnet_collector.registry.units import scope_filter

log = logging.getLogger("schoolnet.notify")

WORDS = {
    "online": NP_("status reply", "online"),
    "offline": NP_("status reply", "offline"),
    "none": NP_("status reply", "none"),
    "up": NP_("status reply", "up"),
    "down": NP_("status reply", "down"),
    "unknown": NP_("status reply", "unknown"),
}


def no_school(lang: str, school: str) -> str:
    return gettext(lang, "No school %(school)s within your scope.", school=school)


def unknown_chat(lang: str, chat: str) -> str:
    return gettext(
        lang,
        "This chat is not registered with schoolnet (chat id %(chat)s). "
        "Send this id to the province or commune IT staff.",
        chat=chat,
    )


DONE = {
    "acknowledge": N_("Acknowledged: %(summary)s. Reminders and escalation stop."),
    "resolve": N_("Marked as fixed: %(summary)s."),
}


class StatusResponder:
    def __init__(
        self,
        api: TelegramApi,
        sessions: sessionmaker[Session],
        renderer: Renderer,
        offline_after_intervals: float = 3.0,
        clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
        act: Act | None = None,
    ) -> None:
        self.api, self.sessions, self.renderer = api, sessions, renderer
        self.offline_after = offline_after_intervals
        self.clock = clock
        self.act = act  # None: buttons and "OK" replies are not acted on (no buttons are sent)
        self.offset: int | None = None

    def poll_once(self, timeout: int = 25) -> int:
        """One ``getUpdates`` round; returns how many updates were handled."""
        params: dict[str, object] = {
            "timeout": timeout,
            "allowed_updates": ["message", "callback_query"],
        }
        if self.offset is not None:
            params["offset"] = self.offset
        updates = self.api.call("getUpdates", params, timeout=timeout + 10) or []
        for update in updates:
            self.offset = max(self.offset or 0, int(update.get("update_id", 0)) + 1)
            try:
                self.handle(update)
            except DeliveryError as exc:
                log.warning("Telegram /status reply failed: %s", exc)
        return len(updates)

    def handle(self, update: dict[str, Any]) -> str | None:
        """Answer one update of ``getUpdates`` (the Bot API's JSON): a /status, a tap on a
        page's button, or an "OK" reply (``notify.actions``)."""
        if isinstance(update.get("callback_query"), dict):
            return self.on_button(update["callback_query"])
        message = update.get("message") or {}
        text = (message.get("text") or "").strip() if isinstance(message, dict) else ""
        chat = (message.get("chat") or {}).get("id") if isinstance(message, dict) else None
        if chat is not None and self.act is not None and actions.is_ack_reply(text):
            reply = self.on_ack_reply(str(chat))
            self.api.call("sendMessage", {"chat_id": chat, "text": reply})
            return reply
        if chat is None or not text.startswith("/status"):
            return None
        command, *args = text.split()
        if command.split("@")[0] != "/status":
            return None
        reply = self.reply_for(str(chat), args[0] if args else None)
        self.api.call("sendMessage", {"chat_id": chat, "text": reply})
        return reply

    def on_button(self, query: dict[str, Any]) -> str | None:
        """A tap on "I'm on it" / "Fixed": acts if this chat was paged about the incident,
        and answers the tap (Telegram shows the text on the phone) either way."""
        asked = actions.parse_callback(query.get("data"))
        chat = ((query.get("message") or {}).get("chat") or {}).get("id")
        if asked is None or chat is None or self.act is None:
            return None
        action, incident_id = asked
        with self.sessions() as session:
            contact = actions.paged_contact(session, incident_id, str(chat))
            lang = language(contact.language if contact else None)
            if contact is None:
                text = gettext(lang, "This alert was not sent to this chat.")
            else:
                text = self._act(session, incident_id, action, contact, lang)
        self.api.call("answerCallbackQuery", {"callback_query_id": query.get("id"), "text": text})
        return text

    def on_ack_reply(self, chat: str) -> str:
        """ "OK" / "đã nhận": acknowledge the newest open incident paged to this chat."""
        assert self.act is not None  # checked by the caller
        with self.sessions() as session:
            found = actions.newest_paged(session, chat, self.clock())
            if found is None:
                return " / ".join(
                    gettext(lang, "No open alert was sent to this chat today.")
                    for lang in LANGUAGES
                )
            incident, contact = found
            return self._act(
                session, incident.id, "acknowledge", contact, language(contact.language)
            )

    def _act(
        self, session: Session, incident_id: int, action: str, contact: Contact, lang: str
    ) -> str:
        assert self.act is not None  # checked by the callers
        try:
            incident = self.act(
                session,
                incident_id,
                action,
                actor=actions.actor(contact, "telegram"),
                note=None,
                now=self.clock(),
            )
        except ValueError:  # IncidentStateError: someone was quicker, or it came back
            return gettext(lang, "This alert is already acknowledged or resolved.")
        log.info("incident %s: %s from Telegram by contact %s", incident_id, action, contact.id)
        return DONE[action].translate(lang, summary=incident.summary_text(lang))

    def reply_for(self, chat: str, asked: str | None) -> str:
        with self.sessions() as session:
            contacts = list(
                session.scalars(
                    select(Contact)
                    .where(
                        Contact.addresses.any(
                            (ContactAddress.channel == "telegram")
                            & (ContactAddress.address == chat)
                        ),
                        Contact.active.is_(True),
                    )
                    .order_by(Contact.id)
                )
            )
            if not contacts:
                return " / ".join(unknown_chat(lang, chat) for lang in LANGUAGES)
            contact = contacts[0]
            lang = language(contact.language)
            allowed = self._scope(session, contacts)
            school_id = asked or (next(iter(allowed)) if len(allowed) == 1 else None)
            if school_id is None:
                example = next(iter(allowed), "lc-0001")
                return gettext(
                    lang, "Send /status <school id>, e.g. /status %(example)s.", example=example
                )
            if school_id not in allowed and not any(c.role == "province" for c in contacts):
                return no_school(lang, school_id)
            school = session.get(School, school_id)
            if school is None:
                return no_school(lang, school_id)
            return self.status_text(session, school, lang)

    def _scope(self, session: Session, contacts: list[Contact]) -> set[str]:
        schools: set[str] = set()
        for c in contacts:
            if c.role == "school_it" and c.school_id:
                schools.add(c.school_id)
            elif c.role == "commune" and c.commune:
                schools.update(
                    session.scalars(
                        select(School.id).where(scope_filter(Scope("commune", c.commune)))
                    )
                )
        return schools

    def status_text(self, session: Session, school: School, lang: str) -> str:
        words, now = {k: w.translate(lang) for k, w in WORDS.items()}, self.clock()
        devices = school_devices(session, school.id)
        online = [d for d in devices if is_online(d, now, self.offline_after)]
        gateways = [d for d in devices if d.kind == "gateway"]
        gateway = (
            words["none"]
            if not gateways
            else words["online"]
            if any(g in online for g in gateways)
            else words["offline"]
        )
        readings = {
            r.name: r
            for r in session.scalars(
                select(DeviceReading).where(
                    DeviceReading.school_id == school.id, DeviceReading.name.like("uplink.%")
                )
            )
        }
        up = readings.get("uplink.up")
        kind = readings.get("uplink.type")
        uplink = (
            words["unknown"]
            if up is None or up.value is None
            else (words["up"] if up.value else words["down"])
        )
        if kind is not None and kind.text_value:
            uplink += f" ({kind.text_value})"
        incidents = [
            {
                "id": i.id,
                "summary": i.summary_text(lang),
                "state": i.state,
                "since": self.renderer.local(i.opened_at, lang),
            }
            for i in session.scalars(
                select(Incident)
                .where(Incident.school_id == school.id, Incident.state != "resolved")
                .order_by(Incident.opened_at)
            )
        ]
        msg = self.renderer.render(
            ["status"],
            lang,
            {
                "school": school,
                "now": self.renderer.local(now, lang),
                "gateway": gateway,
                "uplink": uplink,
                "online": len(online),
                "total": len(devices),
                "incidents": incidents,
            },
        )
        return f"{msg.subject}\n\n{msg.body}".strip()
