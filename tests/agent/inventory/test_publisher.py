"""The inventory publisher: sent at start, then only on change, retried after a failed
collection or send; the running agent publishes it retained at each start."""

from __future__ import annotations

import pytest

from schoolnet_agent.inventory.publisher import InventoryPublisher
from schoolnet_agent.protocol import INVENTORY, decode


def test_publisher_sends_at_start_then_only_on_change():
    clock = [0.0]
    inventory = {"machine_id": "a" * 32, "ram_bytes": 2 * 2**30}
    sent, seq = [], iter(range(10, 100))
    publisher = InventoryPublisher(
        "lc-test-01",
        "pc-01",
        "lab_pc",
        lambda: next(seq),
        lambda out: sent.append(out) or True,
        lambda: dict(inventory),
        clock=lambda: clock[0],
        check_every=3600,
    )
    assert publisher.tick() and len(sent) == 1
    for t in (60, 1800, 3700):  # not due, not due, due but unchanged
        clock[0] = t
        assert not publisher.tick()
    inventory["ram_bytes"] = 4 * 2**30  # a RAM upgrade
    clock[0] = 7400
    assert publisher.tick() and len(sent) == 2
    out = sent[-1]
    assert out.channel == INVENTORY and out.retain and out.device is None
    report = decode(out.payload)
    assert report["inventory"]["ram_bytes"] == 4 * 2**30 and report["seq"] == 11


def test_publisher_retries_after_a_failed_collection_or_send(caplog):
    clock = [0.0]
    results = [RuntimeError("WMI busy"), {"machine_id": "b" * 32}, {"machine_id": "b" * 32}]

    def collect():
        r = results.pop(0)
        if isinstance(r, Exception):
            raise r
        return r

    handed = [False, True]
    publisher = InventoryPublisher(
        "lc-test-01",
        "pc-01",
        "lab_pc",
        lambda: 1,
        lambda out: handed.pop(0),
        collect,
        clock=lambda: clock[0],
        check_every=100,
    )
    assert not publisher.tick() and "WMI busy" in caplog.text
    clock[0] = 100
    assert not publisher.tick(), "not handed over"
    clock[0] = 200
    assert publisher.tick(), "same inventory, but never sent: sent now"


def test_the_running_agent_publishes_its_inventory_retained_at_each_start(mosquitto, tmp_path):
    import signal

    from tests.support.agent_process import TOPIC, start_agent, write_config
    from tests.support.mqtt import Subscriber, clear_retained

    config = write_config(tmp_path, mosquitto.port, interval=1)
    ids = []
    try:
        for run in range(2):
            sub = Subscriber(mosquitto.port, topic=TOPIC + "inventory")
            proc = start_agent(config, tmp_path / "agent.log")
            try:
                msg = sub.wait_for(TOPIC + "inventory", timeout=20)
                if run == 1:  # first the retained one of the last run, then this start's own
                    assert msg.retain
                    msg = sub.wait_for(TOPIC + "inventory", timeout=20)
                assert not msg.retain, "live delivery; the broker keeps it retained"
                report = decode(msg.payload)
                ids.append(report["inventory"]["machine_id"])
                assert report["device"] == "pc-02" and report["inventory"]["ram_bytes"] > 0
                with pytest.raises(AssertionError):  # unchanged: not sent again every interval
                    sub.wait_for(TOPIC + "inventory", timeout=2.5)
            finally:
                proc.send_signal(signal.SIGTERM)
                proc.wait(20)
                sub.close()
    finally:
        clear_retained(mosquitto.port, TOPIC + "inventory", TOPIC + "availability")
    assert ids[0] == ids[1], "the same machine keeps its machine_id across restarts"
    assert (tmp_path / "state" / "identity.json").exists()
