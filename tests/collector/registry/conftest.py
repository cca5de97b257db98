"""Fixtures of the registry's tests, each on both back-ends (SQLite, and PostgreSQL where a
service may start): a migrated engine, and sessions on a registry with two schools and the
packaged calendar."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from schoolnet_collector.registry.calendar_file import import_calendar
from schoolnet_collector.registry.db import make_engine, migrate, session_factory
from schoolnet_collector.registry.models import School
from tests.support.backends import REGISTRY_BACKENDS
from tests.support.collector import S1


@pytest.fixture(params=REGISTRY_BACKENDS)
def sessions(request, tmp_path):
    url = (
        f"sqlite:///{tmp_path / 'registry.sqlite3'}"
        if request.param == "sqlite"
        else request.getfixturevalue("postgresql_url")
    )
    engine = make_engine(url)
    migrate(engine)
    factory = session_factory(engine)
    with factory() as s:
        for sid, district in ((S1, "bat-xat"), ("lc-test-02", "sa-pa")):
            s.add(
                School(
                    id=sid,
                    name=sid,
                    province="lao-cai",
                    district=district,
                    level="thcs",
                    updated_at=datetime.now(timezone.utc),
                )
            )
        s.commit()
        import_calendar(s, None)
    yield factory
    engine.dispose()


@pytest.fixture(params=REGISTRY_BACKENDS)
def registry_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'registry.sqlite3'}"
    return request.getfixturevalue("postgresql_url")


@pytest.fixture()
def engine(registry_url):
    engine = make_engine(registry_url)
    migrate(engine)
    yield engine
    engine.dispose()
