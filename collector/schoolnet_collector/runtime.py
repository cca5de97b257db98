"""The collector's parts wired together: settings, registry, InfluxDB store, ingest.

One ``Runtime`` is shared by the CLI and the HTTP API, so both see the same registry sessions
and the same ingest counters.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from schoolnet_collector.core.config import Settings
from schoolnet_collector.ingest.service import IngestService
from schoolnet_collector.registry.db import make_engine, migrate, session_factory
from schoolnet_collector.registry.schools import import_schools
from schoolnet_collector.storage.influx import InfluxStore, StorageError

if TYPE_CHECKING:
    from schoolnet_collector.alerting.evaluator import AlertService
    from schoolnet_collector.alerting.readings import LatestReadings
    from schoolnet_collector.alerting.rules import RuleSet
    from schoolnet_collector.notify.worker import NotifyWorker

log = logging.getLogger("schoolnet.collector")


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    store: InfluxStore
    ingest: IngestService | None = None
    notify: "NotifyWorker | None" = None
    rules: "RuleSet | None" = None  # None: alerting disabled
    readings: "LatestReadings | None" = None
    alerts: "AlertService | None" = None

    @classmethod
    def open(cls, settings: Settings) -> "Runtime":
        engine = make_engine(settings.registry.url)
        migrate(engine)
        sessions = session_factory(engine)
        if settings.registry.schools_file:
            with sessions() as session:
                result = import_schools(session, settings.registry.schools_file)
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
        from schoolnet_collector.alerting.calendar import ensure_default_calendar
        from schoolnet_collector.alerting.readings import LatestReadings
        from schoolnet_collector.alerting.rules import load_rules

        self.rules = load_rules(self.settings.alerting.rules_file)
        self.readings = LatestReadings()
        with self.sessions() as session:
            if ensure_default_calendar(session):
                log.info("school calendar: loaded the packaged default")

    def connect_store(self, wait: float = 60.0) -> None:
        """Wait for InfluxDB at start (it may still be starting beside us)."""
        deadline = time.monotonic() + wait
        while True:
            try:
                self.store.connect()
                return
            except StorageError as exc:
                if time.monotonic() > deadline:
                    raise
                log.warning("%s; retrying", exc)
                time.sleep(2)

    def start_ingest(self) -> IngestService:
        ingest = IngestService(self.settings, self.store, self.sessions)
        if self.readings is not None:
            ingest.readings_hook = self.readings.observe
        self.ingest = ingest.start()
        return self.ingest

    def start_alerts(self) -> "AlertService":
        """Evaluate the alert rules every few seconds (and flush the readings ingest keeps)."""
        from schoolnet_collector.alerting.evaluator import AlertService, Evaluator

        evaluator = Evaluator(self.sessions, self.rules)
        self.alerts = AlertService(evaluator, self.readings if self.ingest else None).start()
        return self.alerts

    def start_notify(self) -> "NotifyWorker":
        """Deliver notifications (outbox), reminders, escalations, the digest, /status."""
        from schoolnet_collector.notify.worker import NotifyWorker

        self.notify = NotifyWorker(self.settings, self.sessions).start()
        return self.notify

    def close(self) -> None:
        if self.alerts:
            self.alerts.stop()
        if self.notify:
            self.notify.stop()
        if self.ingest:
            self.ingest.stop()
        self.engine.dispose()
