"""The collector's MQTT session: subscribe, hand every message to a queue, ack once stored.

``on_message`` runs on paho's network thread; anything slow there stalls keepalives and
acknowledgements, so it only stamps the arrival time and enqueues. Under ``$share/<group>/``
several collectors split one stream.

At-least-once: the session is persistent (MQTT v5, clean start off, a session expiry) and
paho runs with ``manual_ack``: a message is acknowledged only when it is stored (acks.py), so
the broker re-sends whatever a crashed collector had not stored. MQTT v5 also lets us name our
Receive Maximum: Mosquitto then sends that many unacknowledged messages instead of its
``max_inflight_messages`` (20 by default, which with acks held for a 0.2 s batch caps ingest
near 100 messages/s; measured on Mosquitto 2.0.11: a v3.1.1 or v5 client without the property
gets 20, a v5 client asking for 65,535 gets all 500 of a burst).

On every connection the collector publishes a retained replay request (docs/protocol.md) with
``since_ms`` = its checkpoint minus a margin: a broker killed with ``-9`` loses what it had
acknowledged since its last snapshot, and it may come back with our session from that
snapshot (``session_present`` = 1), so the flag alone cannot say whether anything was lost.
"""

from __future__ import annotations

import logging
import ssl
import time
import uuid

import orjson
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from schoolnet_agent.protocol import subscription
from schoolnet_agent.protocol.topics import REPLAY_REQUEST
from schoolnet_collector.core.config import MqttConfig
from schoolnet_collector.ingest.acks import AckTracker
from schoolnet_collector.ingest.checkpoint import Checkpoint
from schoolnet_collector.ingest.inbox import Inbound, Inbox

log = logging.getLogger("schoolnet.ingest.mqtt")


class Subscriber:
    def __init__(
        self, config: MqttConfig, inbox: Inbox, acks: AckTracker, checkpoint: Checkpoint
    ) -> None:
        self.config = config
        self.inbox = inbox
        self.acks = acks
        self.checkpoint = checkpoint
        self.connected = False
        self.closing = False
        self.last_error: str | None = None
        self.replay_requests = 0
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=config.client_id,
            protocol=mqtt.MQTTv5,
            manual_ack=True,
        )
        if config.password is not None:
            client.username_pw_set(config.username, config.password)
        if config.tls:
            client.tls_set(
                ca_certs=str(config.ca_file) if config.ca_file else None,
                tls_version=ssl.PROTOCOL_TLS_CLIENT,
            )
        client.reconnect_delay_set(1, 30)
        client.max_queued_messages_set(0)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        self.client = client

    def start(self) -> None:
        props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]  # paho leaves it unannotated
        props.SessionExpiryInterval = self.config.session_expiry_seconds
        props.ReceiveMaximum = self.config.receive_maximum
        self.client.connect_async(
            self.config.host,
            self.config.port,
            keepalive=self.config.keepalive,
            clean_start=False,
            properties=props,
        )
        self.client.loop_start()

    def close_intake(self) -> None:
        """Stop taking messages (those arriving now stay unacknowledged: the broker keeps them)."""
        self.closing = True

    def stop(self) -> None:
        self.closing = True
        self.client.disconnect()
        self.client.loop_stop()

    def _on_connect(
        self,
        client: mqtt.Client,
        userdata: object,
        flags: mqtt.ConnectFlags,
        reason_code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        if reason_code.is_failure:
            self.last_error = f"broker refused the collector: {reason_code}"
            log.error("%s (check mqtt.username / mqtt.password)", self.last_error)
            return
        self.acks.new_connection(client)
        self.checkpoint.connected()
        self.connected, self.last_error = True, None
        topic = subscription(self.config.share_group)
        client.subscribe(topic, qos=1)
        log.info(
            "connected to %s:%d, subscribed to %s (session present: %s)",
            self.config.host,
            self.config.port,
            topic,
            flags.session_present,
        )
        self._request_replay(client, flags.session_present)

    def _request_replay(self, client: mqtt.Client, session_present: bool) -> None:
        since = self.checkpoint.replay_since(self.config.replay_margin_seconds)
        if since is None:
            return  # nothing was ever stored here: there is no gap to fill
        since_ms = max(0, since)
        request = {"id": uuid.uuid4().hex, "since_ms": since_ms}
        client.publish(REPLAY_REQUEST, orjson.dumps(request), qos=1, retain=True)
        self.replay_requests += 1
        log.info(
            "asked agents to replay what they sent since %s (session present: %s)",
            time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(since_ms / 1000)),
            session_present,
        )

    def _on_disconnect(
        self,
        client: mqtt.Client,
        userdata: object,
        flags: mqtt.DisconnectFlags,
        reason_code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        self.connected = False
        self.acks.connection_lost()
        self.checkpoint.disconnected()
        if reason_code.is_failure:
            self.last_error = f"disconnected: {reason_code}"
            log.warning("broker connection lost (%s); reconnecting", reason_code)

    def _on_message(self, client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        if self.closing:
            return  # not acknowledged: the broker delivers it again to our next session
        self.inbox.put(
            Inbound(
                msg.topic,
                msg.payload,  # type: ignore[arg-type]  # paho decodes it with struct.unpack: bytes
                int(time.time() * 1000),
                bool(msg.retain),
                mid=msg.mid,
                qos=msg.qos,
                generation=self.acks.generation,
            )
        )
