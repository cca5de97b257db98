"""The collector's MQTT session: subscribe, and hand every message to a queue untouched.

``on_message`` runs on paho's network thread; anything slow there stalls keepalives and
acknowledgements, so it only stamps the arrival time and enqueues. Under ``$share/<group>/``
several collectors split one stream; the session is persistent (clean_session false) so
QoS 1 messages wait in the broker while a collector restarts.
"""
from __future__ import annotations

import logging
import ssl
import time
from dataclasses import dataclass

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from schoolnet_agent.protocol import subscription
from schoolnet_collector.core.config import MqttConfig

log = logging.getLogger("schoolnet.ingest.mqtt")


@dataclass(slots=True)
class Inbound:
    topic: str
    payload: bytes
    received_ms: int
    retained: bool
    rejected: bool = False


class Subscriber:
    def __init__(self, config: MqttConfig, inbox):
        self.config = config
        self.inbox = inbox
        self.connected = False
        self.last_error: str | None = None
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=config.client_id,
                             clean_session=False, protocol=mqtt.MQTTv311)
        if config.password is not None:
            client.username_pw_set(config.username, config.password)
        if config.tls:
            client.tls_set(ca_certs=str(config.ca_file) if config.ca_file else None,
                           tls_version=ssl.PROTOCOL_TLS_CLIENT)
        client.reconnect_delay_set(1, 30)
        client.max_queued_messages_set(0)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        self.client = client

    def start(self) -> None:
        self.client.connect_async(self.config.host, self.config.port, keepalive=self.config.keepalive)
        self.client.loop_start()

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def _on_connect(self, client, userdata, flags, reason_code, properties):
        if reason_code.is_failure:
            self.last_error = f"broker refused the collector: {reason_code}"
            log.error("%s (check mqtt.username / mqtt.password)", self.last_error)
            return
        self.connected, self.last_error = True, None
        topic = subscription(self.config.share_group)
        client.subscribe(topic, qos=1)
        log.info("connected to %s:%d, subscribed to %s (session present: %s)", self.config.host,
                 self.config.port, topic, flags.session_present)

    def _on_disconnect(self, client, userdata, flags, reason_code, properties):
        self.connected = False
        if reason_code.is_failure:
            self.last_error = f"disconnected: {reason_code}"
            log.warning("broker connection lost (%s); reconnecting", reason_code)

    def _on_message(self, client, userdata, msg):
        self.inbox.put(Inbound(msg.topic, msg.payload, int(time.time() * 1000), bool(msg.retain)))
