"""firmware_configs/mosquitto: the production example config and ACL, run by Debian's Mosquitto.

The example is rewritten only where a test must differ from production: its two listeners move
to free loopback ports, file paths point at the test's directory (a CA and server certificate
that the test makes with openssl), logs go to stdout. The ACL file is the example itself.
Then real MQTT clients prove what docs/protocol.md promises: TLS with a trusted certificate
only, no anonymous login, a PC writes only its own subtree, a gateway only its own school.
"""
from __future__ import annotations

import getpass
import queue
import socket
import ssl
import subprocess
import time
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

from devenv.mqtt_auth import write_password_file
from devenv.services import MqttAccount, Service, find_binary, free_port, wait_for_port

EXAMPLES = Path(__file__).resolve().parent.parent / "firmware_configs" / "mosquitto"
SCHOOL, OTHER_SCHOOL = "lc-bxa-th-012", "lc-sp-mn-003"
ACCOUNTS = {name: MqttAccount(name, f"{name.replace('/', '-')}-secret") for name in (
    "collector", SCHOOL, f"{SCHOOL}/pc01", f"{SCHOOL}/pc02", OTHER_SCHOOL)}


def make_certificates(directory: Path) -> dict[str, Path]:
    """A throwaway CA and a server certificate for 127.0.0.1 signed by it."""
    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=directory, check=True, capture_output=True, timeout=30)

    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=test CA")
    openssl("req", *ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1")
    (directory / "san.ext").write_text("subjectAltName=IP:127.0.0.1\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
            "-out", "server.crt", "-days", "2", "-extfile", "san.ext")
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
    """Debian's mosquitto running the rewritten example config."""

    def start_with(self, conf: Path, tls_port: int) -> "ExampleBroker":
        self._spawn([find_binary("mosquitto", "/usr/sbin/mosquitto"), "-c", str(conf)])
        wait_for_port(tls_port, proc=self.proc)
        return self


@pytest.fixture(scope="module")
def broker(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("example-broker")
    certs = make_certificates(workdir)
    write_password_file(workdir / "passwd", ACCOUNTS.values())
    tls_port, plain_port = free_port(), free_port()
    conf = workdir / "mosquitto.conf"
    conf.write_text(rewrite_example((EXAMPLES / "mosquitto.conf.example").read_text(), tls_port, plain_port, {
        "certfile": str(certs["server.crt"]), "keyfile": str(certs["server.key"]),
        "password_file": str(workdir / "passwd"), "acl_file": str(EXAMPLES / "acl.example"),
        "persistence_location": f"{workdir}/", "log_dest": "stdout"}))
    server = ExampleBroker("mosquitto", workdir, plain_port).start_with(conf, tls_port)
    server.tls_port, server.ca = tls_port, certs["ca.crt"]
    yield server
    server.stop()


def connect(port: int, account: MqttAccount | None = None, *, ca: Path | None = None,
            client_id: str = "", clean: bool = True) -> tuple[mqtt.Client, queue.Queue]:
    """A connected client and the queue its messages land in; raises if the broker refuses."""
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=clean)
    if account:
        client.username_pw_set(account.username, account.password)
    if ca:
        client.tls_set(ca_certs=str(ca))
    answers, messages = queue.Queue(), queue.Queue()
    client.on_connect = lambda c, u, flags, reason, props: answers.put(reason)
    client.on_message = lambda c, u, msg: messages.put(msg.topic)
    client.connect("127.0.0.1", port, keepalive=20)
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


def topic(school: str, device: str, channel: str = "telemetry") -> str:
    return f"schoolnet/v1/{school}/{device}/{channel}"


def test_anonymous_and_wrong_passwords_are_refused(broker):
    with pytest.raises(ConnectionRefusedError, match="Not authorized"):
        connect(broker.tls_port, ca=broker.ca)
    with pytest.raises(ConnectionRefusedError, match="Not authorized"):
        connect(broker.tls_port, MqttAccount(f"{SCHOOL}/pc01", "pc02's password"), ca=broker.ca)


def tls_handshake(port: int, context: ssl.SSLContext) -> str:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        with context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
            return tls.version()


def test_tls_listener_accepts_only_clients_that_trust_its_certificate(broker):
    with pytest.raises(ssl.SSLCertVerificationError):
        tls_handshake(broker.tls_port, ssl.create_default_context())  # the test CA is unknown
    assert tls_handshake(broker.tls_port, ssl.create_default_context(cafile=broker.ca)) in ("TLSv1.2", "TLSv1.3")


def test_pc_writes_only_its_own_subtree_and_reads_nothing(broker):
    collector, collected = subscribed(broker.port, ACCOUNTS["collector"])
    pc02, pc02_sees = subscribed(broker.tls_port, ACCOUNTS[f"{SCHOOL}/pc02"], ca=broker.ca)
    pc01, _ = connect(broker.tls_port, ACCOUNTS[f"{SCHOOL}/pc01"], ca=broker.ca)
    own, last = topic(SCHOOL, "pc01"), topic(SCHOOL, "pc01", "events")
    publish_all(pc01, [topic(SCHOOL, "pc02"), own, topic(SCHOOL, "gw"), topic(OTHER_SCHOOL, "pc01"),
                       f"schoolnet/v1/{SCHOOL}/telemetry", last])
    assert received_until(collected, last) == [own, last]
    assert pc02_sees.empty()  # devices have no read rights, not even on their school's topics
    stop(collector, pc02, pc01)


def test_gateway_writes_every_device_of_its_school_and_nothing_else(broker):
    collector, collected = subscribed(broker.port, ACCOUNTS["collector"])
    gateway, _ = connect(broker.tls_port, ACCOUNTS[SCHOOL], ca=broker.ca)
    projector, last = topic(SCHOOL, "projector-01", "inventory"), topic(SCHOOL, "gw", "availability")
    publish_all(gateway, [topic(OTHER_SCHOOL, "gw"), projector, topic(f"{SCHOOL}x", "gw"), last])
    assert received_until(collected, last) == [projector, last]
    stop(collector, gateway)


def test_collector_session_keeps_reports_while_it_is_away(broker):
    account = ACCOUNTS["collector"]
    collector, _ = subscribed(broker.port, account, client_id="collector-away", clean=False)
    stop(collector)
    pc01, _ = connect(broker.tls_port, ACCOUNTS[f"{SCHOOL}/pc01"], ca=broker.ca)
    sent = [topic(SCHOOL, "pc01") + f"/{n}" for n in range(3)] + [topic(SCHOOL, "pc01", "events")]
    publish_all(pc01, sent)
    stop(pc01)
    back, collected = connect(broker.port, account, client_id="collector-away", clean=False)
    assert received_until(collected, sent[-1]) == sent
    stop(back)
