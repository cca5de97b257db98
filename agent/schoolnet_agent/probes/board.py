"""Interactive boards on the school network, seen from the gateway.

A networked board (an interactive flat panel with its own Android/Windows module) is the
gateway's sub-device, kind ``board``: present when one of its TCP ports answers (a refused
connection counts: the board's network stack replied), optionally polled over PJLink when the
panel offers it. ``uptime_seconds`` is how long the gateway has seen it present without a
break, which is what "is the board used / left on" needs; the panel itself does not tell.

A board that is only a touch frame on a PC's USB port has no network presence: the PC's own
agent reports it (``board_usb.py``).
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from schoolnet_agent.probes.base import Field, Probe, ProbeContext
from schoolnet_agent.probes.helpers.pjlink import (
    PORT,
    PJLinkAuthError,
    PJLinkClient,
    PJLinkError,
    PJLinkUnreachable,
    poll,
)
from schoolnet_agent.protocol import Sample
from schoolnet_agent.settings.checks import (
    Boolean,
    Check,
    Host,
    Ident,
    Integer,
    Invalid,
    Number,
    Text,
)
from schoolnet_agent.util.logonce import LogLimiter

log = logging.getLogger(__name__)


class Ports(Check):
    expected = "a non-empty list of TCP ports 1-65535"

    def check(self, value: Any) -> list[int]:
        if not isinstance(value, list) or not value or len(value) > 16:
            raise Invalid()
        return [Integer(1, 65535).check(v) for v in value]


@dataclass
class BoardSettings:
    """One ``[[boards]]`` entry of the gateway's configuration."""

    id: str
    host: str
    tcp_ports: list[int] = field(default_factory=lambda: [PORT])
    pjlink: bool = False
    pjlink_port: int = PORT
    password: str | None = None
    timeout_seconds: float = 2.0

    KEYS: ClassVar[dict[str, Check]] = {
        "id": Ident(),
        "host": Host(),
        "tcp_ports": Ports(),
        "pjlink": Boolean(),
        "pjlink_port": Integer(1, 65535),
        "password": Text(),
        "timeout_seconds": Number(0.1, 60),
    }


def tcp_presence(host: str, port: int, timeout: float) -> bool:
    """True when the host's network stack answers on ``port``: accepted or actively refused."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except ConnectionRefusedError:
        return True
    except OSError:
        return False


class BoardProbe(Probe):
    name = "board"
    description = (
        "An interactive board on the school network, checked by the gateway (its "
        "own device, kind `board`)."
    )
    fields = (
        Field("reachable", "bool", "one of the board's `tcp_ports` answered (accepted or refused)"),
        Field(
            "uptime_seconds",
            "seconds",
            "time the gateway has seen the board present without a break (0 when absent)",
        ),
        Field("power_on", "bool", "PJLink power on or warming (boards with `pjlink = true`)"),
        Field("state", "text", "PJLink `on`, `off`, `cooling`, `warming` or `unreachable`"),
        Field("error", "bool", "PJLink reports an error or warning"),
    )
    settings_model = BoardSettings

    def __init__(
        self,
        settings: BoardSettings,
        *,
        presence: Callable[[str, int, float], bool] = tcp_presence,
        connect: Callable[..., PJLinkClient] = PJLinkClient,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.settings = settings
        self.presence = presence
        self.connect = connect
        self.clock = clock
        self.reachable = False
        self.inventory: dict[str, Any] | None = None
        self._since: float | None = None
        self._limiter = LogLimiter(log)

    @classmethod
    def from_settings(cls, settings: BoardSettings, context: ProbeContext) -> BoardProbe:
        return cls(settings)

    def collect(self) -> list[Sample]:
        s = self.settings
        now = self.clock()
        self.reachable = any(self.presence(s.host, port, s.timeout_seconds) for port in s.tcp_ports)
        values: dict[str, Any] = {"reachable": int(self.reachable)}
        if s.pjlink:
            values.update(self._pjlink())
        if self.reachable:
            if self._since is None:
                self._since = now
        else:
            self._since = None
        values["uptime_seconds"] = round(now - self._since, 1) if self._since is not None else 0
        return [self.sample(values)]

    def _pjlink(self) -> dict[str, Any]:
        s = self.settings
        try:
            with self.connect(s.host, s.pjlink_port, s.password, s.timeout_seconds) as client:
                status = poll(client)
        except PJLinkUnreachable:
            return {"state": "unreachable", "power_on": 0}
        except PJLinkAuthError as exc:
            self._limiter.log(
                f"auth:{s.id}",
                logging.ERROR,
                "board %s: %s; check its password in [[boards]]",
                s.id,
                exc,
            )
            return {}
        except PJLinkError as exc:
            self._limiter.log(f"pjlink:{s.id}", logging.WARNING, "board %s: %s", s.id, exc)
            return {}
        self.inventory = {
            k: v
            for k, v in {
                "manufacturer": status.manufacturer,
                "model": status.model,
                "serial": status.serial,
                "name": status.name,
            }.items()
            if v is not None
        }
        return {
            "state": status.power,
            "power_on": None if status.power is None else int(status.power in ("on", "warming")),
            "error": int(status.failure or any(v > 0 for v in status.errors.values())),
        }
