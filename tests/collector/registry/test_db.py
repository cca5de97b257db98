"""The registry on both backends: SQLite (default) and a real PostgreSQL 15 server.

Migrations go up and down, the schema they build is the one the models describe, and the
rule several collectors rely on (one open incident per key) holds on each.
"""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError

from schoolnet_collector.registry.alerting_models import Incident
from schoolnet_collector.registry.db import session_factory
from schoolnet_collector.registry.models import Base
from tests.support.backends import T0, add_school, alembic

ALERT_TABLES = {
    "contacts",
    "contact_addresses",
    "maintenance_windows",
    "school_hours",
    "school_terms",
    "holidays",
    "incidents",
    "incident_events",
    "device_readings",
}


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
    alembic(engine, command.downgrade, "0001")
    tables = set(inspect(engine).get_table_names())
    assert not (ALERT_TABLES & tables)
    assert "expected_presence" not in {c["name"] for c in inspect(engine).get_columns("devices")}
    alembic(engine, command.upgrade, "head")
    assert set(inspect(engine).get_table_names()) >= ALERT_TABLES


def test_the_database_allows_one_unresolved_incident_per_key(engine):
    sessions = session_factory(engine)
    with sessions() as s:
        add_school(s)

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
