"""``[mqtt]``: how the agent reaches the province's broker.

Shared by the transport that connects, the config loader that derives the username the broker's
ACL expects, the gateway probes that measure the way to the broker host, and the collector's
province simulator, which speaks for thousands of devices through the same transport.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from schoolnet_agent.settings.checks import Boolean, Check, Integer, Number, ReadableFile, Text


@dataclass
class MqttSettings:
    host: str = "127.0.0.1"
    port: int = 1883
    username: str | None = None
    password: str | None = None
    tls: bool = False
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None
    tls_insecure: bool = False
    keepalive: int = 20  # seconds; the broker sends the Will ~1.5 × keepalive after silence
    qos: int = 1
    reconnect_min_delay: float = 1.0
    reconnect_max_delay: float = 120.0
    max_inflight: int = 20

    KEYS: ClassVar[dict[str, Check]] = {
        "host": Text(),
        "port": Integer(1, 65535),
        "username": Text(),
        "password": Text(),
        "tls": Boolean(),
        "ca_file": ReadableFile(),
        "cert_file": ReadableFile(),
        "key_file": ReadableFile(),
        "tls_insecure": Boolean(),
        "keepalive": Integer(1, 3600),
        "qos": Integer(0, 1),
        "reconnect_min_delay": Number(0.1, 3600),
        "reconnect_max_delay": Number(0.1, 86400),
        "max_inflight": Integer(1, 65535),
    }
