"""The MQTT alert topic: ``<prefix>/<school>`` (default ``schoolnet/v1/_alerts/<school>``).

Dashboards and other systems subscribe to it instead of polling the API. QoS 1, not retained
(a school may have several incidents; the API holds the current state). The broker account
needs ``topic write schoolnet/v1/_alerts/#``; readers get it through ``topic read schoolnet/#``.

MQTT v5, because only a v5 PUBACK says "not authorized": over 3.1.1 Mosquitto acknowledges a
publish its ACL drops, and a missing ACL line would look like delivered alerts.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from pydantic import Field

from schoolnet_collector.channels.base import (
    BuildContext,
    ChannelSettings,
    ChannelUnit,
    DeliveryError,
    Message,
)

if TYPE_CHECKING:
    import paho.mqtt.client as mqtt
    from paho.mqtt.reasoncodes import ReasonCode


class AlertTopicConfig(ChannelSettings):
    """``[notify.mqtt]``: the alert topic, on the collector's broker."""

    enabled: bool = False
    prefix: str = Field("schoolnet/v1/_alerts", pattern=r"^[^#+]+[^/#+]$")
    username: str | None = Field(None, description="None: the collector's own MQTT account")
    password: str | None = None


class Broker(Protocol):
    """The collector's broker account (``core.config.MqttConfig``), as this channel reads it."""

    @property
    def host(self) -> str: ...
    @property
    def port(self) -> int: ...
    @property
    def username(self) -> str: ...
    @property
    def password(self) -> str | None: ...
    @property
    def tls(self) -> bool: ...
    @property
    def ca_file(self) -> Path | None: ...
    @property
    def client_id(self) -> str: ...
    @property
    def keepalive(self) -> int: ...


class MqttAlertChannel:
    name = "mqtt"

    def __init__(self, cfg: AlertTopicConfig, broker: Broker, timeout: float = 10.0):
        self.cfg, self.broker, self.timeout = cfg, broker, timeout
        self._client: mqtt.Client | None = None
        self._lock = threading.Lock()
        self._acks: dict[int, ReasonCode] = {}  # mid -> PUBACK reason code

    def topic(self, school_id: str) -> str:
        return f"{self.cfg.prefix}/{school_id}"

    def _connected(self) -> mqtt.Client:
        if self._client is not None and self._client.is_connected():
            return self._client
        self.close()
        import paho.mqtt.client as mqtt  # here: the configuration imports this module
        from paho.mqtt.enums import CallbackAPIVersion

        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            protocol=mqtt.MQTTv5,
            client_id=f"{self.broker.client_id}-alerts"[:64],
        )
        client.username_pw_set(
            self.cfg.username or self.broker.username,
            self.cfg.password if self.cfg.username else self.broker.password,
        )
        if self.broker.tls:
            client.tls_set(ca_certs=str(self.broker.ca_file) if self.broker.ca_file else None)
        ready = threading.Event()
        client.on_connect = lambda c, u, f, rc, p=None: ready.set() if not rc.is_failure else None
        client.on_publish = lambda c, u, mid, rc, p=None: self._acks.__setitem__(mid, rc)
        try:
            client.connect(self.broker.host, self.broker.port, keepalive=self.broker.keepalive)
        except OSError as exc:
            raise DeliveryError(f"MQTT {self.broker.host}:{self.broker.port}: {exc}") from None
        client.loop_start()
        if not ready.wait(self.timeout):
            client.loop_stop()
            raise DeliveryError("MQTT: broker did not accept the login")
        self._client = client
        return client

    def send(self, message: Message, address: str) -> None:
        payload = json.dumps(
            {"subject": message.subject, "text": message.body, **message.event},
            ensure_ascii=False,
            default=str,
        )
        with self._lock:
            client = self._connected()
            info = client.publish(address, payload, qos=1)
        try:
            info.wait_for_publish(self.timeout)
        except (RuntimeError, ValueError) as exc:
            raise DeliveryError(f"MQTT publish: {exc}") from None
        if not info.is_published():
            raise DeliveryError("MQTT publish: no PUBACK in time")
        reason = self._acks.pop(info.mid, None)
        if reason is not None and reason.is_failure:
            raise DeliveryError(
                f"MQTT publish to {address}: {reason} (the broker account needs "
                f"'topic write {self.cfg.prefix}/#')",
                permanent=True,
            )

    def close(self) -> None:
        if self._client is not None:
            self._client.loop_stop()
            self._client.disconnect()
            self._client = None


def _build(cfg: AlertTopicConfig, ctx: BuildContext) -> MqttAlertChannel:
    if ctx.broker is None:
        raise ValueError("the MQTT alert channel needs the collector's broker settings")
    return MqttAlertChannel(cfg, ctx.broker)


UNIT = ChannelUnit(
    name="mqtt",
    section="mqtt",
    settings=AlertTopicConfig,
    build=_build,
    ready=lambda cfg: cfg.enabled,
    summary="every transition as JSON on <prefix>/<school> (QoS 1, not retained), for dashboards",
)
