"""Fixtures of the route tests. ``rt`` / ``api``: a runtime on a SQLite registry with the test
schools, nothing else running, and an operator's client on an injected ``clock``. ``runtime`` /
``http``: a collector running against a broker of the test's own and the session's InfluxDB,
with a province token's client."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from schoolnet_collector.api.auth import get_clock
from schoolnet_collector.app import create_app
from schoolnet_collector.core.config import load_settings
from schoolnet_collector.runtime import Runtime
from tests.support.alerting import Clock
from tests.support.collector import (
    bearer,
    collector_settings,
    make_token,
    running_collector,
    write_schools,
)


@pytest.fixture()
def rt(tmp_path):
    settings = load_settings(
        None,
        registry={
            "url": f"sqlite:///{tmp_path}/registry.sqlite3",
            "schools_file": str(write_schools(tmp_path)),
        },
        ingest={"data_dir": str(tmp_path / "data")},
    )
    runtime = Runtime.open(settings)
    yield runtime
    runtime.close()


@pytest.fixture()
def clock():
    return Clock()


@pytest.fixture()
def api(rt, clock):
    app = create_app(rt)
    app.dependency_overrides[get_clock] = lambda: clock
    with TestClient(app, headers=bearer(make_token(rt, role="operator", name="so-cntt"))) as client:
        yield client


@pytest.fixture()
def runtime(tmp_path, fresh_mosquitto, influxdb, influx_db_name):
    """A broker of the test's own: no retained availability left by other tests."""
    with running_collector(
        collector_settings(tmp_path, fresh_mosquitto, influxdb, influx_db_name)
    ) as rt:
        yield rt


@pytest.fixture()
def http(runtime):
    """A client with a province token, as the planners' scripts and Grafana use the API."""
    with TestClient(create_app(runtime), headers=bearer(make_token(runtime))) as c:
        yield c
