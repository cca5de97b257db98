"""Fixtures that start real services on free loopback ports (see devenv/services.py).

Every device account used by the tests is declared here so that Mosquitto's password file
and ACL are the production ones: a device can write only under its own topics.
"""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mqtt_helpers import PC01, ROOT, Subscriber, clear_retained  # noqa: E402

from devenv.services import InfluxDB1, Mosquitto, MqttAccount, PostgreSQL, VictoriaMetrics  # noqa: E402

COLLECTOR = MqttAccount("collector", "collector-secret")
SIMULATOR = MqttAccount("simulator", "simulator-secret")
# A school gateway (username = school) and two PCs (username = school/device) in two schools.
DEVICE_ACCOUNTS = [
    MqttAccount("lc-test-01", "gw-secret-01"),
    MqttAccount("lc-test-01/pc-01", "pc-secret-01"),
    MqttAccount("lc-test-01/pc-02", "pc-secret-02"),
    MqttAccount("lc-test-02", "gw-secret-02"),
    MqttAccount("lc-test-02/pc-01", "pc-secret-21"),
]


@pytest.fixture(scope="session")
def mosquitto(tmp_path_factory):
    broker = Mosquitto(
        tmp_path_factory.mktemp("mosquitto"),
        [COLLECTOR, SIMULATOR, *DEVICE_ACCOUNTS],
        collectors=(COLLECTOR.username,),
        simulators=(SIMULATOR.username,),
    )
    broker.start()
    yield broker
    broker.stop()


@pytest.fixture()
def fresh_mosquitto(tmp_path):
    """A broker of the test's own, for tests that kill or restart it."""
    broker = Mosquitto(
        tmp_path / "mosquitto",
        [COLLECTOR, SIMULATOR, *DEVICE_ACCOUNTS],
        collectors=(COLLECTOR.username,),
        simulators=(SIMULATOR.username,),
    )
    broker.start()
    yield broker
    broker.stop()


@pytest.fixture(scope="session")
def influxdb(tmp_path_factory):
    server = InfluxDB1(tmp_path_factory.mktemp("influxdb")).start()
    yield server
    server.stop()


@pytest.fixture()
def influx_db_name(influxdb, request):
    """A database of the test's own inside the session's InfluxDB."""
    name = "t_" + "".join(c if c.isalnum() else "_" for c in request.node.name)[:60]
    influxdb.create_database(name)
    return name


@pytest.fixture(scope="session")
def victoria(tmp_path_factory):
    server = VictoriaMetrics(tmp_path_factory.mktemp("victoria")).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def postgresql(tmp_path_factory):
    """A PostgreSQL 15 server for the session (``postgresql_url`` gives a test its database)."""
    server = PostgreSQL(tmp_path_factory.mktemp("postgresql")).start()
    yield server
    server.stop()


@pytest.fixture()
def postgresql_url(postgresql):
    """The SQLAlchemy URL of a fresh database of the test's own on the session's PostgreSQL."""
    return postgresql.create_database("t_" + uuid.uuid4().hex[:16])


@pytest.fixture()
def subscriber(mosquitto):
    """Collector-side paho subscribers, closed after the test."""
    subs = []

    def make(port=None, **kw):
        s = Subscriber(port or mosquitto.port, **kw)
        subs.append(s)
        return s

    yield make
    for s in subs:
        s.close()


@pytest.fixture()
def transport(mosquitto):
    """Agent transports logged in as test devices; their retained state is cleared after."""
    from schoolnet_agent.transport import MqttSettings, MqttTransport

    made = []

    def make(account=PC01, school="lc-test-01", device="pc-01", port=None, **settings):
        user, password = account
        s = MqttSettings(
            port=port or mosquitto.port,
            username=user,
            password=password,
            reconnect_min_delay=0.1,
            reconnect_max_delay=0.5,
            **settings,
        )
        t = MqttTransport(s, school, device, client_id=f"{school}.{device}.{uuid.uuid4().hex[:6]}")
        made.append(t)
        return t

    yield make
    for t in made:
        t.stop()
    clear_retained(mosquitto.port, *{f"{ROOT}/{t.school}/{t.device}/availability" for t in made})
