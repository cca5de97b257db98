"""The rule evaluator: every few seconds, conditions → incidents, on an injected clock.

Each pass reads one snapshot of the registry (devices, newest readings, maintenance windows,
calendar, incidents not resolved), asks ``conditions.find_conditions`` what holds, and applies:

- **debounce**: a condition must hold ``for_minutes`` before its incident opens (presence
  conditions count from when the data says they began, so a restarted collector does not wait
  again);
- **hysteresis**: an incident resolves only after its condition has been gone ``clear_minutes``
  (value rules also clear at a lower level than they open: ``conditions.above``);
- **flapping**: the ``max_openings``-th opening of a key within ``window_minutes`` opens one
  flapping incident, which resolves only after ``calm_minutes`` of quiet;
- **suppression**: nothing beneath an offline school is judged; nothing opens in a maintenance
  window (what was open may still resolve);
- keys that cannot be judged now keep their state.

Several collectors may run this at once against one registry: the pending/clearing timers are
per process, the incidents are shared and every transition is a guarded transaction
(``incidents``), so they open one incident between them.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from prometheus_client import Histogram
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from schoolnet_collector.alerting import incidents
from schoolnet_collector.alerting.conditions import Condition, Snapshot, find_conditions
from schoolnet_collector.alerting.readings import LatestReadings
from schoolnet_collector.alerting.rulefile import RuleSet
from schoolnet_collector.alerting.rules.base import Rule
from schoolnet_collector.registry.alerting_models import Incident
from schoolnet_collector.registry.devices import utc

log = logging.getLogger("schoolnet.alerting")


def system_clock() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class PassResult:
    opened: list[str] = field(default_factory=list)
    resolved: list[str] = field(default_factory=list)
    conditions: int = 0
    seconds: float = 0.0


class Evaluator:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        rules: RuleSet,
        clock: Callable[[], datetime] = system_clock,
        enqueue: incidents.Enqueue | None = None,
    ):
        self.sessions = sessions
        self.rules = rules
        self.clock = clock
        self.enqueue = enqueue or incidents.default_enqueue()
        self.pending: dict[str, datetime] = {}  # condition holds, incident not yet open
        self.clearing: dict[str, datetime] = {}  # incident open, condition gone since

    def evaluate(self) -> PassResult:
        """One pass over the whole registry."""
        now = self.clock()
        result = PassResult()
        with self.sessions() as session:
            snap = Snapshot.load(session, now)
            unresolved = {
                i.key: i
                for i in session.scalars(select(Incident).where(Incident.state != "resolved"))
            }
            found = find_conditions(snap, self.rules, set(unresolved) | set(self.pending))
            result.conditions = len(found.conditions)
            for key, cond in found.conditions.items():
                self.clearing.pop(key, None)
                if key in unresolved:
                    continue
                if snap.in_maintenance(cond.school_id, cond.device_id):
                    self.pending.pop(key, None)
                    continue
                start = self.pending.setdefault(key, now)
                if cond.since is not None and cond.since < start:
                    start = self.pending[key] = cond.since
                if now - start >= timedelta(seconds=self._rule_of(cond).for_seconds):
                    if self._open(session, cond, now):
                        result.opened.append(key)
                    self.pending.pop(key, None)
            for key in list(self.pending):
                if key not in found.conditions and found.judged(key):
                    del self.pending[key]
            for key, incident in unresolved.items():
                rule = self._rule(incident.rule)
                if key in found.conditions or not found.judged(key) or rule is None:
                    continue  # (no such rule: opened by another version; left to people)
                calm = (
                    self.rules.flapping.calm_minutes * 60
                    if incident.flapping
                    else rule.clear_seconds
                )
                start = self.clearing.setdefault(key, now)
                if now - start >= timedelta(seconds=calm):
                    try:
                        incidents.resolve(
                            session,
                            incident.id,
                            actor=incidents.RULES_ACTOR,
                            note="the condition has cleared",
                            now=now,
                            enqueue=self.enqueue,
                        )
                        result.resolved.append(key)
                    except incidents.IncidentStateError:
                        session.rollback()  # resolved by someone else meanwhile
                    self.clearing.pop(key, None)
            for key in list(self.clearing):
                if key not in unresolved:
                    del self.clearing[key]
        result.seconds = (self.clock() - now).total_seconds()
        return result

    def _rule(self, name: str) -> Rule | None:
        """None for a rule this rule set lacks (an incident opened by another version)."""
        return self.rules.rule(name)

    def _rule_of(self, cond: Condition) -> Rule:
        """The rule a condition was found by: always one of this rule set's."""
        rule = self.rules.rule(cond.rule)
        assert rule is not None  # found by this rule set's own rules
        return rule

    def _open(self, session: Session, cond: Condition, now: datetime) -> bool:
        window = now - timedelta(minutes=self.rules.flapping.window_minutes)
        recent = (
            session.scalar(
                select(func.count())
                .select_from(Incident)
                .where(Incident.key == cond.key, Incident.opened_at >= window)
            )
            or 0  # (a count is never NULL)
        )
        flapping = recent + 1 >= self.rules.flapping.max_openings
        details = dict(cond.details)
        if cond.since is not None:
            details["since"] = utc(cond.since).isoformat()
        if flapping:
            details["openings_in_window"] = recent + 1
        incident = incidents.open_incident(
            session,
            key=cond.key,
            rule=cond.rule,
            school_id=cond.school_id,
            device_id=cond.device_id,
            severity=cond.severity,
            summary=cond.summary,
            details=details,
            now=now,
            flapping=flapping,
            enqueue=self.enqueue,
        )
        if incident is not None:
            log.info(
                "incident %d opened: %s%s", incident.id, cond.key, " (flapping)" if flapping else ""
            )
        return incident is not None


class AlertService:
    """The evaluator and the readings flush on one background thread of the collector.

    Readings are flushed every second (like device sightings); the rules run every
    ``evaluate_every_seconds``.
    """

    def __init__(self, evaluator: Evaluator, readings: LatestReadings | None):
        self.evaluator = evaluator
        self.readings = readings
        self.last: PassResult | None = None
        self.pass_seconds = Histogram(  # ``/metrics``: one observation per pass
            "schoolnet_rules_evaluation_seconds",
            "Time one pass of the alert rules over the whole registry took",
            buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
            registry=None,
        )
        self.failures = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> AlertService:
        self._thread = threading.Thread(target=self._run, name="alerting", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout)

    def _run(self) -> None:
        every = self.evaluator.rules.evaluate_every_seconds
        next_pass = time.monotonic()
        while True:
            try:  # apart from the rules: a failed flush must not stop alerting
                if self.readings is not None:
                    with self.evaluator.sessions() as session:
                        self.readings.flush(session)
            except Exception:
                log.exception("readings flush failed; will retry")
            try:
                if time.monotonic() >= next_pass:
                    next_pass = time.monotonic() + every
                    self.last = self.evaluator.evaluate()
                    self.pass_seconds.observe(self.last.seconds)
            except Exception:
                self.failures += 1
                log.exception("alert evaluation failed; will retry")
            if self._stop.wait(1.0):
                return
