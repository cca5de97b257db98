"""Progress of a simulation: per-process snapshots and the one line a person reads.

Each worker process sends a ``Snapshot`` every few seconds; the supervisor prints their sum.
``lag`` is how late the latest reports left compared with their schedule: near zero while the
machine keeps up, growing when it does not.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from schoolnet_collector.simulator.school_sim import SchoolSim


@dataclass
class Snapshot:
    part: int = 0
    devices: int = 0  # devices that report (online school, not broken)
    schools: int = 0
    connected: int = 0
    sent: int = 0  # messages handed to the broker connection
    spooled: int = 0  # messages waiting in the schools' spools
    dropped: int = 0  # oldest spooled messages given up because a spool was full
    down: int = 0  # schools whose simulated link is down
    failover: int = 0  # dual-line schools running on the backup line
    lag: float = 0.0  # worst lateness since the previous snapshot, seconds


def snapshot_of(part: int, sims: Sequence[SchoolSim], lag: float) -> Snapshot:
    return Snapshot(
        part=part,
        devices=sum(len(s.devices) for s in sims),
        schools=len(sims),
        connected=sum(s.transport.connected for s in sims),
        sent=sum(s.sent for s in sims),
        spooled=sum(len(s.spool) for s in sims),
        dropped=sum(s.dropped for s in sims),
        down=sum(s.link.down for s in sims),
        failover=sum(s.link.failover for s in sims),
        lag=lag,
    )


def total(snapshots: list[Snapshot]) -> Snapshot:
    out = Snapshot(part=-1)
    for snap in snapshots:
        for f in fields(Snapshot):
            if f.name == "lag":
                out.lag = max(out.lag, snap.lag)
            elif f.name != "part":
                setattr(out, f.name, getattr(out, f.name) + getattr(snap, f.name))
    return out


class ProgressLine:
    def __init__(self, out: TextIO):
        self.out = out
        self.last_t = 0.0
        self.last_sent = 0

    def print(self, elapsed: float, snap: Snapshot) -> None:
        rate = (snap.sent - self.last_sent) / max(elapsed - self.last_t, 1e-9)
        print(
            f"[{elapsed:6.0f} s] devices {snap.devices} | schools connected "
            f"{snap.connected}/{snap.schools} | sent {snap.sent} | {rate:7.1f} msg/s | "
            f"lag {snap.lag:.2f} s | spooled {snap.spooled} | down {snap.down} | "
            f"failover {snap.failover}",
            file=self.out,
            flush=True,
        )
        self.last_t, self.last_sent = elapsed, snap.sent
