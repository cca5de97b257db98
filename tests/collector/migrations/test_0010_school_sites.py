"""Migration 0010 on SQLite and PostgreSQL: every school keeps its row, devices and incidents
and is a school (``site_of`` empty); the way down drops the column and keeps the rows, a site
becoming a school again."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect, text

from schoolnet_collector.registry.db import make_engine
from tests.support.backends import alembic


def _columns(engine):
    return {c["name"] for c in inspect(engine).get_columns("schools")}


def _indexes(engine):
    return {i["name"] for i in inspect(engine).get_indexes("schools")}


def test_0010_adds_the_unit_of_a_site_and_back(registry_url):
    engine = make_engine(registry_url)
    previous = "0009"
    try:
        alembic(engine, command.upgrade, previous)
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO schools (id, name, province, legacy_district, level, "
                    "legacy_province, updated_at) VALUES "
                    "('so-gddt-lab', 'Phòng máy', 'lao-cai', 'lao-cai', 'other', 'lao-cai', "
                    "CURRENT_TIMESTAMP)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO devices (school_id, device_id, kind, first_seen, last_seen) "
                    "VALUES ('so-gddt-lab', 'pc-1', 'admin_pc', CURRENT_TIMESTAMP, "
                    "CURRENT_TIMESTAMP)"
                )
            )
        assert "site_of" not in _columns(engine)
        alembic(engine, command.upgrade, "0010")
        assert "site_of" in _columns(engine) and "ix_schools_site_of" in _indexes(engine)
        with engine.begin() as conn:
            assert conn.execute(text("SELECT id, site_of FROM schools")).all() == [
                ("so-gddt-lab", None)
            ]
            conn.execute(text("UPDATE schools SET site_of = 'lao-cai'"))
        alembic(engine, command.downgrade, previous)
        assert "site_of" not in _columns(engine) and "ix_schools_site_of" not in _indexes(engine)
        with engine.begin() as conn:
            assert conn.execute(text("SELECT count(*) FROM schools")).scalar() == 1
            # the column went without copying the table: the device is still there
            assert conn.execute(text("SELECT count(*) FROM devices")).scalar() == 1
        alembic(engine, command.upgrade, "0010")
        assert "site_of" in _columns(engine)
    finally:
        engine.dispose()
