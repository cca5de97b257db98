"""Every simulated computer leaves a retained inventory: the keys of docs/protocol.md, values
that follow the device's age."""

from __future__ import annotations

import queue
import time

import pytest

from schoolnet_agent.protocol import decode, parse_topic
from schoolnet_collector.simulator.__main__ import main as simulate
from schoolnet_collector.simulator.fleet import generate_fleet
from schoolnet_collector.simulator.profile_file import load_profile

pytestmark = pytest.mark.timeout(120)

PROTOCOL_KEYS = {
    "machine_id",
    "manufacturer",
    "model",
    "serial",
    "bios_vendor",
    "bios_version",
    "bios_date",
    "cpu_model",
    "cpu_cores",
    "cpu_threads",
    "cpu_bits",
    "os_name",
    "os_version",
    "os_bits",
    "ram_bytes",
    "disk_count",
    "disk_total_bytes",
    "disk0_size_bytes",
    "disk0_type",
    "disk0_model",
    "disk0_smart",
    "smart_failed_count",
    "macs",
}


GIB = 1024**3


def test_every_computer_leaves_a_retained_inventory(fresh_mosquitto, subscriber):
    from tests.support.accounts import SIMULATOR

    argv = [
        "--broker",
        f"127.0.0.1:{fresh_mosquitto.port}",
        "--username",
        SIMULATOR.username,
        "--password",
        SIMULATOR.password,
        "--scale",
        "0.1",
        "--seed",
        "4",
        "--interval",
        "1",
        "--duration",
        "1.5",
        "--no-incidents",
    ]
    assert simulate(argv) == 0
    fleet = generate_fleet(load_profile("lao-cai-2018"), 0.1, 4)
    computers = {
        (s.id, d.id): d
        for s in fleet
        if s.online
        for d in s.devices
        if not d.broken and d.kind in ("gateway", "lab_pc", "admin_pc")
    }
    sub = subscriber(fresh_mosquitto.port, topic="schoolnet/v1/+/+/inventory")  # after the run
    got = {}
    deadline = time.monotonic() + 10
    while len(got) < len(computers) and time.monotonic() < deadline:
        try:
            msg = sub.messages.get(timeout=1)
        except queue.Empty:
            continue
        assert msg.retain
        t = parse_topic(msg.topic)
        got[(t.school, t.device)] = decode(msg.payload)["inventory"]  # a valid report
    assert set(got) == set(computers)
    old = [inv for key, inv in got.items() if computers[key].year < 2010]
    new = [inv for key, inv in got.items() if computers[key].year >= 2010]
    assert old and new
    for key, inv in got.items():
        assert set(inv) == PROTOCOL_KEYS, key
        assert inv["bios_date"].startswith(str(computers[key].year))
        assert inv["smart_failed_count"] == (inv["disk0_smart"] == "failed")
    assert all(inv["ram_bytes"] <= 2 * GIB and inv["disk0_type"] == "hdd" for inv in old)
    assert all(inv["ram_bytes"] >= 2 * GIB and inv["cpu_bits"] == 64 for inv in new)
    assert any(inv["cpu_bits"] == 32 for inv in old)
    assert any(inv["disk0_smart"] == "failed" for inv in old)
