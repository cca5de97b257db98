"""Helpers for the alert engine tests: a registry with schools, a movable clock, and a way to
make devices report (through the real DeviceTracker and LatestReadings flushes)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import orjson
from sqlalchemy import select

from schoolnet_collector.alerting.evaluator import Evaluator
from schoolnet_collector.alerting.readings import LatestReadings
from schoolnet_collector.alerting.rulefile import load_rules, parse_rules
from schoolnet_collector.registry.alerting_models import Incident, IncidentEvent
from schoolnet_collector.registry.calendar_file import ensure_default_calendar
from schoolnet_collector.registry.db import make_engine, migrate, session_factory
from schoolnet_collector.registry.devices import DeviceTracker
from schoolnet_collector.registry.models import School

# Wednesday 25 November 2026, 09:00 in Lào Cai: a school day, in school hours.
SCHOOL_MORNING = datetime(2026, 11, 25, 2, 0, tzinfo=timezone.utc)
SCHOOLS = (("lc-test-01", "bat-xat"), ("lc-test-02", "sa-pa"))


class Clock:
    def __init__(self, start: datetime = SCHOOL_MORNING):
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw) -> datetime:
        self.now += timedelta(**kw)
        return self.now


@dataclass
class Recorder:
    """Stands in for the notification engine's entry point: notes each transition, and checks
    it is called inside the transaction (the incident has its id, the session is open)."""

    calls: list[tuple[int, str, datetime]] = field(default_factory=list)

    def __call__(self, session, incident, transition, now):
        assert incident.id is not None and session.in_transaction()
        self.calls.append((incident.id, transition, now))

    def transitions(self) -> list[str]:
        return [t for _, t, _ in self.calls]


class Registry:
    """A migrated registry with the test schools, and devices that report on demand."""

    def __init__(self, url: str, clock: Clock):
        self.engine = make_engine(url)
        migrate(self.engine)
        self.sessions = session_factory(self.engine)
        self.clock = clock
        self.tracker = DeviceTracker()
        self.readings = LatestReadings()
        with self.sessions() as s:
            for sid, district in SCHOOLS:
                s.add(
                    School(
                        id=sid,
                        name=f"Trường {sid}",
                        province="lao-cai",
                        district=district,
                        level="thcs",
                        updated_at=clock(),
                    )
                )
            s.commit()
            ensure_default_calendar(s)

    def report(self, school: str, device: str, kind: str, interval: float = 60, **metrics) -> None:
        """A report from the device now; ``metrics`` as ``uplink={...}``, ``disk={...}``."""
        at = self.clock()
        self.tracker.report(school, device, kind, 1, interval, at)
        if metrics:
            payload = {"metrics": [{"name": n, "fields": f} for n, f in metrics.items()]}
            self.readings.observe(
                f"schoolnet/v1/{school}/{device}/telemetry",
                orjson.dumps(payload),
                int(at.timestamp() * 1000),
            )
        self.flush()

    def event(self, school: str, device: str, type_: str, **data) -> None:
        payload = {"events": [{"type": type_, "data": data}]}
        self.readings.observe(
            f"schoolnet/v1/{school}/{device}/events",
            orjson.dumps(payload),
            int(self.clock().timestamp() * 1000),
        )
        self.flush()

    def inventory(self, school: str, device: str, **values) -> None:
        self.readings.observe(
            f"schoolnet/v1/{school}/{device}/inventory",
            orjson.dumps({"inventory": values}),
            int(self.clock().timestamp() * 1000),
        )
        self.flush()

    def will(self, school: str, device: str) -> None:
        """The broker published the device's Last Will (offline)."""
        self.tracker.availability(school, device, False, self.clock())
        self.flush()

    def online(self, school: str, device: str) -> None:
        """The device's agent connected again and published ``online``."""
        self.tracker.availability(school, device, True, self.clock())
        self.flush()

    def flush(self) -> None:
        with self.sessions() as s:
            self.tracker.flush(s)
            self.readings.flush(s)

    def evaluator(
        self, rules_yaml: str | None = None, recorder: Recorder | None = None
    ) -> Evaluator:
        rules = parse_rules(rules_yaml) if rules_yaml else load_rules()
        return Evaluator(self.sessions, rules, clock=self.clock, enqueue=recorder or Recorder())

    def incidents(self, state: str | None = None) -> list[Incident]:
        with self.sessions() as s:
            q = select(Incident).order_by(Incident.id)
            if state == "active":
                q = q.where(Incident.state != "resolved")
            elif state:
                q = q.where(Incident.state == state)
            return list(s.scalars(q))

    def keys(self, state: str = "active") -> list[str]:
        return [i.key for i in self.incidents(state)]

    def timeline(self, incident_id: int) -> list[tuple[str, str]]:
        with self.sessions() as s:
            return [
                (e.kind, e.actor)
                for e in s.scalars(
                    select(IncidentEvent)
                    .where(IncidentEvent.incident_id == incident_id)
                    .order_by(IncidentEvent.id)
                )
            ]

    def close(self) -> None:
        self.engine.dispose()


def rules_with(*pairs: tuple[str, str]) -> str:
    """The packaged default rule file with some text replaced (``(old, new)`` pairs)."""
    from importlib import resources

    text = resources.files("schoolnet_collector.rules").joinpath("default.yaml").read_text("utf-8")
    for old, new in pairs:
        assert old in text, old
        text = text.replace(old, new, 1)
    return text
