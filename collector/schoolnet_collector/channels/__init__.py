"""Delivery channels: one module each (its settings, its addresses' rule, ``send``) and one
registration line below. ``docs/channels.md`` is generated from these units
(``python -m schoolnet_collector.channels.docs``) and a test keeps it current.

To add a channel: a module here with a ``UNIT = ChannelUnit(...)`` (see ``base.py``), its test
in ``tests/collector/channels/``, and its line here. Contacts' addresses are rows of
``contact_addresses`` keyed by the channel's name, so no migration is needed.
"""

from __future__ import annotations

from schoolnet_collector.channels.base import (
    Action,
    AddressRule,
    BuildContext,
    Channel,
    ChannelSettings,
    ChannelUnit,
    DeliveryError,
    Message,
)
from schoolnet_collector.channels.registry import Registration, Registry

REGISTRY = Registry(
    [
        Registration("email", ".smtp:UNIT"),
        Registration("telegram", ".telegram:UNIT"),
        Registration("webhook", ".webhook:UNIT"),
        Registration("mqtt", ".mqtt:UNIT"),
    ]
)

__all__ = [
    "REGISTRY",
    "Action",
    "AddressRule",
    "BuildContext",
    "Channel",
    "ChannelSettings",
    "ChannelUnit",
    "DeliveryError",
    "Message",
    "Registration",
    "Registry",
]
