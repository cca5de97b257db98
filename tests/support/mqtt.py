"""MQTT helpers shared by the agent tests: a collector-side subscriber written with paho
directly, and a cleaner for the retained messages tests leave on the shared broker."""

from __future__ import annotations

import queue
import time
import uuid

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

ROOT = "schoolnet/v1"
PC01 = ("lc-test-01/pc-01", "pc-secret-01")
GW01 = ("lc-test-01", "gw-secret-01")


class Subscriber:
    """The collector's side, written with paho directly: every message lands in a queue."""

    def __init__(
        self, port: int, topic: str = f"{ROOT}/#", client_id: str | None = None, clean: bool = True
    ):
        self.messages: queue.Queue[mqtt.MQTTMessage] = queue.Queue()
        self.seen: list[mqtt.MQTTMessage] = []  # passed over by wait_for, kept for assertions
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            clean_session=clean,
            client_id=client_id or f"sub-{uuid.uuid4().hex[:8]}",
        )
        self.client.username_pw_set("collector", "collector-secret")
        self.client.on_message = lambda c, u, m: self.messages.put(m)
        subscribed = queue.Queue()
        self.client.on_subscribe = lambda *a: subscribed.put(True)
        self.client.on_connect = lambda c, *a: c.subscribe(topic, qos=1)
        self.client.reconnect_delay_set(0.1, 0.5)
        self.client.connect("127.0.0.1", port, keepalive=10)
        self.client.loop_start()
        subscribed.get(timeout=5)

    def wait_for(self, topic: str, payload: bytes | None = None, timeout: float = 5.0):
        """The first message on ``topic`` (with ``payload`` if given); others seen are kept."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                msg = self.messages.get(timeout=left)
            except queue.Empty:
                break
            if msg.topic == topic and (payload is None or msg.payload == payload):
                return msg
            self.seen.append(msg)
        raise AssertionError(f"no message {payload!r} on {topic} within {timeout}s")

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def clear_retained(port: int, *topics: str) -> None:
    """Remove the retained availability our agents left, so later tests on the shared broker
    (the collector's) start from a clean slate. The simulator account may write any topic.
    A running agent also leaves its retained inventory: clearing a device's availability
    clears its inventory too."""
    topics = tuple(
        dict.fromkeys(
            t
            for topic in topics
            for t in (
                (topic, topic.removesuffix("availability") + "inventory")
                if topic.endswith("/availability")
                else (topic,)
            )
        )
    )
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"cleaner-{uuid.uuid4().hex[:8]}")
    client.username_pw_set("simulator", "simulator-secret")
    client.connect("127.0.0.1", port, keepalive=10)
    client.loop_start()
    try:
        for topic in topics:
            client.publish(topic, b"", qos=1, retain=True).wait_for_publish(5)
    finally:
        client.disconnect()
        client.loop_stop()
