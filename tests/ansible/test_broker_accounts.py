"""playbooks/broker_accounts.yml on localhost, then Debian's Mosquitto with what it wrote.

The inventory is one school (a gateway and two PCs, one password with ':' in it, which
``mosquitto_passwd -U`` would cut) plus a broker host whose files live in the test's
directory. The password file already holds a PC taken out of this school and a device of
another school: the first must go, the second must stay. The broker then runs the production
example config with these two files, and real clients log in with the inventory's passwords.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from devenv.services import MqttAccount
from tests.support.ansible import ANSIBLE_DIR, run_playbook
from tests.support.example_broker import (
    EXAMPLES,
    connect,
    publish_all,
    received_until,
    start_example_broker,
    stop,
    subscribed,
)

pytestmark = [pytest.mark.services, pytest.mark.slow]


SCHOOL = "lc-bxa-th-012"
PASSWORDS = {
    "lc-bxa-th-012-gw": "gw:pass-1",
    "lc-bxa-th-012-pc01": "pc01:pass-2",
    "lc-bxa-th-012-pc02": "pc02-pass-3",
}
COLLECTOR = MqttAccount("collector", "collector-pass")
PLAY = (ANSIBLE_DIR / "playbooks" / "broker_accounts.yml").read_text()
OLD_ENTRIES = (
    "lc-sp-mn-003/pc01:$7$101$c2FsdHNhbHRzYWx0$aGFzaA==\n"
    f"{SCHOOL}/pc99:$7$101$c2FsdHNhbHRzYWx0$aGFzaA==\n"
)


def broker_inventory(files: Path) -> dict:
    devices = {
        name: {"schoolnet_agent_mqtt_password": password} for name, password in PASSWORDS.items()
    }
    devices["lc-bxa-th-012-gw"]["schoolnet_agent_kind"] = "gateway"
    return {
        "all": {
            "vars": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable},
            "children": {
                "schoolnet_agents": {"vars": {"schoolnet_agent_school": SCHOOL}, "hosts": devices},
                "mosquitto_brokers": {
                    "hosts": {
                        "broker.test": {
                            "schoolnet_broker_accounts_password_file": str(files / "passwd"),
                            "schoolnet_broker_accounts_acl_file": str(files / "acl"),
                            "schoolnet_broker_accounts_group": "root",
                            "schoolnet_broker_accounts_reload": False,
                            "schoolnet_broker_accounts_collectors": [vars(COLLECTOR)],
                        }
                    }
                },
            },
        }
    }


@pytest.fixture(scope="module")
def accounts_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("broker-accounts")
    files = tmp / "mosquitto"
    files.mkdir()
    (files / "passwd").write_text(OLD_ENTRIES)
    first = run_playbook(tmp, broker_inventory(files), PLAY)
    assert first.returncode == 0, first.stdout[-4000:] + first.stderr
    return tmp, files, first


def test_files_name_every_device_and_prune_only_this_school(accounts_run):
    _, files, first = accounts_run
    users = [line.split(":")[0] for line in (files / "passwd").read_text().splitlines()]
    assert sorted(users) == sorted(
        ["lc-sp-mn-003/pc01", "collector", SCHOOL, f"{SCHOOL}/pc01", f"{SCHOOL}/pc02"]
    )
    assert (files / "passwd").stat().st_mode & 0o777 == 0o640

    # The role's ACL says what the documented example says, line for line.
    def rules(text: str) -> list[str]:
        return [line for line in text.splitlines() if line.strip() and not line.startswith("#")]

    assert rules((files / "acl").read_text()) == rules((EXAMPLES / "acl.example").read_text())
    for password in PASSWORDS.values():
        assert password not in first.stdout


def test_second_run_changes_nothing(accounts_run):
    tmp, files, _ = accounts_run
    before = (files / "passwd").read_text()
    again = run_playbook(tmp, broker_inventory(files), PLAY)
    assert again.returncode == 0, again.stdout[-3000:]
    assert "changed=0" in again.stdout.split("PLAY RECAP")[1]
    assert (files / "passwd").read_text() == before


@pytest.fixture(scope="module")
def broker(accounts_run):
    tmp, files, _ = accounts_run
    server = start_example_broker(tmp / "broker", files / "passwd", files / "acl")
    yield server
    server.stop()


def test_devices_log_in_with_inventory_passwords_and_write_only_their_own_topics(broker):
    collector, collected = subscribed(broker.port, COLLECTOR)
    pc01, _ = connect(broker.port, MqttAccount(f"{SCHOOL}/pc01", PASSWORDS["lc-bxa-th-012-pc01"]))
    gateway, _ = connect(broker.port, MqttAccount(SCHOOL, PASSWORDS["lc-bxa-th-012-gw"]))
    own, board = (
        f"schoolnet/v1/{SCHOOL}/pc01/telemetry",
        f"schoolnet/v1/{SCHOOL}/board-01/inventory",
    )
    publish_all(pc01, [f"schoolnet/v1/{SCHOOL}/pc02/telemetry", own])
    publish_all(gateway, ["schoolnet/v1/lc-sp-mn-003/gw/telemetry", board])
    assert received_until(collected, board) == [own, board]  # pc01 was acknowledged first
    stop(collector, pc01, gateway)


@pytest.mark.parametrize(
    "account",
    [
        MqttAccount(f"{SCHOOL}/pc99", "anything"),  # pruned from the file
        MqttAccount(f"{SCHOOL}/pc01", "pc01"),  # the part before ':' alone
        MqttAccount(f"{SCHOOL}/pc02", PASSWORDS["lc-bxa-th-012-pc01"]),
    ],
)
def test_wrong_or_removed_accounts_are_refused(broker, account):
    with pytest.raises(ConnectionRefusedError, match="Not authorized"):
        connect(broker.port, account)


ROLE_ONLY = """
- hosts: mosquitto_brokers
  gather_facts: false
  roles:
    - role: schoolnet_broker_accounts
"""


@pytest.mark.parametrize(
    "username",
    [
        f"{SCHOOL}/pc01/telemetry",  # three levels: %u would reach below a PC's own topics
        f"{SCHOOL}/+",  # a wildcard in %u
        "_control",  # the collector's replay topic, which every agent obeys
        "_alerts",  # the collector's alert topic
        f"{SCHOOL}/",  # an empty device
        f"{SCHOOL.upper()}/pc01",  # ids are lower case; the collector would never read it
    ],
)
def test_a_username_deeper_or_wider_than_a_device_is_refused(tmp_path, username):
    """The ACL's %u pattern is only as narrow as the usernames: the role checks their depth
    and characters before it writes either file."""
    files = tmp_path / "mosquitto"
    files.mkdir()
    inventory = broker_inventory(files)
    broker_vars = inventory["all"]["children"]["mosquitto_brokers"]["hosts"]["broker.test"]
    broker_vars["schoolnet_broker_accounts_devices"] = [
        {"username": f"{SCHOOL}/pc01", "password": "fine-1"},
        {"username": username, "password": "bad-1"},
    ]
    run = run_playbook(tmp_path, inventory, ROLE_ONLY)
    assert run.returncode != 0
    assert "must be <school> or <school>/<device>" in run.stdout, run.stdout[-3000:]
    assert username in run.stdout.replace("\\\\", "\\")
    assert not (files / "passwd").exists() and not (files / "acl").exists()
