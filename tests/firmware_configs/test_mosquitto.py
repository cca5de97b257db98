"""firmware_configs/mosquitto: the production example config and ACL, run by Mosquitto 2.0.11
(Debian bookworm) and 2.0.21 (bookworm-backports, what a Sở installs today): every test runs on
both.

The example is rewritten only where a test must differ from production: its two listeners move
to free loopback ports, file paths point at the test's directory (a CA and server certificate
that the test makes with openssl), logs go to stdout. The ACL file is the example itself.
Then real MQTT clients prove what docs/protocol.md promises: TLS with a trusted certificate
only, no anonymous login, a PC writes only its own subtree, a gateway only its own school.
"""

from __future__ import annotations

import socket
import ssl

import pytest

from devenv.mqtt_auth import write_password_file
from devenv.services import MOSQUITTO_VERSIONS, MqttAccount
from tests.support.example_broker import (
    EXAMPLES,
    connect,
    publish_all,
    received_until,
    start_example_broker,
    stop,
    subscribed,
)

pytestmark = pytest.mark.services

SCHOOL, OTHER_SCHOOL = "lc-bxa-th-012", "lc-sp-mn-003"
ACCOUNTS = {
    name: MqttAccount(name, f"{name.replace('/', '-')}-secret")
    for name in ("collector", SCHOOL, f"{SCHOOL}/pc01", f"{SCHOOL}/pc02", OTHER_SCHOOL)
}


@pytest.fixture(scope="module", params=sorted(MOSQUITTO_VERSIONS))
def broker(tmp_path_factory, request):
    workdir = tmp_path_factory.mktemp("example-broker")
    write_password_file(workdir / "passwd", ACCOUNTS.values())
    server = start_example_broker(
        workdir, workdir / "passwd", EXAMPLES / "acl.example", version=request.param
    )
    yield server
    server.stop()


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
    assert tls_handshake(broker.tls_port, ssl.create_default_context(cafile=broker.ca)) in (
        "TLSv1.2",
        "TLSv1.3",
    )


def test_pc_writes_only_its_own_subtree_and_reads_nothing(broker):
    collector, collected = subscribed(broker.port, ACCOUNTS["collector"])
    pc02, pc02_sees = subscribed(broker.tls_port, ACCOUNTS[f"{SCHOOL}/pc02"], ca=broker.ca)
    pc01, _ = connect(broker.tls_port, ACCOUNTS[f"{SCHOOL}/pc01"], ca=broker.ca)
    own, last = topic(SCHOOL, "pc01"), topic(SCHOOL, "pc01", "events")
    publish_all(
        pc01,
        [
            topic(SCHOOL, "pc02"),
            own,
            topic(SCHOOL, "gw"),
            topic(OTHER_SCHOOL, "pc01"),
            f"schoolnet/v1/{SCHOOL}/telemetry",
            last,
        ],
    )
    assert received_until(collected, last) == [own, last]
    assert pc02_sees.empty()  # devices have no read rights, not even on their school's topics
    stop(collector, pc02, pc01)


def test_gateway_writes_every_device_of_its_school_and_nothing_else(broker):
    collector, collected = subscribed(broker.port, ACCOUNTS["collector"])
    gateway, _ = connect(broker.tls_port, ACCOUNTS[SCHOOL], ca=broker.ca)
    projector, last = (
        topic(SCHOOL, "projector-01", "inventory"),
        topic(SCHOOL, "gw", "availability"),
    )
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


@pytest.mark.parametrize(
    "keepalive",
    [
        20,  # mqtt.keepalive's default
        60,  # budget.gateway_keepalive: a gateway on a metered link
        600,  # budget.keepalive: a PC on a metered link
        3600,  # the most either setting accepts
    ],
)
def test_every_keepalive_the_agents_use_is_accepted(broker, keepalive):
    """Mosquitto since 2.0.12 refuses an MQTT 3.1.1 client whose keepalive exceeds
    max_keepalive (2.0.11 lets it through): a metered PC must still get in, and publish."""
    collector, collected = subscribed(broker.port, ACCOUNTS["collector"])
    pc, _ = connect(broker.tls_port, ACCOUNTS[f"{SCHOOL}/pc01"], ca=broker.ca, keepalive=keepalive)
    publish_all(pc, [topic(SCHOOL, "pc01")])
    assert received_until(collected, topic(SCHOOL, "pc01")) == [topic(SCHOOL, "pc01")]
    stop(collector, pc)
