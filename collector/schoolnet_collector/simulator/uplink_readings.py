"""The gateway's ``uplink`` metric: what kind of internet the school has and how good it is.

Fields: type ("fibre" | "cellular"), isp (the active one), fixed (1/0), cellular (1/0),
up (1/0), failover (1 while a dual-line school runs on its backup line), rtt_ms, loss_percent,
bandwidth_in_bps, bandwidth_out_bps (traffic actually carried, bits per second).
A USB 3G modem has far higher round-trip time and loss and a fraction of fibre's bandwidth;
while the link is down the gateway records ``up = 0``, 100 % loss and no round-trip time.
"""

from __future__ import annotations

import random

from schoolnet_agent.protocol import Sample
from schoolnet_collector.simulator.incidents import LinkState
from schoolnet_collector.simulator.model import CELLULAR, School
from schoolnet_collector.simulator.variation import between, clamp, stable_unit


class UplinkReadings:
    __slots__ = ("capacity_bps", "cellular", "loss_base", "rtt_base")

    def __init__(self, seed: int, school: School):
        def unit(tag: str) -> float:
            return stable_unit(seed, school.id, "uplink", tag)

        self.cellular = school.uplink == CELLULAR
        if self.cellular:
            self.capacity_bps = between(unit("cap"), 0.8e6, 6e6)
            self.rtt_base = between(unit("rtt"), 80, 250)
            self.loss_base = between(unit("loss"), 1.0, 6.0)
        else:
            self.capacity_bps = between(unit("cap"), 16e6, 100e6)
            self.rtt_base = between(unit("rtt"), 8, 35)
            self.loss_base = between(unit("loss"), 0.0, 0.5)

    def sample(self, link: LinkState, busy: bool, rng: random.Random) -> Sample:
        fields: dict[str, str | int | float] = {
            "type": "cellular" if self.cellular else "fibre",
            "isp": link.active_isp,
            "fixed": int(not self.cellular),
            "cellular": int(self.cellular),
            "up": int(not link.down),
            "failover": int(link.failover),
        }
        if link.down:
            fields.update(loss_percent=100.0, bandwidth_in_bps=0, bandwidth_out_bps=0)
            return Sample("uplink", fields)
        use = rng.uniform(0.1, 0.7) if busy else rng.uniform(0.005, 0.05)
        bw_in = self.capacity_bps * use * (0.6 if link.failover else 1.0)
        rtt = self.rtt_base * (1 + abs(rng.gauss(0, 0.2)) + use) * (1.3 if link.failover else 1.0)
        loss = clamp(
            self.loss_base * (1 + rng.gauss(0, 0.5)) + (2 * use if self.cellular else 0), 0.0, 100.0
        )
        fields.update(
            rtt_ms=round(rtt, 1),
            loss_percent=round(loss, 2),
            bandwidth_in_bps=int(bw_in),
            bandwidth_out_bps=int(bw_in * rng.uniform(0.1, 0.35)),
        )
        return Sample("uplink", fields)
