"""Migration 0013 on SQLite and PostgreSQL: the table of used action links comes and goes, and
a used link goes with the incident it acted on."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect, text

from schoolnet_collector.registry.db import make_engine
from tests.support.backends import alembic


def test_0013_creates_the_used_links_and_back(registry_url):
    engine = make_engine(registry_url)
    try:
        alembic(engine, command.upgrade, "0012")
        assert "used_action_links" not in inspect(engine).get_table_names()
        alembic(engine, command.upgrade, "0013")
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO schools (id, name, province, legacy_district, level, updated_at) "
                    "VALUES ('lc-1', 'T1', 'lao-cai', 'bat-xat', 'thcs', CURRENT_TIMESTAMP)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO incidents (key, rule, school_id, severity, state, summary, "
                    "details, opened_at) VALUES ('k', 'school_offline', 'lc-1', 'critical', "
                    "'acknowledged', 's', '{}', CURRENT_TIMESTAMP)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO used_action_links (jti, incident_id, contact_id, action, used_at) "
                    "SELECT 'a1b2', id, 1, 'acknowledge', CURRENT_TIMESTAMP FROM incidents"
                )
            )
            assert conn.execute(text("SELECT count(*) FROM used_action_links")).scalar() == 1
        alembic(engine, command.downgrade, "0012")
        assert "used_action_links" not in inspect(engine).get_table_names()
    finally:
        engine.dispose()
