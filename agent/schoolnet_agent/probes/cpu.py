"""CPU: busy share since the previous report, per-mode shares, load averages, logical CPUs.

Shares are computed from ``psutil.cpu_times()`` differences kept by the probe itself, so the
first report after start is the average since boot instead of a meaningless 0 (psutil's
``cpu_percent(interval=None)`` returns 0.0 on its first call).
"""

from __future__ import annotations

from typing import Any

import psutil

from schoolnet_agent.probes.base import Field, Probe
from schoolnet_agent.protocol import Sample

MODES = ("user", "system", "iowait", "steal", "idle")


class CpuProbe(Probe):
    name = "cpu"
    description = "Processor use over the last interval (all CPUs together)."
    fields = (
        Field("usage_percent", "percent", "busy time: everything but idle and iowait"),
        Field("user_percent", "percent", "time in user programs (includes nice)", optional=True),
        Field(
            "system_percent", "percent", "time in the kernel, including interrupts", optional=True
        ),
        Field("iowait_percent", "percent", "idle while waiting for disk I/O (Linux): a slow disk"),
        Field(
            "steal_percent",
            "percent",
            "time taken by the hypervisor (virtual machines)",
            optional=True,
        ),
        Field("idle_percent", "percent", "idle time", optional=True),
        Field("load1", "number", "load average over 1 minute (emulated on Windows)"),
        Field("load5", "number", "load average over 5 minutes", optional=True),
        Field("load15", "number", "load average over 15 minutes", optional=True),
        Field("logical_count", "count", "logical CPUs", optional=True),
    )

    def __init__(self, ps: Any = psutil) -> None:
        self.ps = ps
        self._last: dict[str, float] | None = None

    def collect(self) -> list[Sample]:
        now = self._modes(self.ps.cpu_times())
        before = self._last or dict.fromkeys(now, 0.0)
        self._last = now
        delta = {k: max(now[k] - before.get(k, 0.0), 0.0) for k in now}
        total = sum(delta.values())
        values: dict[str, Any] = {
            f"{m}_percent": round(100.0 * delta[m] / total, 2) if total else None
            for m in MODES
            if m in delta
        }
        if total:
            values["usage_percent"] = round(
                100.0 - values["idle_percent"] - values.get("iowait_percent", 0.0), 2
            )
        load = self.ps.getloadavg()
        values.update(
            load1=round(load[0], 2),
            load5=round(load[1], 2),
            load15=round(load[2], 2),
            logical_count=self.ps.cpu_count(),
        )
        return [self.sample(values)]

    @staticmethod
    def _modes(times: Any) -> dict[str, float]:
        """Fold psutil's OS-specific modes into MODES, each second counted once."""
        t = times._asdict()
        guest = t.get("guest", 0.0) + t.get("guest_nice", 0.0)  # already inside user/nice
        out = {
            "user": t["user"] + t.get("nice", 0.0) - guest,
            "system": t["system"]
            + sum(t.get(k, 0.0) for k in ("irq", "softirq", "interrupt", "dpc")),
            "idle": t["idle"],
        }
        for mode in ("iowait", "steal"):
            if mode in t:
                out[mode] = t[mode]
        return out
