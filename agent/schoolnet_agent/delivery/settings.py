"""``[spool]`` and ``[budget]``: how the delivery stores, paces and rations what it sends.

Each model carries the checks of its keys (``KEYS``), which the config loader applies to the
file and the environment; the meaning of each value is in ``spooled.py`` and ``budget.py``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, ClassVar, cast

from schoolnet_agent.settings.checks import Boolean, Check, Choice, Integer, Invalid, Number, Text

MB = 1024 * 1024


@dataclass
class SpoolSettings:
    enabled: bool = True
    file: str | None = None  # default: <state.directory>/spool.db
    max_mb: float = 64.0
    sync: str = "full"  # "full": fsync every stored message; "normal": at checkpoints
    replay_rate: float = 20.0  # backfill messages a second
    replay_inflight: int = 10  # in-flight slots backfill may hold (of mqtt.max_inflight)
    keep_acked: bool = True  # keep acknowledged messages (within max_mb) for replay requests
    resend_window_seconds: float = 3600.0  # on a lost session, re-send what was acked this recently

    KEYS: ClassVar[dict[str, Check]] = {
        "enabled": Boolean(),
        "file": Text(),
        "max_mb": Number(0.01, 1e6, "megabytes"),
        "sync": Choice(("full", "normal")),
        "replay_rate": Number(0.1, 1e5, "messages a second"),
        "replay_inflight": Integer(1, 65535),
        "keep_acked": Boolean(),
        "resend_window_seconds": Number(0, 31 * 86400),
    }

    def path(self, state_directory: str) -> str:
        return self.file or os.path.join(state_directory, "spool.db")


class MeteredMode(Check):
    """``"auto"``, ``true`` or ``false``."""

    expected = '"auto", true or false'
    WORDS: ClassVar[dict[str, Any]] = {
        "auto": "auto",
        "true": True,
        "yes": True,
        "1": True,
        "on": True,
        "false": False,
        "no": False,
        "0": False,
        "off": False,
    }

    def parse_env(self, text: str) -> Any:
        return self.WORDS.get(text.strip().lower(), text)

    def check(self, value: Any) -> str | bool:
        if value == "auto" or isinstance(value, bool):
            return cast("str | bool", value)
        raise Invalid()


@dataclass
class BudgetSettings:
    metered: str | bool = "auto"
    school_monthly_mb: float = 30.0  # the school's whole telemetry budget a month
    school_devices: int = 30  # devices sharing it (each gets an equal share)
    interval_seconds: float = 300.0  # report interval on a metered link
    batch_reports: int = 12  # reports per batch message
    batch_seconds: float = 3600.0  # send a batch at least this often
    keepalive: int = 600  # MQTT keepalive of a PC on a metered link
    gateway_keepalive: int = 60  # ... and of the gateway (its Will: the school-offline alert)
    lean: bool = True  # leave out the fields the probes declare optional

    KEYS: ClassVar[dict[str, Check]] = {
        "metered": MeteredMode(),
        "school_monthly_mb": Number(0.1, 1e6, "megabytes"),
        "school_devices": Integer(1, 100000),
        "interval_seconds": Number(1, 86400),
        "batch_reports": Integer(1, 256),
        "batch_seconds": Number(1, 86400),
        "keepalive": Integer(1, 3600),
        "gateway_keepalive": Integer(1, 3600),
        "lean": Boolean(),
    }

    @property
    def device_share_bytes(self) -> int:
        return int(self.school_monthly_mb * MB / self.school_devices)
