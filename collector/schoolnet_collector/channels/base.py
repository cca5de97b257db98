"""What every delivery channel is made of, and the one thing the notification worker hands it.

A channel knows nothing of incidents or contacts: it gets a rendered ``Message`` and one
address (an email, a chat id, a URL, a topic). Everything else the collector needs to know
about a channel sits on its ``ChannelUnit``: its ``[notify.<section>]`` settings model, whether
those settings let it send at all, the contact column its addresses come in (CSV, API) and how
an address is checked. That is why a new channel is one module and one registration line: the
configuration, the contact import, the API, routing, the worker and the docs read the unit.

This package sits beneath ``core``: the configuration builds ``[notify]`` from the units, so
nothing here may import the rest of the collector.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict


@dataclass(frozen=True)
class Message:
    subject: str
    body: str
    event: dict[str, object] = field(default_factory=dict)  # machine-readable (webhook, MQTT)
    dedup_key: str = ""  # also the Message-ID / delivery id, so receivers can drop a resend
    contact_id: int | None = None  # whom it is for (a per-contact signing key); None: a digest
    actions: tuple[Action, ...] = ()  # what the reader can do from the message (notify.actions)


@dataclass(frozen=True)
class Action:
    """One thing a reader can do from the message: a signed link (e-mail) or a button's
    callback data (Telegram), with its label in the reader's language."""

    kind: str  # acknowledge | resolve
    label: str
    url: str | None = None
    callback: str | None = None


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


class ChannelSettings(BaseModel):
    """A channel's ``[notify.<section>]`` table: unknown keys are mistakes, as everywhere in
    the collector's configuration."""

    model_config = ConfigDict(extra="forbid")


@dataclass(frozen=True)
class AddressRule:
    """How a contact's address for one channel is written, checked the same way in a CSV row,
    an API body and the published JSON Schema (``pattern``)."""

    pattern: re.Pattern[str]
    max_length: int
    wrong: str  # "%r is not …": what the user is told, with the value
    description: str = ""

    def check(self, value: str) -> str:
        if len(value) > self.max_length:
            raise ValueError(f"longer than {self.max_length} characters")
        if not self.pattern.match(value):
            raise ValueError(self.wrong % (value,))
        return value


@dataclass(frozen=True)
class BuildContext:
    """What a channel may need from the running collector beyond its own settings."""

    broker: Any = None  # the collector's MQTT account (core.config.MqttConfig)
    address_secret: Callable[[int, str, str], str | None] = lambda contact, channel, address: None
    """(contact id, channel, address) -> the key stored with that contact's address, if any."""
    own_services: tuple[tuple[str, int], ...] = ()
    """(host, port) of the broker, InfluxDB and the API: never a receiver (see outbound)."""


S = TypeVar("S", bound=ChannelSettings)


@dataclass(frozen=True)
class ChannelUnit(Generic[S]):
    """One delivery channel, as the rest of the collector knows it."""

    name: str  # the outbox rows' and the contact addresses' channel kind
    section: str  # [notify.<section>] in collector.toml
    settings: type[S]
    build: Callable[[S, BuildContext], Channel]
    ready: Callable[[S], bool]  # set up enough to send (else routing queues nothing for it)
    summary: str  # one line for docs/channels.md
    contact_field: str | None = None  # a contact's column (CSV, API); None: not a contact's
    address: AddressRule | None = None  # required with contact_field
    concurrency: Callable[[S], int] = lambda cfg: 1
    """How many addresses the worker sends to at once on this channel (one slow receiver then
    holds up only its own messages)."""

    def __post_init__(self) -> None:
        if (self.contact_field is None) != (self.address is None):
            raise ValueError(f"channel {self.name!r}: contact_field and address go together")
