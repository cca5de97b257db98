"""Migration 0008 on SQLite and PostgreSQL: today's schools keep their district as
``legacy_district``, their province as ``legacy_province``, and have no commune yet ("chưa gán
xã"); the way down brings the district column back and drops the units."""

from __future__ import annotations

from alembic import command
from sqlalchemy import func, inspect, select, text

from schoolnet_collector.registry.db import make_engine, migrate, session_factory
from schoolnet_collector.registry.models import School
from tests.support.backends import alembic


def test_0008_keeps_the_district_as_history_and_back(registry_url):
    engine = make_engine(registry_url)
    try:
        alembic(engine, command.upgrade, "0007")
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO schools (id, name, province, district, district_name, level, "
                    "updated_at) VALUES "
                    "('lc-a-01', 'A', 'lao-cai', 'bat-xat', 'Bát Xát', 'thcs', CURRENT_TIMESTAMP), "
                    "('lc-b-01', 'B', 'lao-cai', 'sa-pa', NULL, 'thpt', CURRENT_TIMESTAMP)"
                )
            )
        alembic(engine, command.upgrade, "0008")
        columns = {c["name"] for c in inspect(engine).get_columns("schools")}
        assert "district" not in columns
        assert {"legacy_district", "legacy_province", "commune"} <= columns
        with session_factory(engine)() as s:
            # columns, not the model: the model has the columns of later migrations too
            a = s.execute(
                select(School.legacy_district, School.legacy_province, School.commune).where(
                    School.id == "lc-a-01"
                )
            ).one()
            assert tuple(a) == ("bat-xat", "lao-cai", None)
            unassigned = select(func.count(School.id)).where(School.commune.is_(None))
            assert s.scalar(unassigned) == 2  # reported as chưa gán xã, not dropped
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO units (code, name, type, parent, updated_at) VALUES "
                    "('lao-cai', 'Tỉnh Lào Cai', 'tinh', NULL, CURRENT_TIMESTAMP), "
                    "('08044', 'Xã Bát Xát', 'xa', 'lao-cai', CURRENT_TIMESTAMP)"
                )
            )
            conn.execute(text("UPDATE schools SET commune = '08044' WHERE id = 'lc-a-01'"))
        alembic(engine, command.downgrade, "0007")
        assert "units" not in inspect(engine).get_table_names()
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT id, district, district_name FROM schools ORDER BY id")
            ).all()
        assert [tuple(r) for r in rows] == [
            ("lc-a-01", "bat-xat", "Bát Xát"),
            ("lc-b-01", "sa-pa", None),
        ]
        indexes = {i["name"] for i in inspect(engine).get_indexes("schools")}
        assert "ix_schools_district" in indexes
        migrate(engine)
        assert "units" in inspect(engine).get_table_names()
    finally:
        engine.dispose()
