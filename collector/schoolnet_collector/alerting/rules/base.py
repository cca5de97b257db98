"""What every alert rule is: a strict settings model that also finds its conditions.

A rule module defines one subclass of :class:`Rule` with

- its settings as pydantic fields (the keys of its entry under ``rules:`` in the rule file;
  ``extra="forbid"``, so a misspelt key is refused with its line, not ignored);
- ``summary``: the short text of its incidents, an English message id marked with ``N_`` (no
  context: the id alone is stored) and translated in the catalogue; an incident keeps the id
  and its arguments (``Condition.summary``), written in the reader's language when shown or
  sent. Keep a released id stable (old incidents hold it): reword through the catalogues;
- ``find(school, out)``: the conditions that hold now at one school, told to ``out``;
- its docstring: what the rule watches and why, printed in the rule reference.

``find`` is a pure function of the snapshot (``School``) and of the keys already active (for
value hysteresis, ``Out.above``), so a rule is tested without a clock or a database.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from schoolnet_collector.alerting.snapshot import GATEWAY_KINDS, DeviceRow, ReadingRow, Snapshot
from schoolnet_collector.i18n import Deferred, Text

UPLINK_TYPES = ("fibre", "dsl", "ethernet", "cellular", "other")
Severity = Literal["info", "warning", "critical"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PerUplink(Strict):
    """A threshold for each uplink type (``other`` for types without their own value)."""

    fibre: float = Field(ge=0)
    dsl: float = Field(ge=0)
    ethernet: float = Field(ge=0)
    cellular: float = Field(ge=0)
    other: float = Field(ge=0)

    def for_type(self, uplink_type: str | None) -> float:
        value: float = getattr(self, uplink_type) if uplink_type in UPLINK_TYPES else self.other
        return value


@dataclass(frozen=True)
class Condition:
    """A problem that holds now, keyed like the incident it would open."""

    key: str
    rule: str
    school_id: str
    device_id: str | None
    severity: str
    summary: Deferred  # stored as its id and arguments, written when shown
    details: dict[str, Any]  # the incident's details (JSON): the rule's figures
    since: datetime | None = None  # when the data says it began (presence); None: when first seen


@dataclass
class Found:
    """What one pass found: conditions, keys it cannot judge now, schools offline as a whole."""

    active: set[str] = field(default_factory=set)  # keys with an incident or a pending timer
    conditions: dict[str, Condition] = field(default_factory=dict)
    unknown: set[str] = field(default_factory=set)
    offline_schools: set[str] = field(default_factory=set)

    def judged(self, key: str) -> bool:
        """False for keys that cannot be judged now (their state is kept as it is)."""
        if key in self.unknown:
            return False
        school = key.split(":", 1)[1].split("/", 1)[0]
        return not (school in self.offline_schools and not key.startswith("school_offline:"))


@dataclass
class School:
    """One school as a rule sees it in one pass."""

    id: str
    devices: list[DeviceRow]
    snap: Snapshot
    gone: dict[str, datetime | None]  # device → when it went offline, None while online
    offline_after_intervals: float  # device_offline's setting: silence that counts as offline
    presence_of: Callable[[str, str | None], str]  # (kind, the device's own) → always|…
    _school_time: bool | None = None

    @property
    def now(self) -> datetime:
        return self.snap.now

    @property
    def gateways(self) -> list[DeviceRow]:
        return [d for d in self.devices if d.kind in GATEWAY_KINDS]

    def presence(self, device: DeviceRow) -> str:
        return self.presence_of(device.kind, device.expected_presence)

    def school_time(self) -> bool:
        """In the school calendar's hours now (asked once per school and pass)."""
        if self._school_time is None:
            self._school_time = self.snap.calendar.is_school_time(self.id, self.now)
        return self._school_time

    def readings(self, device_id: str) -> dict[str, ReadingRow]:
        return self.snap.readings.get((self.id, device_id), {})


class Out:
    """Where one rule tells what it found at one school; keys are ``<rule>:<school>[/<tail>]``."""

    def __init__(self, found: Found, name: str, severity: str, school: str) -> None:
        self.found, self.name, self.severity, self.school = found, name, severity, school

    def key(self, tail: str = "") -> str:
        return f"{self.name}:{self.school}" + (f"/{tail}" if tail else "")

    def hold(
        self,
        tail: str,
        device: str | None,
        summary: Deferred,
        value: float | None = None,
        since: datetime | None = None,
        **details: object,
    ) -> None:
        key = self.key(tail)
        self.found.conditions[key] = Condition(
            key,
            self.name,
            self.school,
            device,
            self.severity,
            summary,
            dict(details, value=value),
            since,
        )

    def cannot_judge(self, tail: str = "") -> None:
        self.found.unknown.add(self.key(tail))

    def school_offline(self) -> None:
        """The whole school is away: no other rule judges it in this pass."""
        self.found.offline_schools.add(self.school)

    def above(self, tail: str, value: float, threshold: float, clear_level: float) -> bool:
        """Value hysteresis: opens at the threshold, an active key clears only below clear_level."""
        return value >= threshold or (self.key(tail) in self.found.active and value > clear_level)


class Rule(Strict):
    """The settings every rule has; a subclass adds its own and may change these defaults."""

    summary: ClassVar[Text]
    counters: ClassVar[tuple[str, ...]] = ()
    """Cumulative counters (``<metric>.<field>``) whose rises this rule reads, as
    ``rise.<metric>.<field>`` readings (``alerting.readings``)."""

    enabled: bool = Field(True, description="false: the rule finds nothing; its incidents clear")
    severity: Severity = Field("warning", description="how its notifications are marked")
    for_minutes: float = Field(5, ge=0, description="the condition must hold this long to open")
    clear_minutes: float = Field(5, ge=0, description="and be gone this long to resolve")

    @property
    def for_seconds(self) -> float:
        return self.for_minutes * 60

    @property
    def clear_seconds(self) -> float:
        return self.clear_minutes * 60

    def message(self, **args: object) -> Deferred:
        """This rule's summary with its arguments, to be written later in the reader's language."""
        return Deferred(self.summary.message, None, args)

    def find(self, school: School, out: Out) -> None:
        raise NotImplementedError


class ValueRule(Rule):
    """A rule on one number: opens at ``threshold``, an open incident clears below
    ``clear_below`` (the threshold when not given), so a value hovering at the limit does not
    flap."""

    threshold: float = Field(ge=0, description="opens at or above this")
    clear_below: float | None = Field(
        None, ge=0, description="an open incident clears below this (default: the threshold)"
    )

    @model_validator(mode="after")
    def _clear_below_threshold(self) -> ValueRule:
        if self.clear_below is not None and self.clear_below > self.threshold:
            raise ValueError("clear_below must not exceed threshold")
        return self

    @property
    def clear_level(self) -> float:
        return self.threshold if self.clear_below is None else self.clear_below


class UplinkRule(Rule):
    """A rule on one uplink figure, with a threshold and a clear level per uplink type: a 3G
    school's normal round trip would be an outage on fibre."""

    threshold: PerUplink = Field(description="opens at or above this, for the line's type")
    clear_below: PerUplink = Field(description="an open incident clears below this")

    @model_validator(mode="after")
    def _clear_below_threshold(self) -> UplinkRule:
        for t in UPLINK_TYPES:
            if getattr(self.clear_below, t) > getattr(self.threshold, t):
                raise ValueError(f"clear_below.{t} must not exceed threshold.{t}")
        return self
