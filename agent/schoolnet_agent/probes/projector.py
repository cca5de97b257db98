"""A projector polled by the school's gateway over PJLink, reported as its own device.

One poll per interval: power, error status, lamps, input and the identity strings (class 2 adds
the serial number, software version and filter hours). A projector in eco standby often
switches its network off or stops answering: that is reported as ``state = unreachable`` with
``error = 0``, since an alert that every switched-off projector "failed" would be noise.
``lamp_hours`` is the most-used lamp's (what the replacement decision depends on), and one
sample per lamp (instance ``lamp1``, ``lamp2``) keeps the detail.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from schoolnet_agent.probes.base import Field, Probe, ProbeContext
from schoolnet_agent.probes.helpers.pjlink import (
    ERROR_PARTS,
    PORT,
    PJLinkAuthError,
    PJLinkClient,
    PJLinkError,
    PJLinkProtocolError,
    PJLinkUnreachable,
    Status,
    poll,
)
from schoolnet_agent.protocol import Sample
from schoolnet_agent.settings.checks import Check, Host, Ident, Integer, Number, Text
from schoolnet_agent.util.logonce import LogLimiter

log = logging.getLogger(__name__)

MAX_LAMPS = 8


class Hours(Integer):
    @property
    def expected(self) -> str:
        return f"a number of hours {self.lo}-{self.hi}"


@dataclass
class ProjectorSettings:
    """One ``[[projectors]]`` entry of the gateway's configuration."""

    id: str
    host: str
    port: int = PORT
    password: str | None = None
    timeout_seconds: float = 3.0
    lamp_rated_hours: int | None = None  # from the lamp's datasheet; PJLink does not tell it

    KEYS: ClassVar[dict[str, Check]] = {
        "id": Ident(),
        "host": Host(),
        "port": Integer(1, 65535),
        "password": Text(),
        "timeout_seconds": Number(0.1, 60),
        "lamp_rated_hours": Hours(1, 100_000),
    }


class ProjectorProbe(Probe):
    name = "projector"
    description = (
        "A projector polled over PJLink by the school's gateway (its own device, kind `projector`)."
    )
    instance = "lamp (`lamp1`, `lamp2`; the device-level sample has no instance)"
    fields = (
        Field(
            "reachable",
            "bool",
            "the projector answered PJLink (0: eco standby, unplugged or network off; not a fault)",
        ),
        Field("state", "text", "`on`, `off`, `cooling`, `warming` or `unreachable`"),
        Field("power_on", "bool", "1 when on or warming up"),
        Field(
            "error",
            "bool",
            "1 when any PJLink error or warning is set, or a query "
            "answered ERR4 (projector failure)",
        ),
        *(
            Field(f"error_{part}", "level", f"{part} status: 0 ok, 1 warning, 2 error")
            for part in ERROR_PARTS
        ),
        Field(
            "auth_failed",
            "bool",
            "1 when the projector refused our password (ERRA): check `password` of this projector",
        ),
        Field(
            "lamp_hours",
            "hours",
            "device level: the most-used lamp's hours; per lamp: that lamp's hours",
        ),
        Field("lamp_on", "bool", "per lamp: the lamp is lit"),
        Field(
            "lamp_count",
            "count",
            "lamps reported (absent for LED/laser projectors, which answer LAMP with ERR1)",
        ),
        Field(
            "lamp_rated_hours",
            "hours",
            "rated lamp life from the configuration (`lamp_rated_hours`)",
        ),
        Field("lamp_used_percent", "percent", "lamp_hours / lamp_rated_hours"),
        Field("filter_hours", "hours", "filter usage time (class 2 only)"),
        Field(
            "input",
            "text",
            "selected input, PJLink code (`31` = digital 1; class 2 `3A`); absent in standby",
        ),
        Field("pjlink_class", "number", "PJLink class the projector speaks (1 or 2)"),
    )
    settings_model = ProjectorSettings

    def __init__(
        self, settings: ProjectorSettings, connect: Callable[..., PJLinkClient] = PJLinkClient
    ):
        self.settings = settings
        self.connect = connect
        self.reachable = False
        self.inventory: dict[str, Any] | None = None
        self._limiter = LogLimiter(log)

    @classmethod
    def from_settings(cls, settings: ProjectorSettings, context: ProbeContext) -> ProjectorProbe:
        return cls(settings)

    def collect(self) -> list[Sample]:
        s = self.settings
        try:
            with self.connect(s.host, s.port, s.password, s.timeout_seconds) as client:
                status = poll(client)
        except PJLinkUnreachable as exc:
            self.reachable = False
            self._limiter.log(
                f"unreachable:{s.id}",
                logging.INFO,
                "projector %s does not answer (%s): standby or unplugged",
                s.id,
                exc,
            )
            return [
                self.sample({"reachable": 0, "state": "unreachable", "power_on": 0, "error": 0})
            ]
        except PJLinkAuthError as exc:
            self.reachable = True
            self._limiter.log(
                f"auth:{s.id}",
                logging.ERROR,
                "projector %s: %s; check its password in [[projectors]]",
                s.id,
                exc,
            )
            return [self.sample({"reachable": 1, "auth_failed": 1})]
        except PJLinkProtocolError as exc:
            self.reachable = True
            self._limiter.log(
                f"protocol:{s.id}",
                logging.WARNING,
                "projector %s does not speak PJLink as expected: %s",
                s.id,
                exc,
            )
            return [self.sample({"reachable": 1})]
        except PJLinkError as exc:  # pragma: no cover - every subclass is handled above
            raise RuntimeError(str(exc)) from None
        self.reachable = True
        if status.command_errors:
            log.debug("projector %s: refused queries %s", s.id, status.command_errors)
        self.inventory = projector_inventory(status)
        return self.samples(status)

    def samples(self, status: Status) -> list[Sample]:
        lamps = status.lamps[:MAX_LAMPS]
        hours = max((h for h, _ in lamps), default=None)
        rated = self.settings.lamp_rated_hours
        values: dict[str, Any] = {
            "reachable": 1,
            "state": status.power,
            "power_on": None if status.power is None else int(status.power in ("on", "warming")),
            "error": int(status.failure or any(v > 0 for v in status.errors.values())),
            **{f"error_{part}": level for part, level in status.errors.items()},
            "auth_failed": 0,
            "lamp_hours": hours,
            "lamp_count": len(lamps) if "LAMP" not in status.command_errors else None,
            "lamp_rated_hours": rated,
            "lamp_used_percent": round(100.0 * hours / rated, 1)
            if rated and hours is not None
            else None,
            "filter_hours": status.filter_hours,
            "input": status.input,
            "pjlink_class": status.pjclass,
        }
        samples = [self.sample(values)]
        samples += [
            self.sample({"lamp_hours": h, "lamp_on": int(lit)}, instance=f"lamp{i}")
            for i, (h, lit) in enumerate(lamps, start=1)
        ]
        return samples


def projector_inventory(status: Status) -> dict[str, Any]:
    """The projector's inventory (keys of docs/protocol.md); keys absent when unknown."""
    values = {
        "manufacturer": status.manufacturer,
        "model": status.model,
        "serial": status.serial,
        "name": status.name,
        "firmware_version": status.software_version,
        "lamp_count": len(status.lamps) if "LAMP" not in status.command_errors else None,
        "pjlink_class": status.pjclass,
    }
    return {k: v for k, v in values.items() if v is not None}
