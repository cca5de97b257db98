"""The schoolnet wire contract, version 1: topics, channels and the report payload.

Both the agent (which builds reports) and the collector (which validates them) import this
module, and the JSON Schema beside it is the single definition of a valid payload.
docs/protocol.md explains the choices.
"""

from schoolnet_agent.protocol.payload import (
    MAX_PAYLOAD_BYTES,
    SCHEMA_VERSION,
    Event,
    PayloadError,
    Sample,
    build_events_report,
    build_report,
    decode,
    encode,
    validate,
)
from schoolnet_agent.protocol.topics import (
    AVAILABILITY,
    CHANNELS,
    EVENTS,
    INVENTORY,
    OFFLINE,
    ONLINE,
    TELEMETRY,
    TOPIC_ROOT,
    Topic,
    TopicError,
    device_topic,
    parse_topic,
    subscription,
)

__all__ = [
    "AVAILABILITY",
    "CHANNELS",
    "EVENTS",
    "INVENTORY",
    "MAX_PAYLOAD_BYTES",
    "OFFLINE",
    "ONLINE",
    "SCHEMA_VERSION",
    "TELEMETRY",
    "TOPIC_ROOT",
    "Event",
    "PayloadError",
    "Sample",
    "Topic",
    "TopicError",
    "build_events_report",
    "build_report",
    "decode",
    "device_topic",
    "encode",
    "parse_topic",
    "subscription",
    "validate",
]
