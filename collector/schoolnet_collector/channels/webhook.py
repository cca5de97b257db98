"""Generic webhook: the event as JSON, signed with HMAC-SHA256.

Headers (documented in collector/README.md, "Notifications"):

- ``X-Schoolnet-Timestamp``: Unix seconds when signed;
- ``X-Schoolnet-Signature``: ``sha256=`` + hex HMAC-SHA256 over ``<timestamp>.<raw body>``;
- ``X-Schoolnet-Delivery``: the outbox dedup key (the same on a resend).

The timestamp is inside the signed material, so a receiver that rejects signatures older than
a few minutes cannot be fed a captured request again (the scheme Stripe and Slack use).
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import json
import re
import ssl
import time
from collections.abc import Callable

from pydantic import Field, field_validator

from schoolnet_collector.channels import outbound
from schoolnet_collector.channels.base import (
    AddressRule,
    BuildContext,
    ChannelSettings,
    ChannelUnit,
    DeliveryError,
    Message,
)

TIMESTAMP_HEADER = "X-Schoolnet-Timestamp"
SIGNATURE_HEADER = "X-Schoolnet-Signature"
DELIVERY_HEADER = "X-Schoolnet-Delivery"
WEBHOOK_RE = re.compile(r"^https?://[^\s/]+")


class WebhookConfig(ChannelSettings):
    """``[notify.webhook]``: the signing keys, where receivers may be, how long one may take."""

    secret: str | None = Field(None, description="global HMAC-SHA256 key")
    contact_secrets: dict[int, str] = Field(
        default_factory=dict,
        description="contact id -> key (a key stored with the contact's address comes first)",
    )
    timeout: float = Field(10.0, gt=0, le=300, description="seconds for the whole request")
    allow_networks: list[str] = Field(
        default_factory=list,
        description="private, loopback or link-local networks receivers may be in (CIDR)",
    )
    concurrency: int = Field(
        4, ge=1, le=32, description="receivers posted to at once (one slow one delays no other)"
    )

    @field_validator("allow_networks")
    @classmethod
    def _networks(cls, values: list[str]) -> list[str]:
        for value in values:
            try:
                ipaddress.ip_network(value, strict=False)
            except ValueError as exc:
                raise ValueError(
                    f"{value!r} is not a network (CIDR, e.g. 10.20.0.0/16): {exc}"
                ) from None
        return values


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(
    secret: str, timestamp: str, body: bytes, signature: str, now: float, tolerance: float = 300
) -> bool:
    """What a receiver does (used by the tests; receivers in other languages follow it)."""
    try:
        ts = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs(now - ts) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, ts, body), signature or "")


class WebhookChannel:
    name = "webhook"

    def __init__(
        self,
        secret_for: Callable[[int | None, str], str | None],
        timeout: float = 10.0,
        clock: Callable[[], float] = time.time,
        policy: outbound.Policy | None = None,
        resolver: outbound.Resolver = outbound.resolve,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        """``secret_for(contact id, address) -> str | None``: that contact's own key, else the
        global one. ``policy``: where receivers may be (default: public addresses only)."""
        self.secret_for = secret_for
        self.timeout = timeout
        self.clock = clock
        self.policy = policy or outbound.Policy()
        self.resolver = resolver
        self.tls = tls

    def send(self, message: Message, address: str) -> None:
        try:  # checked at every send: what the name resolves to may have changed
            target = outbound.check(address, self.policy, self.resolver)
        except outbound.Refused as exc:
            raise DeliveryError(f"webhook refused: {exc}", permanent=True) from None
        body = json.dumps(
            {"subject": message.subject, "text": message.body, **message.event},
            ensure_ascii=False,
            default=str,
        ).encode()
        ts = int(self.clock())
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            TIMESTAMP_HEADER: str(ts),
            DELIVERY_HEADER: message.dedup_key,
        }
        secret = self.secret_for(message.contact_id, address)
        if secret:
            headers[SIGNATURE_HEADER] = sign(secret, ts, body)
        try:
            status = outbound.post(target, body, headers, self.timeout, self.tls)
        except (OSError, http.client.HTTPException) as exc:
            raise DeliveryError(f"webhook: {type(exc).__name__}: {exc}") from None
        if 200 <= status < 300:
            return
        permanent = status in (400, 401, 403, 404, 410, 422)
        raise DeliveryError(f"webhook: HTTP {status}", permanent=permanent)


def secret_lookup(cfg: WebhookConfig, ctx: BuildContext) -> Callable[[int | None, str], str | None]:
    """The key a message to one contact is signed with: the key stored with that contact's
    address, else the contact's key in the configuration, else the global one.

    Chosen by the contact the message is for, never by the URL: a contact who copies another
    school's receiver URL gets messages signed with their own key (or the global one), which
    that receiver does not take for the other school's."""

    def secret_for(contact_id: int | None, address: str) -> str | None:
        if contact_id is not None:
            stored = ctx.address_secret(contact_id, "webhook", address)
            if stored:
                return stored
            if contact_id in cfg.contact_secrets:
                return cfg.contact_secrets[contact_id]
        return cfg.secret

    return secret_for


def build(cfg: WebhookConfig, ctx: BuildContext) -> WebhookChannel:
    policy = outbound.Policy.build(cfg.allow_networks, ctx.own_services)
    return WebhookChannel(secret_lookup(cfg, ctx), cfg.timeout, policy=policy)


UNIT = ChannelUnit(
    name="webhook",
    section="webhook",
    settings=WebhookConfig,
    build=build,
    ready=lambda cfg: True,
    summary="HTTP POST of the event as JSON, signed with HMAC-SHA256 (X-Schoolnet-Signature)",
    contact_field="webhook_url",
    address=AddressRule(WEBHOOK_RE, 2000, "%r is not an http(s) URL", "an http(s) URL"),
    concurrency=lambda cfg: cfg.concurrency,
)
