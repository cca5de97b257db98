"""The collector's parts wired together: settings, registry, InfluxDB store, ingest.

One ``Runtime`` is shared by the CLI and the HTTP API, so both see the same registry sessions
and the same ingest counters.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from schoolnet_collector.core.config import Settings
from schoolnet_collector.ingest.service import IngestService
from schoolnet_collector.registry.db import make_engine, migrate, session_factory, startup_lock
from schoolnet_collector.registry.schools import SchoolFileError, import_schools
from schoolnet_collector.storage.influx import InfluxStore, StorageError

if TYPE_CHECKING:
    from schoolnet_collector.alerting.evaluator import AlertService
    from schoolnet_collector.alerting.readings import LatestReadings
    from schoolnet_collector.alerting.rulefile import RuleSet
    from schoolnet_collector.notify.worker import NotifyWorker

log = logging.getLogger("schoolnet.collector")


def _import_units(engine: Engine, sessions: sessionmaker[Session], path: Path) -> None:
    """The units file before the school file, whose communes it defines. All or nothing, as
    ``units import``; a wrong one stops the start (``SchoolFileError`` naming each wrong row),
    because a two-tier school file would then be refused whole. Collectors started together
    take turns, so the second finds the units there and changes nothing."""
    from schoolnet_collector.registry.table_file import TableFileError
    from schoolnet_collector.registry.unit_import import apply_units, plan_units

    with startup_lock(engine), sessions() as session:
        try:
            plan = plan_units(session, path)
        except TableFileError as exc:
            raise SchoolFileError(f"units file: {exc}") from None
        if plan.errors:
            raise SchoolFileError(
                f"units file {path}: nothing imported, {len(plan.errors)} rows wrong:\n"
                + "\n".join(plan.errors)
            )
        apply_units(session, plan)
    log.info(
        "units from %s: %d new, %d changed, %d unchanged",
        path,
        len(plan.added),
        len(plan.changed),
        plan.unchanged,
    )


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    store: InfluxStore
    ingest: IngestService | None = None
    notify: NotifyWorker | None = None
    rules: RuleSet | None = None  # None: alerting disabled
    readings: LatestReadings | None = None
    alerts: AlertService | None = None

    @classmethod
    def open(cls, settings: Settings) -> Runtime:
        engine = make_engine(settings.registry.url)
        migrate(engine)  # collectors started together take turns (registry/db.py)
        sessions = session_factory(engine)
        if settings.registry.units_file:
            _import_units(engine, sessions, settings.registry.units_file)
        if settings.registry.schools_file:
            with sessions() as session:  # an upsert: safe beside another collector's import
                result = import_schools(session, settings.registry.schools_file, settings.province)
            log.info("imported %d schools from %s", result.imported, settings.registry.schools_file)
            for problem in result.errors:
                log.warning("school file: %s", problem)
        from schoolnet_collector.notify.routing import configure as configure_notify

        configure_notify(settings.notify)  # the alert engine queues notifications with it
        runtime = cls(settings, engine, sessions, InfluxStore(settings.influx))
        if settings.alerting.enabled:
            runtime._prepare_alerting()  # a wrong rule file stops the start (RuleFileError)
        return runtime

    def _prepare_alerting(self) -> None:
        from schoolnet_collector.alerting.readings import LatestReadings
        from schoolnet_collector.alerting.rulefile import load_rules
        from schoolnet_collector.registry.calendar_file import ensure_default_calendar

        self.rules = load_rules(self.settings.alerting.rules_file)
        self.readings = LatestReadings()
        # "No calendar yet? load the default" must not run in two collectors at once.
        with startup_lock(self.engine), self.sessions() as session:
            if ensure_default_calendar(session):
                log.info("school calendar: loaded the packaged default")

    def connect_store(self) -> bool:
        """Ask InfluxDB its version once; True if it answered.

        A collector does not wait for InfluxDB at start: the spool takes the load. Until a
        ``/ping`` has answered, the write API (v1 or v2) is not known, so the store's first
        write pings first and, while that fails, every batch goes to the spool and is
        acknowledged there; ``/health`` says degraded (InfluxDB down). The writer keeps
        retrying (0.5 s doubling to 10 s) and writes the spool back once it answers."""
        try:
            self.store.connect()
            return True
        except StorageError as exc:
            log.warning(
                "%s: starting without it; reports are spooled in %s until it answers",
                exc,
                self.settings.ingest.data_dir,
            )
            return False

    def start_ingest(self) -> IngestService:
        ingest = IngestService(self.settings, self.store, self.sessions)
        if self.readings is not None:
            ingest.readings_hook = self.readings.observe
            ingest.batch_readings_hook = self.readings.observe_reports
        self.ingest = ingest.start()
        return self.ingest

    def start_alerts(self) -> AlertService:
        """Evaluate the alert rules every few seconds (and flush the readings ingest keeps)."""
        from schoolnet_collector.alerting.evaluator import AlertService, Evaluator

        assert self.rules is not None, "alerting is disabled (alerting.enabled = false)"
        evaluator = Evaluator(self.sessions, self.rules)
        self.alerts = AlertService(evaluator, self.readings if self.ingest else None).start()
        return self.alerts

    def start_notify(self) -> NotifyWorker:
        """Deliver notifications (outbox), reminders, escalations, the digest, /status."""
        from schoolnet_collector.alerting.incidents import act
        from schoolnet_collector.notify.worker import NotifyWorker

        self.notify = NotifyWorker(self.settings, self.sessions, act=act).start()
        return self.notify

    def close(self) -> None:
        if self.alerts:
            self.alerts.stop()
        if self.notify:
            self.notify.stop()
        if self.ingest:
            self.ingest.stop()
        self.engine.dispose()
