"""MQTT transport of one agent: connect, stay connected, publish with QoS 1.

One paho-mqtt 2.x client with a persistent session (MQTT 3.1.1, ``clean_session=False``), a
retained Last Will ``offline`` on the device's availability topic and a retained ``online`` on
every (re)connect, so the collector and dashboards always read the device's state.

Reconnecting: paho's network thread does the reconnecting, but its own delay doubles without
jitter. Before each wait, paho calls ``on_connect_fail`` (TCP/TLS failed) or ``on_disconnect``
(connection lost or refused); there the next delay is drawn from :class:`Backoff` and handed to
paho through its public ``reconnect_delay_set(d, d)``, which makes paho wait exactly ``d``.

For the spool (``delivery.py``): ``publish(..., tag=row id)`` and ``take_acked()`` say which
stored messages the broker acknowledged; ``on_ack`` hooks wake the spool's pump;
``session_present`` tells, in the ``on_connect`` hooks, whether the broker still had this
device's session (if not, it may have lost messages it had acknowledged); ``subscribe()``
registers a handler for a control topic, subscribed again on every connect.
"""

from __future__ import annotations

import logging
import ssl
import threading
from collections.abc import Callable
from typing import Any, cast

import paho.mqtt.client as mqtt
from paho.mqtt.client import ConnectFlags, DisconnectFlags, MQTTMessage
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from schoolnet_agent.delivery.inflight import InflightTracker
from schoolnet_agent.protocol import AVAILABILITY, OFFLINE, ONLINE, device_topic
from schoolnet_agent.settings.mqtt import MqttSettings
from schoolnet_agent.util.backoff import Backoff
from schoolnet_agent.util.tls import diagnose, tls_context

log = logging.getLogger(__name__)


