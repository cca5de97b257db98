"""Acting on an incident from the message itself: "I'm on it" (acknowledge) and "Fixed" (resolve).

A teacher reads the page on a phone; without this the only way to say "I'm on it" was the
API, so escalation fired while someone was already working. Two ways, one per channel that
can carry them:

- **E-mail: signed links.** ``<base_url>/act/<token>``; the token names the incident, the
  contact it was sent to, the action, a random id and an expiry, and is signed with HMAC-SHA256
  under ``[notify.actions] secret``. Opening the link shows a confirm page and changes nothing:
  mail scanners and link previews fetch links, and must not acknowledge anything. The page's
  button (a POST with the page's CSRF token) acts, once: the link's id is recorded
  (``UsedActionLink``) in the same transaction. A link for another incident, a changed token,
  an expired or used one is refused, and the page says which.
- **Telegram: buttons.** Inline buttons with callback data ``ack:<incident id>`` and
  ``res:<incident id>`` (64 bytes at most, so no signature fits); the chat is the credential:
  a button acts only for a chat the incident's page was sent to. A reply "OK" / "đã nhận"
  acknowledges the newest open incident paged to that chat in the last day.

Every act is an incident event whose actor says who and through which channel ("Cô Lan
(email)"), and acknowledging stops reminders and escalation as an API acknowledgement does.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from schoolnet_collector.channels import Action
from schoolnet_collector.core.config import ActionsConfig
from schoolnet_collector.i18n import NP_
from schoolnet_collector.notify.outbox import Notification
from schoolnet_collector.registry.alerting_models import Contact, ContactAddress, Incident

LABELS = {
    "acknowledge": NP_("message action", "I'm on it"),
    "resolve": NP_("message action", "Fixed"),
}
CODES = {"acknowledge": "ack", "resolve": "res"}
ACTIONS = {code: action for action, code in CODES.items()}
ACK_WORDS = frozenset({"ok", "okay", "đã nhận", "da nhan", "nhận", "nhan", "đã nhận ạ", "roger"})
"""Replies that acknowledge in Telegram (compared lower-cased, trimmed, without a final "!"/".")."""
REPLY_WINDOW = timedelta(days=1)
_TOKEN_RE = re.compile(r"\A[A-Za-z0-9_-]{16,200}\.[A-Za-z0-9_-]{43}\Z")
_PAYLOAD_RE = re.compile(
    r"\A([0-9a-f]{32})\.([0-9]{1,18})\.([0-9]{1,18})\.(ack|res)\.([0-9]{1,12})\Z"
)


class Act(Protocol):
    """``alerting.incidents.act``, handed to the notify worker by the runtime (notify sits
    beneath alerting, so it is given the transitions rather than importing them); it raises
    ``ValueError`` (IncidentStateError) when the incident is no longer in a state to act on."""

    def __call__(
        self,
        session: Session,
        incident_id: int,
        action: str,
        *,
        actor: str,
        note: str | None,
        now: datetime,
    ) -> Incident: ...


class LinkError(Exception):
    """A link that cannot act; ``reason`` is one of ``invalid``, ``expired``, ``used``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class LinkClaim:
    jti: str
    incident_id: int
    contact_id: int
    action: str  # acknowledge | resolve
    expires: datetime


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: str, payload: str) -> str:
    return _b64(hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest())


def sign(secret: str, incident_id: int, contact_id: int, action: str, expires: datetime) -> str:
    payload = ".".join(
        (
            secrets.token_hex(16),
            str(incident_id),
            str(contact_id),
            CODES[action],
            str(int(expires.timestamp())),
        )
    )
    return f"{_b64(payload.encode())}.{_mac(secret, payload)}"


def verify(secret: str, token: str, now: datetime) -> LinkClaim:
    """The claim of a well-signed, unexpired token; LinkError otherwise (used: the caller's
    check, against the registry)."""
    if not _TOKEN_RE.match(token):
        raise LinkError("invalid")
    encoded, mac = token.split(".")
    try:
        payload = _unb64(encoded).decode("ascii")
    except (ValueError, UnicodeDecodeError):
        raise LinkError("invalid") from None
    if not hmac.compare_digest(mac, _mac(secret, payload)):
        raise LinkError("invalid")
    found = _PAYLOAD_RE.match(payload)
    if not found:
        raise LinkError("invalid")
    jti, incident, contact, code, expires = found.groups()
    when = datetime.fromtimestamp(int(expires), timezone.utc)
    if when <= now:
        raise LinkError("expired")
    return LinkClaim(jti, int(incident), int(contact), ACTIONS[code], when)


def links(
    cfg: ActionsConfig, incident_id: int, contact_id: int, now: datetime, lang: str
) -> tuple[Action, ...]:
    """The e-mail's links, or none when the pages' address or the key is not configured."""
    if not cfg.base_url or cfg.secret is None:
        return ()
    secret, expires = cfg.secret.get_secret_value(), now + timedelta(hours=cfg.link_hours)
    base = cfg.base_url.rstrip("/")
    return tuple(
        Action(
            action,
            LABELS[action].translate(lang),
            url=f"{base}/act/{sign(secret, incident_id, contact_id, action, expires)}",
        )
        for action in CODES
    )


def buttons(incident_id: int, lang: str) -> tuple[Action, ...]:
    """A Telegram page's buttons."""
    return tuple(
        Action(action, LABELS[action].translate(lang), callback=f"{code}:{incident_id}")
        for action, code in CODES.items()
    )


def parse_callback(data: object) -> tuple[str, int] | None:
    """``("acknowledge", 42)`` for ``"ack:42"``; None for anything else."""
    if not isinstance(data, str):
        return None
    found = re.fullmatch(r"(ack|res):([0-9]{1,18})", data)
    return (ACTIONS[found.group(1)], int(found.group(2))) if found else None


def is_ack_reply(text: str) -> bool:
    return text.strip().rstrip("!.").strip().lower() in ACK_WORDS


def paged_contact(session: Session, incident_id: int, chat: str) -> Contact | None:
    """The active contact on Telegram chat ``chat`` whom this incident's page reached."""
    return session.scalar(
        select(Contact)
        .join(Notification, Notification.contact_id == Contact.id)
        .where(
            Notification.incident_id == incident_id,
            Notification.channel == "telegram",
            Notification.address == chat,
            Notification.state == "sent",
            Contact.active.is_(True),
            Contact.addresses.any(
                (ContactAddress.channel == "telegram") & (ContactAddress.address == chat)
            ),
        )
        .limit(1)
    )


def newest_paged(session: Session, chat: str, now: datetime) -> tuple[Incident, Contact] | None:
    """The newest open incident whose page reached chat ``chat`` within ``REPLY_WINDOW``."""
    row = session.execute(
        select(Incident, Contact)
        .join(Notification, Notification.incident_id == Incident.id)
        .join(Contact, Contact.id == Notification.contact_id)
        .where(
            Incident.state == "open",
            Notification.channel == "telegram",
            Notification.address == chat,
            Notification.state == "sent",
            Notification.sent_at >= now - REPLY_WINDOW,
            Contact.active.is_(True),
        )
        .order_by(Notification.sent_at.desc(), Incident.id.desc())
        .limit(1)
    ).first()
    return (row[0], row[1]) if row else None


def actor(contact: Contact, channel: str) -> str:
    """Who acted and how, as the incident's timeline shows it."""
    return f"{contact.name} ({channel})"[:200]
