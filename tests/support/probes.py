"""Probes made for tests: ones that fail in each way a real probe can, one that reports a
reading and an event when told, and a registry with the real probes and these."""

from __future__ import annotations

from schoolnet_agent.probes import PROBES
from schoolnet_agent.probes.base import Field, Probe
from schoolnet_agent.probes.registry import Registration, Registry
from schoolnet_agent.protocol import Event, Sample


class Exploding(Probe):
    name = "exploding"
    description = "raises on every collect"
    fields = (Field("x_count", "count", "never sent"),)

    def collect(self):
        raise OSError("sensor bus gone")


class BrokenAtStart(Probe):
    name = "broken"
    description = "raises in its constructor"
    fields = ()

    def __init__(self):
        raise RuntimeError("no such device")

    def collect(self):
        return []


class Sloppy(Probe):
    name = "sloppy"
    description = "emits some values the contract refuses"
    fields = (
        Field("good_bytes", "bytes", ""),
        Field("ratio_percent", "percent", ""),
        Field("label", "number", ""),
    )

    def collect(self):
        return [
            self.sample(
                {"good_bytes": 10, "ratio_percent": float("nan"), "label": "x" * 300, "surprise": 1}
            ),
            Sample("not_me", {"good_bytes": 1}),
            self.sample({"ratio_percent": float("inf")}, instance="only-bad"),
        ]


REGISTRY = Registry(
    [
        *PROBES,
        Registration("exploding", f"{__name__}:Exploding"),
        Registration("broken", f"{__name__}:BrokenAtStart"),
        Registration("missing", "schoolnet_agent.probes.no_such_module:Nothing"),
        Registration("sloppy", f"{__name__}:Sloppy"),
    ]
)


class Changing(Probe):
    """Reports a reading every time and, when told, an event once."""

    name = "changing"
    description = "test probe"
    fields = (Field("value_count", "count", "a reading"),)

    def __init__(self, queued=()):
        self.queued = list(queued)

    def collect(self):
        return [self.sample({"value_count": 1})]

    def events(self):
        out, self.queued = self.queued, []
        return out


class Failing(Changing):
    name = "failing"

    def events(self):
        raise RuntimeError("state lost")


FAILOVER = Event(
    "uplink_changed",
    {
        "from_type": "fibre",
        "to_type": "cellular",
        "from_isp": "VNPT",
        "to_isp": "Viettel",
        "reason": "failover",
    },
    severity="warning",
    message="uplink fibre (VNPT) -> cellular (Viettel): failover",
)
