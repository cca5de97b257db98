"""Migration 0009 on SQLite and PostgreSQL: addresses keep their rows and gain an empty key;
the way down drops the key column and keeps the addresses."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect, text

from schoolnet_collector.registry.db import make_engine
from tests.support.backends import alembic


def _columns(engine):
    return {c["name"] for c in inspect(engine).get_columns("contact_addresses")}


def test_0009_adds_a_key_per_address_and_back(registry_url):
    engine = make_engine(registry_url)
    previous = "0008"
    try:
        alembic(engine, command.upgrade, previous)
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO contacts (name, role, language, active) "
                    "VALUES ('Thầy Minh', 'province', 'vi', true)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO contact_addresses (contact_id, channel, address, position) "
                    "SELECT id, 'webhook', 'https://hook.example.invalid/a', 0 FROM contacts"
                )
            )
        assert "secret" not in _columns(engine)
        alembic(engine, command.upgrade, "0009")
        assert "secret" in _columns(engine)
        with engine.begin() as conn:
            rows = conn.execute(text("SELECT address, secret FROM contact_addresses")).all()
            assert [tuple(r) for r in rows] == [("https://hook.example.invalid/a", None)]
            conn.execute(text("UPDATE contact_addresses SET secret = 'k1'"))
        alembic(engine, command.downgrade, previous)
        assert "secret" not in _columns(engine)
        with engine.begin() as conn:
            assert conn.execute(text("SELECT count(*) FROM contact_addresses")).scalar() == 1
    finally:
        engine.dispose()
