"""The on-disk spool: bounded, crash-safe, a damaged file set aside; and the agent process
that loses nothing when killed -9 while its broker is down."""

from __future__ import annotations

import signal

import pytest

from schoolnet_agent.delivery.spool import ROW_OVERHEAD, Spool
from tests.support.agent_process import (
    DEVICE,
    TOPIC,
    drain,
    reports_of,
    spool_rows,
    start_agent,
    wait_until,
    write_config,
)
from tests.support.mqtt import Subscriber, clear_retained


def report(seq: int, size: int = 200) -> bytes:
    return (b'{"seq":%05d,"pad":"' % seq) + b"x" * size + b'"}'


def test_messages_stay_until_acknowledged_and_survive_reopening(tmp_path):
    spool = Spool(str(tmp_path / "spool.db"))
    ids = [spool.add("telemetry", report(i), backfill=True) for i in range(5)]
    spool.mark_acked(ids[:2])
    spool.close()
    again = Spool(str(tmp_path / "spool.db"))
    assert [r.id for r in again.pending(10)] == ids[2:]
    assert [r.payload for r in again.pending(10)] == [report(i) for i in range(2, 5)]
    stats = again.stats()
    assert (stats.pending, stats.acked, stats.dropped_total) == (3, 2, 0)


def test_live_messages_are_not_backfill_until_the_next_start(tmp_path):
    spool = Spool(str(tmp_path / "spool.db"))
    live = spool.add("telemetry", report(1))
    assert spool.pending(10) == []  # the transport has it
    spool.pending_to_backfill()
    [row] = spool.pending(10)
    assert row.id == live and row.backfill


def test_bound_drops_acknowledged_first_then_oldest_unsent_and_counts_them(tmp_path):
    one = len(report(0)) + ROW_OVERHEAD
    spool = Spool(str(tmp_path / "spool.db"), max_bytes=10 * one)
    acked = [spool.add("telemetry", report(i), backfill=True) for i in range(4)]
    spool.mark_acked(acked)
    for i in range(4, 10):
        spool.add("telemetry", report(i), backfill=True)
    assert spool.stats().stored_bytes == 10 * one
    spool.add("telemetry", report(10), backfill=True)  # the oldest acknowledged goes
    assert spool.stats().acked == 3 and spool.stats().dropped_total == 0
    for i in range(11, 20):
        spool.add("telemetry", report(i), backfill=True)
    stats = spool.stats()
    assert stats.acked == 0 and stats.stored_bytes <= 10 * one
    assert stats.dropped_total == 6  # messages 4..9: the oldest unsent
    assert [r.payload for r in spool.pending(100)] == [report(i) for i in range(10, 20)]
    spool.close()
    assert Spool(str(tmp_path / "spool.db")).stats().dropped_total == 6  # the count persists


def test_the_file_stays_near_its_bound(tmp_path):
    bound = 256 * 1024
    spool = Spool(str(tmp_path / "spool.db"), max_bytes=bound)
    for i in range(3000):  # ~660 KB offered
        spool.add("telemetry", report(i), backfill=True)
    assert spool.stats().stored_bytes <= bound
    spool.close()
    on_disk = sum(p.stat().st_size for p in tmp_path.glob("spool.db*"))
    assert on_disk <= 1.5 * bound + 8192, on_disk


def test_replay_reopens_acknowledged_messages_once_per_request(tmp_path):
    clock = iter(range(1000, 100000, 1000))
    spool = Spool(str(tmp_path / "spool.db"), clock_ms=lambda: next(clock))
    ids = [spool.add("telemetry", report(i)) for i in range(4)]
    for i in ids:
        spool.mark_acked([i])  # acked at 5000, 6000, 7000, 8000
    assert spool.reopen_acked(since_ms=7000) == 2
    assert [r.id for r in spool.pending(10)] == ids[2:]
    assert all(r.backfill for r in spool.pending(10))
    assert spool.handle_request_once("r1") and not spool.handle_request_once("r1")
    spool.close()
    assert not Spool(str(tmp_path / "spool.db")).handle_request_once("r1")


def garble(path):
    data = bytearray(path.read_bytes())
    data[0:16] = b"not a database!!"
    path.write_bytes(bytes(data))


def truncate(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2 + 100])


@pytest.mark.parametrize("damage", [garble, truncate], ids=["garbled", "truncated"])
def test_a_damaged_spool_is_moved_aside_and_a_new_one_started(tmp_path, damage, caplog):
    path = tmp_path / "spool.db"
    spool = Spool(str(path))
    for i in range(200):
        spool.add("telemetry", report(i, 2000), backfill=True)
    spool.close()
    damage(path)
    again = Spool(str(path))
    assert again.quarantined == 1 and again.stats().pending == 0
    assert again.add("telemetry", report(1)) > 0
    aside = list(tmp_path.glob("spool.db.corrupt-*"))
    assert aside and "is damaged" in caplog.text and "moved aside" in caplog.text