class MqttTransport:
    """Publishes a device's messages; ``device=`` lets a gateway speak for its school's devices."""

    stop_timeout = 5.0  # seconds a graceful stop waits for the retained "offline" to be acked

    def __init__(
        self, settings: MqttSettings, school: str, device: str, *, client_id: str | None = None
    ):
        self.settings = settings
        self.school = school
        self.device = device
        self.on_connect: list[Callable[[], None]] = []
        self.on_ack: list[Callable[[], None]] = []  # called on paho's thread: must not block
        self.session_present = False
        self._handlers: dict[str, Callable[[bytes], None]] = {}
        self._connected = threading.Event()
        self._stopping = False
        self._started = False
        self._last_problem: str | None = None
        self._backoff = Backoff(settings.reconnect_min_delay, settings.reconnect_max_delay)
        self._inflight = InflightTracker()
        self._tls: ssl.SSLContext | None = None
        self._client = self._make_client(client_id or f"{school}.{device}")

    def _make_client(self, client_id: str) -> mqtt.Client:
        s = self.settings
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id,
            clean_session=False,
            protocol=mqtt.MQTTv311,
        )
        if s.username is not None:
            client.username_pw_set(s.username, s.password)
        if s.tls:
            self._tls = tls_context(
                s.ca_file, s.cert_file, s.key_file, check_hostname=not s.tls_insecure
            )
            client.tls_set_context(self._tls)
        client.will_set(self._topic(AVAILABILITY), OFFLINE, qos=1, retain=True)
        client.max_inflight_messages_set(s.max_inflight)
        client.on_connect = self._handle_connect
        client.on_connect_fail = self._handle_connect_fail
        client.on_disconnect = self._handle_disconnect
        client.on_publish = self._handle_publish
        client.on_message = self._handle_message
        return client

    def _topic(self, channel: str, device: str | None = None) -> str:
        return device_topic(self.school, device or self.device, channel)

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        """Connect in the background; never raises because the broker is down."""
        if self._started:
            return
        self._started = True
        self._stopping = False
        # Fallback if some failure path skipped our callbacks: paho's own doubling, same bounds.
        self._client.reconnect_delay_set(
            self.settings.reconnect_min_delay,  # type: ignore[arg-type]  # paho sleeps float seconds; its stub says int
            self.settings.reconnect_max_delay,  # type: ignore[arg-type]  # (a 0.1 s minimum must stay 0.1)
        )
        self._client.connect_async(self.settings.host, self.settings.port, self.settings.keepalive)
        self._client.loop_start()

    def wait_connected(self, timeout: float) -> bool:
        return self._connected.wait(timeout)

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def stop(self, *, graceful: bool = True) -> None:
        """Graceful: retained ``offline``, then a clean DISCONNECT. Otherwise drop the socket
        as a crash would, so the broker publishes the Last Will."""
        if not self._started:
            return
        self._stopping = True
        if graceful:
            if self.connected:
                self.publish_availability(False)
                if not self.wait_for_publishes(self.stop_timeout):
                    log.warning("offline status not acknowledged within %.0f s", self.stop_timeout)
            self._client.disconnect()
            self._client.loop_stop()
        else:
            self._client.loop_stop()
            sock = self._client.socket()
            if sock is not None:
                sock.close()
        self._connected.clear()
        self._started = False

    # -- publishing ------------------------------------------------------------------------

    def publish(
        self,
        channel: str,
        payload: bytes,
        *,
        device: str | None = None,
        retain: bool = False,
        tag: object = None,
    ) -> mqtt.MQTTMessageInfo:
        """Queue a message; with QoS 1 paho keeps it until the broker acknowledges it, also
        across reconnects. Raises TopicError for an invalid device id or channel. ``tag`` comes
        back from ``take_acked()`` once the broker has acknowledged the message."""
        topic = self._topic(channel, device)
        qos = self.settings.qos

        def send() -> mqtt.MQTTMessageInfo:
            return self._client.publish(topic, payload, qos=qos, retain=retain)

        info = self._inflight.track(send, lambda i: i.mid, tracked=qos > 0, tag=tag)
        if info.rc not in (MQTTErrorCode.MQTT_ERR_SUCCESS, MQTTErrorCode.MQTT_ERR_NO_CONN):
            log.warning("publish to %s not queued: %s", topic, mqtt.error_string(info.rc))
        return info

    def publish_availability(
        self, online: bool, *, device: str | None = None
    ) -> mqtt.MQTTMessageInfo:
        return self.publish(AVAILABILITY, ONLINE if online else OFFLINE, device=device, retain=True)

    def take_acked(self) -> list[object]:
        """Tags of the messages the broker acknowledged since the last call."""
        return self._inflight.take_acked()

    def subscribe(self, topic: str, handler: Callable[[bytes], None]) -> None:
        """Call ``handler(payload)`` (on paho's thread: it must not block) for every message
        on ``topic``; subscribed with QoS 1 now if connected and again on every connect."""
        self._handlers[topic] = handler
        if self.connected:
            self._client.subscribe(topic, qos=1)

    def wait_for_publishes(self, timeout: float) -> bool:
        """True when every QoS ≥ 1 message published so far has been acknowledged."""
        return self._inflight.wait_all(timeout)

    @property
    def pending(self) -> int:
        """Messages published but not yet acknowledged by the broker."""
        return self._inflight.pending

    # -- paho callbacks (network thread) ------------------------------------------------------

    def _handle_connect(
        self,
        client: mqtt.Client,
        userdata: Any,
        flags: ConnectFlags,
        reason_code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        if reason_code.is_failure:
            self._problem(
                f"refused:{reason_code}",
                logging.ERROR,
                "broker %s:%s refused the connection of user %r: %s "
                "(check mqtt.username and mqtt.password)",
                self.settings.host,
                self.settings.port,
                self.settings.username,
                reason_code,
            )
            return
        self._last_problem = None
        self._backoff.reset()
        self.session_present = bool(flags.session_present)
        self._connected.set()
        log.info(
            "connected to %s:%s as %r%s",
            self.settings.host,
            self.settings.port,
            self.settings.username,
            "" if self.session_present else " (new session)",
        )
        self.publish_availability(True)
        for topic in self._handlers:
            client.subscribe(topic, qos=1)
        for hook in list(self.on_connect):
            try:
                hook()
            except Exception:  # a hook's bug must not kill the network thread
                log.exception("on_connect hook %r failed", hook)

    def _handle_connect_fail(self, client: mqtt.Client, userdata: Any) -> None:
        if self._last_problem is None or not self._last_problem.startswith("unreachable"):
            # First failure of this outage: find out why once (paho does not tell us).
            why = diagnose(self.settings.host, self.settings.port, self._tls) or "failed"
            self._problem(
                f"unreachable:{why}",
                logging.WARNING,
                "cannot connect to broker %s:%s (%s); retrying with backoff",
                self.settings.host,
                self.settings.port,
                why,
            )
        else:
            log.debug(
                "still cannot connect to broker %s:%s", self.settings.host, self.settings.port
            )
        self._schedule_retry()

    def _handle_disconnect(
        self,
        client: mqtt.Client,
        userdata: Any,
        flags: DisconnectFlags,
        reason_code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        was_connected = self._connected.is_set()
        self._connected.clear()
        if self._stopping:
            return
        if was_connected:
            log.warning(
                "connection to %s:%s lost (%s); reconnecting",
                self.settings.host,
                self.settings.port,
                reason_code,
            )
        self._schedule_retry()

    def _handle_publish(
        self,
        client: mqtt.Client,
        userdata: Any,
        mid: int,
        reason_code: ReasonCode,
        properties: Properties,
    ) -> None:
        self._inflight.acked(mid)
        for hook in self.on_ack:
            hook()

    def _handle_message(self, client: mqtt.Client, userdata: Any, message: MQTTMessage) -> None:
        handler = self._handlers.get(message.topic)
        if handler is None:
            return
        try:
            handler(cast(bytes, message.payload))  # paho builds it as bytes
        except Exception:  # a handler's bug must not kill the network thread
            log.exception("handler for %s failed", message.topic)

    def _schedule_retry(self) -> None:
        delay = self._backoff.next_delay()
        self._client.reconnect_delay_set(delay, delay)  # type: ignore[arg-type]  # float seconds, as above

    def _problem(self, key: str, level: int, msg: str, *args: object) -> None:
        """Log a connection problem once until it changes or a connection succeeds."""
        log.log(level if key != self._last_problem else logging.DEBUG, msg, *args)
        self._last_problem = key
