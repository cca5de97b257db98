"""Delivery channels. Each one has ``send(message, address)`` and raises ``DeliveryError``.

A channel knows nothing of incidents or contacts: it gets a rendered ``Message`` and one
address (an email, a chat id, a URL, a topic), so a new channel is one small module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class Message:
    subject: str
    body: str
    event: dict[str, object] = field(default_factory=dict)  # machine-readable (webhook, MQTT)
    dedup_key: str = ""  # also the Message-ID / delivery id, so receivers can drop a resend


class Channel(Protocol):
    """What the delivery worker needs of a channel (a ``close()`` is optional)."""

    def send(self, message: Message, address: str) -> None: ...


class DeliveryError(Exception):
    """The server did not accept the message. ``permanent``: retrying cannot help (a refused
    address, a blocked bot); ``retry_after``: the server said when to come back (seconds)."""

    def __init__(self, reason: str, *, permanent: bool = False, retry_after: float | None = None):
        super().__init__(reason)
        self.permanent = permanent
        self.retry_after = retry_after
