"""Readings of the devices a school's gateway probes: projectors, boards, printers, cameras.

Field lists (units in the names, see docs/protocol.md):
  projector: power_on (1/0), lamp_hours, lamp_rated_hours, error (1/0)
  board:     reachable (1/0), uptime_seconds
  printer:   reachable (1/0), pages_total
  camera:    reachable (1/0), recording (1/0)
Older projectors have more lamp hours, often beyond the lamp's rating, and fail more often.
Power states are sticky: at each report a device keeps its state unless a redraw happens.
"""

from __future__ import annotations

import random

from schoolnet_agent.protocol import Sample
from schoolnet_collector.simulator.model import Device
from schoolnet_collector.simulator.variation import between, pick, stable_unit

REDRAW = 0.2  # chance per report that a device's on/off state is drawn again


class PeripheralReadings:
    __slots__ = (
        "error",
        "flaky",
        "kind",
        "lamp_hours",
        "lamp_rated",
        "last",
        "on",
        "pages",
        "since",
    )

    def __init__(self, seed: int, school: str, device: Device, now: float, as_of_year: int):
        def unit(tag: str) -> float:
            return stable_unit(seed, school, device.id, tag)

        self.kind = device.kind
        self.on = False
        self.since = now
        self.last = now
        age = max(0.5, as_of_year - device.year + unit("age"))
        self.lamp_rated = pick(unit("rated"), (2000, 3000) if device.year < 2012 else (3500, 5000))
        hours = age * between(unit("use"), 300, 800)
        if hours > 1.5 * self.lamp_rated:  # lamp never replaced: still in use, past its rating
            hours = self.lamp_rated * between(unit("worn"), 1.05, 1.5)
        self.lamp_hours = hours
        self.error = (hours > self.lamp_rated and unit("err") < 0.4) or unit("err2") < 0.01
        self.flaky = 0.08 if device.year < 2014 else 0.02  # share of reports a board is lost
        self.pages = int(age * between(unit("pages"), 2000, 12000))

    def _power(self, busy: bool, rng: random.Random, now: float, p_on: float) -> None:
        if rng.random() < REDRAW:
            on = rng.random() < (p_on if busy else 0.03)
            if on != self.on:
                self.on, self.since = on, now

    def samples(self, now: float, busy: bool, rng: random.Random) -> list[Sample]:
        elapsed = max(0.0, now - self.last)
        self.last = now
        if self.kind == "projector":
            self._power(busy, rng, now, 0.6)
            on = self.on and not self.error
            if on:
                self.lamp_hours += elapsed / 3600
            return [
                Sample(
                    "projector",
                    {
                        "power_on": int(on),
                        "lamp_hours": round(self.lamp_hours, 1),
                        "lamp_rated_hours": self.lamp_rated,
                        "error": int(self.error),
                    },
                )
            ]
        if self.kind == "board":
            self._power(busy, rng, now, 0.9)
            up = self.on and rng.random() >= self.flaky
            return [
                Sample(
                    "board",
                    {"reachable": int(up), "uptime_seconds": int(now - self.since) if up else 0},
                )
            ]
        if self.kind == "printer":
            self._power(busy, rng, now, 0.85)
            if self.on and busy:
                self.pages += rng.randint(0, max(1, int(elapsed / 20)))
            return [Sample("printer", {"reachable": int(self.on), "pages_total": self.pages})]
        up = rng.random() >= 0.02
        recording = up and rng.random() < 0.97
        return [Sample("camera", {"reachable": int(up), "recording": int(recording)})]
