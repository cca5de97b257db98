"""The transport over TLS against a real Mosquitto with a TLS listener and a test CA."""

from __future__ import annotations

import logging
import subprocess
import uuid

import pytest

from devenv.services import Mosquitto, free_port, wait_for_port
from schoolnet_agent.delivery.transport import MqttTransport
from schoolnet_agent.settings.mqtt import MqttSettings
from tests.support.mqtt import Subscriber

pytestmark = pytest.mark.services


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_ca(directory, name):
    openssl(
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        f"{name}.key",
        "-out",
        f"{name}.crt",
        "-days",
        "2",
        "-subj",
        f"/CN={name}",
        cwd=directory,
    )
    return directory / f"{name}.crt"


class TlsMosquitto(Mosquitto):
    """The project's broker configuration plus a TLS listener on 127.0.0.1 (server cert for
    IP 127.0.0.1 only, signed by a CA of the test's own)."""

    def __init__(self, workdir, accounts, **kw):
        super().__init__(workdir, accounts, **kw)
        self.tls_port = free_port()

    def write_config(self):
        conf = super().write_config()
        d = self.workdir
        self.ca = make_ca(d, "ca")
        openssl(
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=broker",
            cwd=d,
        )
        (d / "san.ext").write_text("subjectAltName=IP:127.0.0.1\n")
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
            cwd=d,
        )
        with open(conf, "a") as f:
            f.write(
                f"listener {self.tls_port} 127.0.0.1\ncafile {d}/ca.crt\n"
                f"certfile {d}/server.crt\nkeyfile {d}/server.key\n"
            )
        return conf

    def start(self):
        super().start()
        wait_for_port(self.tls_port, proc=self.proc)
        return self


@pytest.fixture(scope="module")
def tls_broker(tmp_path_factory):
    from tests.support.accounts import COLLECTOR, DEVICE_ACCOUNTS

    broker = TlsMosquitto(tmp_path_factory.mktemp("mosquitto-tls"), [COLLECTOR, *DEVICE_ACCOUNTS])
    broker.start()
    yield broker
    broker.stop()


@pytest.fixture()
def tls_transport(tls_broker):
    made = []

    def make(host="127.0.0.1", **kw):
        settings = MqttSettings(
            host=host,
            port=tls_broker.tls_port,
            username="lc-test-01/pc-01",
            password="pc-secret-01",
            tls=True,
            reconnect_min_delay=0.1,
            reconnect_max_delay=0.3,
            **kw,
        )
        t = MqttTransport(settings, "lc-test-01", "pc-01", client_id=f"tls-{uuid.uuid4().hex[:6]}")
        made.append(t)
        t.start()
        return t

    yield make
    for t in made:
        t.stop()


def test_publishes_over_tls(tls_broker, tls_transport):
    sub = Subscriber(tls_broker.port, topic="schoolnet/v1/lc-test-01/pc-01/telemetry")
    try:
        t = tls_transport(ca_file=str(tls_broker.ca))
        assert t.wait_connected(5)
        t.publish("telemetry", b"sealed")
        assert sub.wait_for("schoolnet/v1/lc-test-01/pc-01/telemetry", b"sealed")
    finally:
        sub.close()


def test_a_broker_signed_by_another_ca_is_refused_with_the_reason(tmp_path, tls_transport, caplog):
    caplog.set_level(logging.DEBUG, logger="schoolnet_agent.delivery.transport")
    t = tls_transport(ca_file=str(make_ca(tmp_path, "rogue")))
    assert not t.wait_connected(1.0)
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1, warnings
    assert "TLS certificate not accepted: self-signed certificate" in warnings[0]


def test_host_name_check_and_tls_insecure(tls_broker, tls_transport, caplog):
    """The certificate names 127.0.0.1; reaching it as "localhost" fails unless tls_insecure."""
    strict = tls_transport(host="localhost", ca_file=str(tls_broker.ca))
    lax = tls_transport(host="localhost", ca_file=str(tls_broker.ca), tls_insecure=True)
    assert lax.wait_connected(5)
    assert not strict.wait_connected(0.5)
    assert "TLS certificate not accepted: Hostname mismatch" in caplog.text
