"""Migration 0012 on SQLite and PostgreSQL: contacts gain an empty ``commune``; a district
contact of before the reform keeps its row, role and district, and is never turned into a
commune contact (a district became several communes: only a person knows which)."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect, text

from schoolnet_collector.registry.db import make_engine
from tests.support.backends import alembic

PREVIOUS = "0010"


def _columns(engine):
    return {c["name"] for c in inspect(engine).get_columns("contacts")}


def test_0012_adds_the_commune_and_keeps_district_contacts_as_they_were(registry_url):
    engine = make_engine(registry_url)
    try:
        alembic(engine, command.upgrade, PREVIOUS)
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO contacts (name, role, district, language, active) "
                    "VALUES ('Phòng GDĐT Bát Xát', 'district', 'bat-xat', 'vi', true)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO contact_addresses (contact_id, channel, address, position) "
                    "SELECT id, 'email', 'pgd@example.invalid', 0 FROM contacts"
                )
            )
        assert "commune" not in _columns(engine)
        alembic(engine, command.upgrade, "0012")
        assert "commune" in _columns(engine)
        assert "ix_contacts_commune" in {i["name"] for i in inspect(engine).get_indexes("contacts")}
        with engine.begin() as conn:
            rows = conn.execute(text("SELECT role, district, commune FROM contacts")).all()
            assert [tuple(r) for r in rows] == [("district", "bat-xat", None)]
            conn.execute(text("UPDATE contacts SET commune = '08044'"))
            assert conn.execute(text("SELECT count(*) FROM contact_addresses")).scalar() == 1
        alembic(engine, command.downgrade, PREVIOUS)
        assert "commune" not in _columns(engine)
        with engine.begin() as conn:
            assert conn.execute(text("SELECT count(*) FROM contacts")).scalar() == 1
            # Neither way touches the contacts' addresses (a table copy on SQLite would cascade).
            assert conn.execute(text("SELECT count(*) FROM contact_addresses")).scalar() == 1
    finally:
        engine.dispose()