def test_the_agent_runs_on_with_a_garbled_spool(mosquitto, tmp_path):
    (tmp_path / "state").mkdir()
    (tmp_path / "state" / "spool.db").write_bytes(b"\x00garbage\xff" * 5000)
    sub = Subscriber(mosquitto.port, topic=TOPIC + "telemetry")
    proc = start_agent(write_config(tmp_path, mosquitto.port), tmp_path / "agent.log")
    try:
        sub.wait_for(TOPIC + "telemetry", timeout=10)
        sub.wait_for(TOPIC + "telemetry", timeout=5)
        assert proc.poll() is None
        assert list((tmp_path / "state").glob("spool.db.corrupt-*"))
        assert "moved aside" in (tmp_path / "agent.log").read_text()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(10)
        sub.close()
        clear_retained(mosquitto.port, TOPIC + "availability")  # and its retained inventory


def test_reports_spooled_while_the_broker_is_down_survive_kill_9(fresh_mosquitto, tmp_path):
    """Broker down; the agent spools; kill -9; broker back, agent restarted: every spooled
    report arrives, each seq once or repeated only as the identical (device, seq, ts)."""
    broker = fresh_mosquitto
    broker.stop()
    config = write_config(tmp_path, broker.port)
    spool_file = tmp_path / "state" / "spool.db"
    proc = start_agent(config, tmp_path / "agent.log")
    try:
        wait_until(
            lambda: spool_file.exists() and len(spool_rows(spool_file)) >= 5,
            20,
            "5 reports spooled",
        )
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    spooled = {
        r["seq"]: r for _, r, acked in spool_rows(spool_file) if acked is None and "metrics" in r
    }
    assert len(spooled) >= 3
    broker.start()
    sub = Subscriber(broker.port, topic=TOPIC + "telemetry")
    proc = start_agent(config, tmp_path / "agent.log")
    try:

        def all_arrived():
            got = {}
            for r in reports_of(drain(sub)):
                got.setdefault(r["seq"], []).append(r)
            return got if set(spooled) <= set(got) else None

        got = wait_until(all_arrived, 20, "every spooled report delivered")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(10)
        sub.close()
    for copies in got.values():
        keys = {(c["device"], c["seq"], c["ts"]) for c in copies}
        assert len(keys) == 1, copies
    for seq, original in spooled.items():
        assert got[seq][0]["backfill"] is True and got[seq][0]["ts"] == original["ts"]
        assert got[seq][0]["device"] == DEVICE
    # After the run, nothing is left unacknowledged (a clean stop records the acks).
    assert not [1 for _, _, acked in spool_rows(spool_file) if acked is None]


def test_reports_awaiting_their_puback_when_the_agent_is_killed_are_sent_again(
    fresh_mosquitto, tmp_path
):
    """The broker freezes (SIGSTOP): the agent keeps publishing live, no PUBACK comes back.
    kill -9, the broker resumes, the agent restarts: every report the spool held
    unacknowledged arrives, as backfill, a duplicate only as the identical (device, seq, ts)."""
    broker = fresh_mosquitto
    config = write_config(tmp_path, broker.port)
    spool_file = tmp_path / "state" / "spool.db"
    sub = Subscriber(broker.port, topic=TOPIC + "telemetry")
    proc = start_agent(config, tmp_path / "agent.log")
    try:
        wait_until(
            lambda: sum(1 for _, r, a in spool_rows(spool_file) if a and "metrics" in r) >= 2,
            15,
            "2 reports acknowledged",
        )
        broker.proc.send_signal(signal.SIGSTOP)
        try:
            wait_until(
                lambda: (
                    sum(1 for _, r, a in spool_rows(spool_file) if a is None and "metrics" in r)
                    >= 3
                ),
                15,
                "3 reports unacked",
            )
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            broker.proc.send_signal(signal.SIGCONT)
        rows = spool_rows(spool_file)
        stored = {r["seq"] for _, r, _ in rows if "metrics" in r}
        unacked = {r["seq"] for _, r, acked in rows if acked is None and "metrics" in r}
        assert len(unacked) >= 3
        proc = start_agent(config, tmp_path / "agent.log")

        def all_arrived():
            got = {}
            for r in reports_of(drain(sub)):
                got.setdefault(r["seq"], []).append(r)
            return got if stored <= set(got) else None

        got = wait_until(all_arrived, 20, "every stored report delivered")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(10)
        sub.close()
    for copies in got.values():
        assert len({(c["device"], c["seq"], c["ts"]) for c in copies}) == 1, copies
    for seq in unacked:
        assert any(c.get("backfill") for c in got[seq]), got[seq]
