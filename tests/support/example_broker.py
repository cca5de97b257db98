"""Mosquitto (2.0.11 or 2.0.21) running firmware_configs/mosquitto's production example, on
test ports and with test files, plus the paho clients the tests drive it with."""

from __future__ import annotations

import getpass
import queue
import subprocess
import time
from pathlib import Path

import paho.mqtt.client as mqtt

from devenv.services import MqttAccount, Service, free_port, mosquitto_binary, wait_for_port
from tests.support.paths import ROOT as ROOT_DIR

EXAMPLES = ROOT_DIR / "firmware_configs" / "mosquitto"


def make_certificates(directory: Path) -> dict[str, Path]:
    """A throwaway CA and a server certificate for 127.0.0.1 signed by it."""

    def openssl(*args: str) -> None:
        subprocess.run(
            ["openssl", *args], cwd=directory, check=True, capture_output=True, timeout=30
        )

    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    openssl(
        "req",
        "-x509",
        *ec,
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
        "-days",
        "2",
        "-subj",
        "/CN=test CA",
    )
    openssl("req", *ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1")
    (directory / "san.ext").write_text("subjectAltName=IP:127.0.0.1\n")
    openssl(
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.crt",
        "-days",
        "2",
        "-extfile",
        "san.ext",
    )
    return {name: directory / name for name in ("ca.crt", "server.crt", "server.key")}


def rewrite_example(text: str, tls_port: int, plain_port: int, paths: dict[str, str]) -> str:
    """The example with test ports and paths; fails if the example lost a line the test relies on."""
    lines, replaced = [], set()
    for line in text.splitlines():
        key, _, value = line.partition(" ")
        if key == "listener":
            ports = {"8883": tls_port, "1883 127.0.0.1": plain_port}
            assert value in ports, f"the example has a listener this test does not know: {line!r}"
            line = f"listener {ports[value]} 127.0.0.1"
        elif key in paths:
            line, _ = f"{key} {paths[key]}", replaced.add(key)
        lines.append(line)
    assert replaced == set(paths), f"directives missing from the example: {set(paths) - replaced}"
    return "\n".join([*lines, f"user {getpass.getuser()}", ""])


class ExampleBroker(Service):
    """A Mosquitto of the given version running the rewritten example config."""

    def start_with(self, conf: Path, tls_port: int, version: str) -> ExampleBroker:
        self._spawn([mosquitto_binary(version), "-c", str(conf)])
        wait_for_port(tls_port, proc=self.proc)
        return self


def start_example_broker(
    workdir: Path, password_file: Path, acl_file: Path, version: str = "2.0.11"
) -> ExampleBroker:
    """The example config with this test's certificate, password file and ACL; the broker
    knows its ``tls_port`` and the ``ca`` that signed its certificate."""
    workdir.mkdir(parents=True, exist_ok=True)
    certs = make_certificates(workdir)
    tls_port, plain_port = free_port(), free_port()
    conf = workdir / "mosquitto.conf"
    conf.write_text(
        rewrite_example(
            (EXAMPLES / "mosquitto.conf.example").read_text(),
            tls_port,
            plain_port,
            {
                "certfile": str(certs["server.crt"]),
                "keyfile": str(certs["server.key"]),
                "password_file": str(password_file),
                "acl_file": str(acl_file),
                "persistence_location": f"{workdir}/",
                "log_dest": "stdout",
            },
        )
    )
    server = ExampleBroker("mosquitto", workdir, plain_port).start_with(conf, tls_port, version)
    server.tls_port, server.ca = tls_port, certs["ca.crt"]
    return server


def connect(
    port: int,
    account: MqttAccount | None = None,
    *,
    ca: Path | None = None,
    client_id: str = "",
    clean: bool = True,
    keepalive: int = 20,
) -> tuple[mqtt.Client, queue.Queue]:
    """A connected client (MQTT 3.1.1, as the agents speak) and the queue its messages land
    in; raises if the broker refuses."""
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=clean)
    if account:
        client.username_pw_set(account.username, account.password)
    if ca:
        client.tls_set(ca_certs=str(ca))
    answers, messages = queue.Queue(), queue.Queue()
    client.on_connect = lambda c, u, flags, reason, props: answers.put(reason)
    client.on_message = lambda c, u, msg: messages.put(msg.topic)
    client.connect("127.0.0.1", port, keepalive=keepalive)
    deadline = time.monotonic() + 5
    while answers.empty() and time.monotonic() < deadline:
        client.loop(timeout=0.05)  # no network thread until the login is accepted
    reason = answers.get_nowait()
    if reason.is_failure:
        client.disconnect()
        raise ConnectionRefusedError(str(reason))
    client.loop_start()
    return client, messages


def subscribed(port: int, account: MqttAccount, **kwargs) -> tuple[mqtt.Client, queue.Queue]:
    """A client subscribed to every schoolnet topic, once the broker has acknowledged it."""
    client, messages = connect(port, account, **kwargs)
    acked = queue.Queue()
    client.on_subscribe = lambda *args: acked.put(True)
    client.subscribe("schoolnet/#", qos=1)
    acked.get(timeout=5)
    return client, messages


def publish_all(client: mqtt.Client, topics: list[str]) -> None:
    for topic in topics:
        client.publish(topic, b"{}", qos=1).wait_for_publish(timeout=5)


def received_until(messages: queue.Queue, last: str) -> list[str]:
    """Topics received up to ``last``; the broker forwards one publisher's messages in order."""
    seen = []
    while not seen or seen[-1] != last:
        seen.append(messages.get(timeout=5))
    return seen


def stop(*clients: mqtt.Client) -> None:
    for client in clients:
        client.disconnect()  # first: the network thread then ends at once
        client.loop_stop()
