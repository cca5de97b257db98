"""The checkpoint replay requests count from: it advances only while the broker cannot be
holding older messages back."""

from __future__ import annotations

from schoolnet_collector.ingest.checkpoint import Checkpoint
from schoolnet_collector.ingest.spool import Spool


def test_checkpoint_advances_only_while_the_broker_cannot_hold_older_messages(tmp_path):
    now = [1000.0]
    spool = Spool(tmp_path / "s.sqlite3", 1024**2)
    cp = Checkpoint(spool, window=100, settle_seconds=2.0, clock=lambda: now[0])
    assert cp.tick(None, 0) is None  # never connected
    cp.connected()
    now[0] += 1
    assert cp.tick(None, 0) is None  # still settling: a resumed backlog may follow
    now[0] += 2
    assert cp.tick(None, 0) == 1_003_000  # caught up: now
    now[0] += 1
    assert cp.tick(1_003_500, 10) == 1_003_500  # the oldest message not yet stored
    now[0] += 1
    assert cp.tick(1_004_900, 60) == 1_003_500  # at half the window: broker may be holding back
    cp.disconnected()
    now[0] += 10
    assert cp.tick(None, 0) == 1_003_500  # away: the broker may queue (and lose)
    spool.close()
    again = Checkpoint(Spool(tmp_path / "s.sqlite3", 1024**2), window=100)
    assert again.value == 1_003_500 and again.replay_since(120) == 1_003_500 - 120_000
