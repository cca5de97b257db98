"""Migration 0007 on SQLite and PostgreSQL: the contacts' email, telegram_chat_id and
webhook_url columns become ``contact_addresses`` rows and come back on the way down."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect, text

from schoolnet_collector.registry.alerting_models import Contact
from schoolnet_collector.registry.db import make_engine, migrate, session_factory
from tests.support.backends import alembic


def test_0007_moves_the_address_columns_into_rows_and_back(registry_url):
    engine = make_engine(registry_url)
    try:
        alembic(engine, command.upgrade, "0006")
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO schools (id, name, province, district, level, updated_at) "
                    "VALUES ('lc-test-01', 'T1', 'lao-cai', 'bat-xat', 'thcs', CURRENT_TIMESTAMP)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO contacts (name, role, school_id, email, telegram_chat_id, "
                    "webhook_url, language, active) VALUES "
                    "('Cô Lan', 'school_it', 'lc-test-01', 'lan@example.invalid', '-1001', "
                    "NULL, 'vi', true), "
                    "('Phòng GD', 'district', NULL, NULL, NULL, 'https://hook.example.invalid/x', "
                    "'en', true), "
                    "('Trống', 'province', NULL, '', NULL, NULL, 'vi', false)"
                )
            )
            conn.execute(text("UPDATE contacts SET district = 'bat-xat' WHERE role = 'district'"))
        alembic(engine, command.upgrade, "0007")
        columns = {c["name"] for c in inspect(engine).get_columns("contacts")}
        assert not columns & {"email", "telegram_chat_id", "webhook_url"}
        alembic(engine, command.upgrade, "head")  # the models are today's (later columns)
        with session_factory(engine)() as s:
            by_name = {c.name: c for c in s.query(Contact)}
            assert by_name["Cô Lan"].address_list("email") == ["lan@example.invalid"]
            assert by_name["Cô Lan"].address_list("telegram") == ["-1001"]
            assert by_name["Cô Lan"].address_list("webhook") == []
            assert by_name["Phòng GD"].address_list("webhook") == ["https://hook.example.invalid/x"]
            assert by_name["Trống"].addresses == []  # an empty cell is no address
            by_name["Cô Lan"].set_addresses(
                "email", ["lan2@example.invalid", "lan@example.invalid"]
            )
            s.commit()
        alembic(engine, command.downgrade, "0006")
        assert "contact_addresses" not in inspect(engine).get_table_names()
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT name, email, telegram_chat_id, webhook_url FROM contacts ORDER BY id")
            ).all()
        assert [tuple(r) for r in rows] == [
            ("Cô Lan", "lan2@example.invalid", "-1001", None),  # the first of its kind
            ("Phòng GD", None, None, "https://hook.example.invalid/x"),
            ("Trống", None, None, None),
        ]
        migrate(engine)
        assert "contact_addresses" in inspect(engine).get_table_names()
    finally:
        engine.dispose()
