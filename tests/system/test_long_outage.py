"""A 3G school's day without its link, time compressed: a lab PC on a metered link reports
every (compressed) 5 minutes for 24 hours while the broker is out of reach. The spool, bounded
small, keeps the newest reports within its bound and counts the oldest it drops; after the
link returns the backlog drains in paced batches, nothing else is lost, and the reports made
during the drain arrive without waiting for the backlog."""

from __future__ import annotations

import time

from schoolnet_agent.config import AgentConfig, ProbeSettings
from schoolnet_agent.delivery.settings import BudgetSettings, SpoolSettings
from schoolnet_agent.protocol import decode, encode
from schoolnet_agent.protocol.batch import decode_batch
from schoolnet_agent.runner import Runner
from schoolnet_agent.settings.device import DeviceSettings, StateSettings
from schoolnet_agent.settings.mqtt import MqttSettings
from tests.support.mqtt import Subscriber

BATCH = "schoolnet/v1/lc-test-01/pc-01/batch"
DAY_OF_REPORTS = 24 * 60 // 5  # one every 5 minutes: 288
BOUND_BYTES = 96 * 1024  # room for about half of them


def test_a_day_offline_fills_the_spool_within_its_bound_and_drains_after(fresh_mosquitto, tmp_path):
    broker = fresh_mosquitto
    config = AgentConfig(
        DeviceSettings("lc-test-01", "pc-01", "lab_pc", 300),
        MqttSettings(
            port=broker.port,
            username="lc-test-01/pc-01",
            password="pc-secret-01",
            reconnect_min_delay=0.1,
            reconnect_max_delay=0.3,
        ),
        ProbeSettings(enabled=["cpu", "mem", "disk", "system"]),
        StateSettings(str(tmp_path / "state")),
        spool=SpoolSettings(max_mb=BOUND_BYTES / 1024 / 1024, replay_rate=4, replay_inflight=2),
        budget=BudgetSettings(metered=True, batch_reports=6, batch_seconds=1),
    )
    # The collector's persistent session: the broker keeps what arrives while it reconnects.
    sub = Subscriber(
        broker.port, topic=BATCH, client_id=f"outage-{tmp_path.name}"[:60], clean=False
    )
    broker.stop()  # the 3G link is down
    runner = Runner(config)
    runner.transport.start()
    runner.delivery.start()
    try:
        for _ in range(DAY_OF_REPORTS):  # 24 hours of reports, compressed
            runner.tick()
        stats = runner.delivery.spool.stats()
        assert stats.stored_bytes <= BOUND_BYTES
        assert 0 < stats.dropped_total < DAY_OF_REPORTS
        on_disk = sum(p.stat().st_size for p in (tmp_path / "state").glob("spool.db*"))
        assert on_disk <= 2 * BOUND_BYTES + 1024 * 1024  # file + WAL (checkpointed at 1 MiB)

        broker.start()  # the link is back
        assert runner.transport.wait_connected(10)
        got: dict[int, dict] = {}
        live_during_drain = []
        first_seq_after = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            report_seq = runner.sequence._next  # the seq the next tick will use
            runner.tick()  # a compressed 5-minute report during the drain
            first_seq_after = first_seq_after if first_seq_after is not None else report_seq
            time.sleep(0.25)
            while not sub.messages.empty():
                msg = sub.messages.get_nowait()
                arrived = time.time()
                for r in decode_batch(msg.payload):
                    decode(encode(r))  # each report valid on its own
                    got.setdefault(r["seq"], r)
                    if not r.get("backfill"):
                        live_during_drain.append((arrived, r))
            if not runner.delivery.spool.pending(1) and DAY_OF_REPORTS - 1 in got:
                break  # no backfill left, the last arrived
        drained_at = time.time()
        final = runner.delivery.spool.stats()
    finally:
        runner.delivery.stop()
        runner.transport.stop()
        runner.delivery.close()
        sub.close()
    # Every report made offline arrived, except the oldest, which were dropped and counted
    # (reports made during the drain still push the oldest of a full spool out):
    offline = range(DAY_OF_REPORTS)
    kept_seqs = [s for s in offline if s in got]
    assert kept_seqs == list(range(DAY_OF_REPORTS - len(kept_seqs), DAY_OF_REPORTS))
    assert stats.dropped_total <= DAY_OF_REPORTS - len(kept_seqs) <= final.dropped_total
    assert all(got[s].get("backfill") is True for s in kept_seqs)
    assert all(s in got for s in range(DAY_OF_REPORTS, first_seq_after))
    # Live reports went out in their own batches while the backlog was still draining.
    early = [r for t, r in live_during_drain if t < drained_at - 1.0]
    assert early, "no live report arrived before the backlog had drained"
