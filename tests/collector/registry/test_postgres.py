"""The registry on both backends: SQLite (default) and a real PostgreSQL 15 server.

Migrations go up and down, the schema they build is the one the models describe, and the
rules several collectors rely on (one open incident per key, device upserts) hold on each.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError

from schoolnet_collector.registry.alerting_models import Incident
from schoolnet_collector.registry.db import MIGRATIONS, make_engine, migrate, session_factory
from schoolnet_collector.registry.devices import DeviceTracker
from schoolnet_collector.registry.models import Base, Device, School
from tests.support.backends import REGISTRY_BACKENDS

T0 = datetime(2026, 11, 24, 8, 0, tzinfo=timezone.utc)
ALERT_TABLES = {
    "contacts",
    "maintenance_windows",
    "school_hours",
    "school_terms",
    "holidays",
    "incidents",
    "incident_events",
    "device_readings",
}


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


def _alembic(engine, action, target):
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        action(cfg, target)


def _school(session, sid="lc-bx-th-001"):
    session.add(
        School(
            id=sid,
            name="Trường TH Bản Xèo",
            province="lao-cai",
            district="bat-xat",
            level="tieu_hoc",
            updated_at=T0,
        )
    )
    session.commit()


def test_migrations_build_the_tables_the_models_describe(engine):
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    ours = [d for d in diff if _table_of(d) in ALERT_TABLES | {"devices"}]
    assert ours == []
    assert set(inspect(engine).get_table_names()) >= ALERT_TABLES


def _table_of(diff) -> str | None:
    """The table an Alembic comparison entry is about (entries differ in shape by kind)."""
    item = diff[0] if isinstance(diff, list) else diff  # modify_* entries come as lists
    kind, rest = item[0], item[1:]
    if kind.endswith("_table"):
        return rest[0].name
    if kind.endswith(("_index", "_constraint", "_fk")):
        return rest[0].table.name
    return rest[1]  # add_column / remove_column / modify_*: (schema, table, ...)


def test_downgrade_removes_the_alert_tables_and_upgrade_restores_them(engine):
    _alembic(engine, command.downgrade, "0001")
    tables = set(inspect(engine).get_table_names())
    assert not (ALERT_TABLES & tables)
    assert "expected_presence" not in {c["name"] for c in inspect(engine).get_columns("devices")}
    _alembic(engine, command.upgrade, "head")
    assert set(inspect(engine).get_table_names()) >= ALERT_TABLES


def test_the_database_allows_one_unresolved_incident_per_key(engine):
    sessions = session_factory(engine)
    with sessions() as s:
        _school(s)

    def incident(state):
        return Incident(
            key="school_offline:lc-bx-th-001",
            rule="school_offline",
            school_id="lc-bx-th-001",
            severity="critical",
            state=state,
            summary="x",
            details={},
            opened_at=T0,
        )

    with sessions() as s:
        s.add(incident("resolved"))
        s.add(incident("resolved"))  # any number of resolved ones
        s.add(incident("open"))
        s.commit()
    with sessions() as s:
        s.add(incident("acknowledged"))
        with pytest.raises(IntegrityError):
            s.commit()
    with sessions() as s:
        assert s.scalar(select(Incident).where(Incident.state != "resolved")).state == "open"


def test_device_sightings_upsert_keeps_the_later_time(engine):
    sessions = session_factory(engine)
    with sessions() as s:
        _school(s)
    later, earlier = DeviceTracker(), DeviceTracker()
    later.report("lc-bx-th-001", "pc-01", "lab_pc", 5, 60, T0 + timedelta(seconds=60))
    earlier.report("lc-bx-th-001", "pc-01", "lab_pc", 4, 60, T0)
    with sessions() as s:
        later.flush(s)
        earlier.flush(s)  # a second collector flushing an older sighting afterwards
    with sessions() as s:
        device = s.get(Device, ("lc-bx-th-001", "pc-01"))
        assert device.last_seen.replace(tzinfo=timezone.utc) == T0 + timedelta(seconds=60)
        assert device.expected_presence is None
