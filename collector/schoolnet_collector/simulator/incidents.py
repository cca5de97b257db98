"""Rare, random link incidents of one school: failover to the backup line, or a full outage.

A school with two fixed lines sometimes loses the active one and runs on the other for a while
(``failover``); any connected school, 3G ones far more often, sometimes loses its internet
altogether (``down``): its devices keep measuring, the agents spool, and the reports arrive
late once the link is back. Rates are per day in the profile; a step is taken at each of the
gateway's reports, so the chance per step is ``rate * interval / 86400``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from schoolnet_collector.simulator.model import School
from schoolnet_collector.simulator.profile import Behaviour


@dataclass(slots=True)
class LinkEvent:
    """A change of the school's link, reported on the gateway's ``events`` channel as the real
    gateway probe does: type ``uplink_changed`` with the ``reason`` (docs/protocol.md)."""

    reason: str  # failover | failback | link_lost | link_back
    severity: str
    message: str
    data: dict[str, str | int]
    type: str = "uplink_changed"

    def as_json(self) -> dict[str, object]:
        return {
            "type": self.type,
            "severity": self.severity,
            "message": self.message,
            "data": {"reason": self.reason, **self.data},
        }


class LinkState:
    __slots__ = ("behaviour", "down_since", "down_until", "enabled", "failover_until", "school")

    def __init__(self, school: School, behaviour: Behaviour, enabled: bool = True):
        self.school = school
        self.behaviour = behaviour
        self.enabled = enabled
        self.down_since = 0.0
        self.down_until = 0.0
        self.failover_until = 0.0

    @property
    def down(self) -> bool:
        return self.down_until > 0

    @property
    def failover(self) -> bool:
        return self.failover_until > 0

    @property
    def active_isp(self) -> str:
        isps = self.school.isps
        return isps[1] if self.failover and len(isps) > 1 else isps[0]

    def step(self, now: float, interval: float, rng: random.Random) -> list[LinkEvent]:
        """Advance to ``now``; return what changed (ends first, then new incidents)."""
        events: list[LinkEvent] = []
        if self.down and now >= self.down_until:
            minutes = int((now - self.down_since) // 60)
            self.down_until = 0.0
            events.append(
                LinkEvent(
                    "link_back",
                    "info",
                    "Đã có kết nối Internet trở lại",
                    {
                        "from_type": "none",
                        "to_type": self.school.uplink,
                        "from_isp": "",
                        "to_isp": self.active_isp,
                        "down_minutes": minutes,
                    },
                )
            )
        if self.failover and now >= self.failover_until:
            self.failover_until = 0.0
            main, backup = self.school.isps
            events.append(
                LinkEvent(
                    "failback",
                    "info",
                    f"Đường truyền {main} hoạt động lại",
                    {
                        "from_type": self.school.uplink,
                        "to_type": self.school.uplink,
                        "from_isp": backup,
                        "to_isp": main,
                    },
                )
            )
        if not self.enabled or self.down:
            return events
        b = self.behaviour
        if rng.random() < b.outage_per_day.get(self.school.uplink, 0.0) * interval / 86400:
            self.down_since = now
            self.down_until = now + 60 * rng.uniform(*b.outage_minutes)
            events.append(
                LinkEvent(
                    "link_lost",
                    "critical",
                    "Mất kết nối Internet",
                    {
                        "from_type": self.school.uplink,
                        "to_type": "none",
                        "from_isp": self.active_isp,
                        "to_isp": "",
                    },
                )
            )
        elif (
            self.school.dual_fixed
            and not self.failover
            and rng.random() < b.failover_per_day * interval / 86400
        ):
            self.failover_until = now + 60 * rng.uniform(*b.failover_minutes)
            main, backup = self.school.isps
            events.append(
                LinkEvent(
                    "failover",
                    "warning",
                    f"Mất đường truyền {main}, chuyển sang {backup}",
                    {
                        "from_type": self.school.uplink,
                        "to_type": self.school.uplink,
                        "from_isp": main,
                        "to_isp": backup,
                    },
                )
            )
        return events
