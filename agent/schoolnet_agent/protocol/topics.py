"""MQTT topics: ``schoolnet/v1/<school>/<device>/<channel>``.

The school comes first so that one Mosquitto ACL pattern (``pattern write schoolnet/v1/%u/#``)
gives a school's gateway (username ``<school>``) its whole school and a lab PC (username
``<school>/<device>``) only its own subtree. The version sits in the root so that a future
incompatible payload can run beside this one during a rollout.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

TOPIC_ROOT = "schoolnet/v1"

AVAILABILITY = "availability"  # retained "online" on connect; Last Will sets "offline"
TELEMETRY = "telemetry"  # periodic metrics
INVENTORY = "inventory"  # retained hardware/software inventory, sent when it changes
EVENTS = "events"  # things that happened: uplink changed, device appeared
BATCH = "batch"  # metered links: zlib-deflated JSON array of reports (batch.py)
CHANNELS = (AVAILABILITY, TELEMETRY, INVENTORY, EVENTS, BATCH)

# Control topics: from the collector to every agent, outside any school's subtree ("_" cannot
# begin a school id), four levels deep so the collector's own subscription (five) skips them.
CONTROL_ROOT = "schoolnet/v1/_control"
REPLAY_REQUEST = f"{CONTROL_ROOT}/replay"  # retained {"id": ..., "since_ms": ...}

ONLINE = b"online"
OFFLINE = b"offline"

# ``\Z``, not ``$``: Python's ``$`` also matches before a trailing newline, so "pc-01\n" (one
# Alt+Enter in a spreadsheet cell) passed and broke every line written for that unit.
# ID_PATTERN is the same rule for JSON Schema, where ``$`` ends the input.
ID_PATTERN = "^[a-z0-9][a-z0-9_-]{0,62}$"
ID_RE = re.compile(r"\A[a-z0-9][a-z0-9_-]{0,62}\Z")


class TopicError(ValueError):
    """A topic that is not a schoolnet v1 device topic."""


@dataclass(frozen=True, slots=True)
class Topic:
    school: str
    device: str
    channel: str

    def __str__(self) -> str:
        return device_topic(self.school, self.device, self.channel)


def check_id(value: str, what: str) -> str:
    if not isinstance(value, str) or not ID_RE.match(value):
        raise TopicError(
            f"{what} {value!r} is not a valid id (lowercase letters, digits, '-', '_'; "
            "at most 63 characters)"
        )
    return value


def device_topic(school: str, device: str, channel: str) -> str:
    if channel not in CHANNELS:
        raise TopicError(f"unknown channel {channel!r}; expected one of {', '.join(CHANNELS)}")
    return f"{TOPIC_ROOT}/{check_id(school, 'school')}/{check_id(device, 'device')}/{channel}"


def parse_topic(topic: str) -> Topic:
    parts = topic.split("/")
    if len(parts) != 5 or f"{parts[0]}/{parts[1]}" != TOPIC_ROOT:
        raise TopicError(f"topic {topic!r} is not {TOPIC_ROOT}/<school>/<device>/<channel>")
    _, _, school, device, channel = parts
    if channel not in CHANNELS:
        raise TopicError(f"topic {topic!r} has unknown channel {channel!r}")
    return Topic(check_id(school, "school"), check_id(device, "device"), channel)


def subscription(share_group: str | None = None) -> str:
    """The collector's subscription; under ``$share/<group>/`` several collectors split the load."""
    topic = f"{TOPIC_ROOT}/+/+/+"
    return f"$share/{share_group}/{topic}" if share_group else topic
