"""Fixtures that start real services on free loopback ports (see devenv/services.py), and the
markers that let a run choose what it needs.

Markers (``pytest -m``): ``services`` (starts real Mosquitto, InfluxDB, VictoriaMetrics,
PostgreSQL, SMTP, Chromium or a process of ours that talks to one), ``netns`` (creates network
namespaces: root), ``slow`` (more than a few seconds). A test that uses one of the service
fixtures below is marked ``services`` automatically; a test that starts a service itself says so
with the marker. ``make test-fast`` runs what needs none of them and forbids starting a service
(``SCHOOLNET_TEST_NO_SERVICES``), so a test marked wrongly fails there instead of slowing it.
"""

from __future__ import annotations

import hashlib
import sys
import uuid
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from devenv.services import InfluxDB1, Mosquitto, PostgreSQL, VictoriaMetrics
from tests.support.accounts import COLLECTOR, DEVICE_ACCOUNTS, SIMULATOR
from tests.support.mqtt import PC01, ROOT, Subscriber, clear_retained

SERVICE_FIXTURES = frozenset(
    {
        "mosquitto",
        "fresh_mosquitto",
        "influxdb",
        "influx_db_name",
        "victoria",
        "postgresql",
        "postgresql_url",
        "subscriber",
        "transport",
        "smtp_server",
        "browser",
        "browser_page",
    }
)
"""Fixtures (here or in a nearer conftest) that start a real service."""


def pytest_collection_modifyitems(config, items):
    for item in items:
        if SERVICE_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.services)
        if item.get_closest_marker("netns"):
            item.add_marker(pytest.mark.services)


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
    name = "t_" + "".join(c if c.isalnum() else "_" for c in request.node.name)
    if len(name) > 62:  # cut, but still one per test: "[1]" and "[100]" must not share one
        name = name[:53] + "_" + hashlib.sha1(request.node.name.encode()).hexdigest()[:8]
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
    from schoolnet_agent.delivery.transport import MqttTransport
    from schoolnet_agent.settings.mqtt import MqttSettings

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
