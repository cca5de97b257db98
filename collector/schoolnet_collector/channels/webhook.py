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
import json
import re
import time
from collections.abc import Callable

from pydantic import Field

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
    """``[notify.webhook]``: the signing keys (global, or per contact id)."""

    secret: str | None = Field(None, description="global HMAC-SHA256 key")
    contact_secrets: dict[int, str] = Field(default_factory=dict, description="contact id -> key")
    timeout: float = Field(10.0, gt=0, le=300)


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
        secret_for: Callable[[str], str | None],
        timeout: float = 10.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """``secret_for(address) -> str | None``: the contact's own key, else the global one."""
        self.secret_for = secret_for
        self.timeout = timeout
        self.clock = clock
        import urllib3  # here, not at the top: the configuration imports this module

        self.http: urllib3.PoolManager = urllib3.PoolManager(retries=False)

    def send(self, message: Message, address: str) -> None:
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
        secret = self.secret_for(address)
        if secret:
            headers[SIGNATURE_HEADER] = sign(secret, ts, body)
        try:
            resp = self.http.request(
                "POST", address, body=body, headers=headers, timeout=self.timeout, redirect=False
            )
        except _http_errors() as exc:
            raise DeliveryError(f"webhook: {type(exc).__name__}: {exc}") from None
        if 200 <= resp.status < 300:
            return
        permanent = resp.status in (400, 401, 403, 404, 410, 422)
        raise DeliveryError(f"webhook: HTTP {resp.status}", permanent=permanent)


def _http_errors() -> type[Exception]:
    import urllib3

    return urllib3.exceptions.HTTPError


def secret_lookup(cfg: WebhookConfig, ctx: BuildContext) -> Callable[[str], str | None]:
    """The key for an address: the first of its contacts' own keys, else the global one.

    A key per contact (or per address row) is looked up here and nowhere else, so moving the
    keys from the configuration into the registry changes this function only."""

    def secret_for(address: str) -> str | None:
        if cfg.contact_secrets:
            for cid in ctx.contacts_at("webhook", address):
                if cid in cfg.contact_secrets:
                    return cfg.contact_secrets[cid]
        return cfg.secret

    return secret_for


UNIT = ChannelUnit(
    name="webhook",
    section="webhook",
    settings=WebhookConfig,
    build=lambda cfg, ctx: WebhookChannel(secret_lookup(cfg, ctx), cfg.timeout),
    ready=lambda cfg: True,
    summary="HTTP POST of the event as JSON, signed with HMAC-SHA256 (X-Schoolnet-Signature)",
    contact_field="webhook_url",
    address=AddressRule(WEBHOOK_RE, 2000, "%r is not an http(s) URL", "an http(s) URL"),
)
