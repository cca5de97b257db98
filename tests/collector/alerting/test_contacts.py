"""Contacts' addresses by channel kind: the file's columns (one per registered channel) become
``contact_addresses`` rows, a wrong address is named by line and column, an unknown kind is
refused."""

from __future__ import annotations

import pytest

from schoolnet_collector.alerting.contacts import address_fields, import_contacts
from schoolnet_collector.channels import REGISTRY
from schoolnet_collector.registry.alerting_models import Contact, ContactAddress
from tests.support.collector import S1


@pytest.fixture()
def sessions(tmp_path):
    from schoolnet_collector.registry.db import make_engine, migrate, session_factory
    from schoolnet_collector.registry.schools import import_schools
    from tests.support.collector import write_schools

    engine = make_engine(f"sqlite:///{tmp_path / 'r.sqlite3'}")
    migrate(engine)
    factory = session_factory(engine)
    with factory() as s:
        import_schools(s, write_schools(tmp_path))
    yield factory
    engine.dispose()


def test_each_contact_channel_has_a_column_and_the_file_keeps_todays_headers():
    assert address_fields() == ("email", "telegram_chat_id", "webhook_url")
    assert [u.name for u in REGISTRY.contact_units()] == ["email", "telegram", "webhook"]


def test_import_stores_addresses_by_channel_and_names_a_bad_cell(sessions, tmp_path):
    path = tmp_path / "contacts.csv"
    path.write_text(
        "name,role,school_id,email,telegram_chat_id,webhook_url\n"
        f"Cô Lan,school_it,{S1},lan@example.invalid,-1001,\n"
        f"Thầy Bình,school_it,{S1},,not a chat,\n"
        f"Cô Hoa,school_it,{S1},,,ftp://hook.example.invalid\n",
        encoding="utf-8",
    )
    with sessions() as s:
        result = import_contacts(s, path)
    assert result.imported == 1
    assert result.errors == [
        (
            "contacts.csv:3: telegram_chat_id: 'not a chat' is not a Telegram chat id "
            "(a number, or @channelname)"
        ),
        "contacts.csv:4: webhook_url: 'ftp://hook.example.invalid' is not an http(s) URL",
    ]
    with sessions() as s:
        (lan,) = s.query(Contact).all()  # nothing of the bad rows was stored
        assert [(a.channel, a.address) for a in lan.addresses] == [
            ("email", "lan@example.invalid"),
            ("telegram", "-1001"),
        ]
    path.write_text(
        f"name,role,school_id,email,telegram_chat_id\nCô Lan,school_it,{S1},,-1001\n",
        encoding="utf-8",
    )
    with sessions() as s:
        assert import_contacts(s, path).imported == 1
    with sessions() as s:
        (lan,) = s.query(Contact).all()
        assert [(a.channel, a.address) for a in lan.addresses] == [("telegram", "-1001")]
        assert s.query(ContactAddress).count() == 1


@pytest.mark.parametrize("kind", ["zalo", "mqtt", "", "EMAIL"])
def test_an_address_of_an_unknown_channel_kind_is_refused(kind):
    contact = Contact(name="x", role="province")
    with pytest.raises(ValueError, match="unknown channel"):
        contact.set_addresses(kind, ["someone"])
    with pytest.raises(ValueError, match="unknown channel"):
        ContactAddress(channel=kind, address="someone")
