"""Email over SMTP (smtplib): STARTTLS on 587, implicit TLS on 465, or plain for a local relay.

A new connection per message: alerts are rare, and a long-lived connection to a provincial
mail server would be dropped by it between alerts anyway.
"""

from __future__ import annotations

import re
import smtplib
import ssl
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import formatdate
from pathlib import Path
from typing import Literal

from pydantic import Field

from schoolnet_collector.channels.base import (
    AddressRule,
    ChannelSettings,
    ChannelUnit,
    DeliveryError,
    Message,
)

UNFOLDED = SMTP_POLICY.clone(max_line_length=998)
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class SmtpConfig(ChannelSettings):
    """``[notify.smtp]``: the province's mail server."""

    host: str | None = Field(None, description="None: no email")
    port: int = Field(587, ge=1, le=65535)
    security: Literal["starttls", "ssl", "none"] = "starttls"
    username: str | None = None
    password: str | None = None
    sender: str = Field("schoolnet <schoolnet@localhost>", min_length=3)
    ca_file: Path | None = Field(
        None, description="CA bundle for a private SMTP server's certificate"
    )
    timeout: float = Field(15.0, gt=0, le=300)


class SmtpChannel:
    name = "email"

    def __init__(self, cfg: SmtpConfig):
        self.cfg = cfg

    def _tls(self) -> ssl.SSLContext:
        return ssl.create_default_context(
            cafile=str(self.cfg.ca_file) if self.cfg.ca_file else None
        )

    def build(self, message: Message, address: str) -> EmailMessage:
        # No header folding: Python's folder drops the space between two encoded words
        # ("2 mới" arrived as "2mới"); a subject of ≤ 80 characters needs no folding anyway.
        mail = EmailMessage(policy=UNFOLDED)
        mail["From"] = self.cfg.sender
        mail["To"] = address
        mail["Subject"] = message.subject
        mail["Date"] = formatdate(localtime=False)
        if message.dedup_key:
            # Stable per outbox row: a resend after a crash carries the same Message-ID.
            mail["Message-ID"] = f"<{_msgid_local(message.dedup_key)}@schoolnet>"
        # base64: Vietnamese text is 8-bit, and not every relay announces 8BITMIME.
        mail.set_content(message.body + _links(message), cte="base64")
        return mail

    def send(self, message: Message, address: str) -> None:
        cfg = self.cfg
        if not cfg.host:
            raise DeliveryError("notify.smtp.host is not set", permanent=True)
        mail = self.build(message, address)
        try:
            client: smtplib.SMTP
            if cfg.security == "ssl":
                client = smtplib.SMTP_SSL(
                    cfg.host, cfg.port, timeout=cfg.timeout, context=self._tls()
                )
            else:
                client = smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout)
            with client:
                if cfg.security == "starttls":
                    client.starttls(context=self._tls())
                if cfg.username:
                    client.login(cfg.username, cfg.password or "")
                refused = client.send_message(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            raise DeliveryError(f"recipient refused: {exc.recipients}", permanent=True) from None
        except smtplib.SMTPAuthenticationError as exc:
            raise DeliveryError(f"SMTP login refused: {exc.smtp_code}") from None
        except smtplib.SMTPResponseException as exc:
            permanent = 500 <= exc.smtp_code < 600 and exc.smtp_code != 554
            raise DeliveryError(
                f"SMTP {exc.smtp_code}: {exc.smtp_error!r}", permanent=permanent
            ) from None
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(f"SMTP {cfg.host}:{cfg.port}: {exc}") from None
        if refused:
            raise DeliveryError(f"recipient refused: {refused}", permanent=True)


def _links(message: Message) -> str:
    """The message's action links (``notify.actions``), one line each after the body."""
    lines = [f"{a.label}: {a.url}" for a in message.actions if a.url]
    return "\n" + "\n".join(lines) + "\n" if lines else ""


def _msgid_local(key: str) -> str:
    return "".join(c if c.isalnum() or c in ".-" else "." for c in key)


UNIT = ChannelUnit(
    name="email",
    section="smtp",
    settings=SmtpConfig,
    build=lambda cfg, ctx: SmtpChannel(cfg),
    ready=lambda cfg: bool(cfg.host),
    summary="email over SMTP (STARTTLS, implicit TLS or a local relay); a new connection a message",
    contact_field="email",
    address=AddressRule(EMAIL_RE, 254, "%r is not an e-mail address", "an e-mail address"),
)
