"""Ingest: MQTT inbox → worker threads (validate, convert) → batched InfluxDB writes.

Threads and their one job each:
- paho's network thread enqueues raw messages (subscriber.py);
- ``workers`` convert them to line protocol, or reject them with a reason (rejects.py);
- one writer batches lines (``batch_size`` or ``flush_interval``) and writes them; while
  InfluxDB is down it puts the batches in the durable spool (spool.py) instead, and writes the
  spool back, oldest first, when InfluxDB answers again;
- one registry thread flushes device sightings and dead letters each second, reloads the
  school list so newly imported schools are accepted without a restart, and moves the
  checkpoint (checkpoint.py).

Nothing is acknowledged to the broker before it is stored (acks.py): a message's ack is sent
when its lines are in InfluxDB or in the spool, or, for a rejected message or a line InfluxDB
refused, when the dead letter is committed to the registry.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import Counter
from collections.abc import Callable

from prometheus_client import Histogram
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from schoolnet_agent.protocol import PayloadError
from schoolnet_collector.core.config import Settings
from schoolnet_collector.ingest.acks import AckTracker, Receipt
from schoolnet_collector.ingest.budgets import Limits
from schoolnet_collector.ingest.checkpoint import Checkpoint
from schoolnet_collector.ingest.convert import Accepted, Converter, SchoolTags, Window
from schoolnet_collector.ingest.inbox import Inbound, Inbox
from schoolnet_collector.ingest.overflow import open_budget_incidents
from schoolnet_collector.ingest.rejects import RejectLog
from schoolnet_collector.ingest.spool import Spool, SpoolError, spool_path
from schoolnet_collector.ingest.subscriber import Subscriber
from schoolnet_collector.registry.devices import DeviceTracker
from schoolnet_collector.registry.models import Device, School
from schoolnet_collector.registry.units import UNASSIGNED_ID, managing_body
from schoolnet_collector.storage.influx import InfluxStore, StorageError, WriteResult

log = logging.getLogger("schoolnet.ingest")

Converted = tuple[list[str], Receipt]
"""A converted batch's lines, with the receipt that acknowledges its messages once stored."""
BATCH = 500  # messages a converting thread takes at once
UNSPOOL_BATCHES = 20  # spooled batches written back between two looks at the incoming queue
MAX_RETRY_DELAY = 10.0  # seconds between attempts to reach InfluxDB again
WRITE_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


def load_kinds(sessions: sessionmaker[Session]) -> dict[tuple[str, str], str]:
    """Each registered device's kind: the registry's word, not the device's (convert.py)."""
    with sessions() as s:
        return {
            (school, device): kind
            for school, device, kind in s.execute(
                select(Device.school_id, Device.device_id, Device.kind)
            )
        }


SITE_BODY = "site"
"""The ``managing_body`` tag of a unit's site (the Sở's office, a commune office): nobody runs
it as a school, and a panel counting schools can leave it out by this tag."""


def load_school_tags(sessions: sessionmaker[Session]) -> dict[str, SchoolTags]:
    with sessions() as s:
        return {
            row.id: SchoolTags(
                row.province,
                row.commune or UNASSIGNED_ID,
                SITE_BODY if row.site_of else managing_body(row) or UNASSIGNED_ID,
                row.level,
            )
            for row in s.scalars(select(School))
        }


class IngestService:
    # Called with (topic, payload, received_ms) for each accepted message; never raises.
    readings_hook: Callable[[str, bytes, int], None] | None = None
    # Called with (topic, the batch's accepted reports, received_ms) for each batch message.
    batch_readings_hook: Callable[[str, Accepted, int], None] | None = None

    def __init__(
        self,
        settings: Settings,
        store: InfluxStore,
        sessions: sessionmaker[Session],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.store = store
        self.sessions = sessions
        self.inbox = Inbox(settings.ingest.queue_size)
        # Items are a converted batch each (up to BATCH messages) with its receipt: 64 of them
        # bound the memory held while InfluxDB is slow; beyond that the converting thread waits.
        # None after the last one: the writer stores what it has and stops.
        self.lines: queue.Queue[Converted | None] = queue.Queue(maxsize=64)
        self.tracker = DeviceTracker()
        cfg = settings.ingest
        self.rejects = RejectLog(examples=cfg.dead_letter_examples, budget=cfg.dead_letter_bytes)
        self.converter = Converter(
            load_school_tags(sessions),
            self.tracker,
            cfg.max_payload_bytes,
            reject=self.rejects.reject,
            kinds=load_kinds(sessions),
            window=Window(int(cfg.max_age_days * 86_400_000), int(cfg.max_future_seconds * 1000)),
            limits=Limits(
                cfg.max_series_per_device,
                cfg.max_fields_per_device,
                cfg.max_event_types_per_device,
                cfg.max_new_devices_per_school,
            ),
        )
        self.acks = AckTracker()
        self.spool = Spool(
            spool_path(settings.ingest.data_dir, settings.mqtt.client_id),
            settings.ingest.spool_max_bytes,
        )
        self.checkpoint = Checkpoint(self.spool, settings.mqtt.receive_maximum, clock=clock)
        self.subscriber = Subscriber(settings.mqtt, self.inbox, self.acks, self.checkpoint)
        self.stats: Counter[str] = Counter()
        self.intake: Counter[str] = Counter()  # accepted messages by channel (a fixed five)
        # Observed once per write of a whole batch, never per message (``/metrics``).
        self.write_seconds = Histogram(
            "schoolnet_ingest_write_seconds",
            "Time one batch of lines took to write to InfluxDB (or to fail)",
            buckets=WRITE_BUCKETS,
            registry=None,
        )
        self._stats_lock = threading.Lock()
        self.last_write_error: str | None = None
        # Receipts of messages whose dead letter must be committed before they are acked.
        self._held: list[Receipt] = []
        self._held_lock = threading.Lock()
        self._retry_delay = 0.5
        self._next_unspool = 0.0
        self._full_logged = False
        self._stop = threading.Event()
        self._stopping = threading.Event()
        self._draining = threading.Event()
        self._threads: list[threading.Thread] = []

    # -- lifecycle --------------------------------------------------------------------------
    def start(self) -> IngestService:
        targets = [(self._work, f"ingest-worker-{i}") for i in range(self.settings.ingest.workers)]
        targets += [(self._write, "ingest-writer"), (self._maintain, "ingest-registry")]
        for target, name in targets:
            t = threading.Thread(target=target, name=name, daemon=True)
            t.start()
            self._threads.append(t)
        self.subscriber.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop taking messages, store what was taken, ack it, flush the registry, disconnect.

        Messages arriving meanwhile are left unacknowledged: the broker keeps them for our
        next session (or, under ``$share``, they wait in this collector's session)."""
        self._stopping.set()
        self.subscriber.close_intake()
        self._draining.set()
        by_name = {t.name: t for t in self._threads}
        for t in self._threads:
            if t.name.startswith("ingest-worker"):
                t.join(timeout)
        self.lines.put(None)  # after the converting threads: the writer stores and stops
        if "ingest-writer" in by_name:
            by_name["ingest-writer"].join(timeout)
        self._stop.set()
        for t in self._threads:
            t.join(timeout)
        self.subscriber.stop()
        self.spool.close()

    # -- threads ----------------------------------------------------------------------------
    def _work(self) -> None:
        while True:
            batch = self.inbox.take(BATCH, timeout=0.5)
            if not batch:
                if self._draining.is_set():
                    return
                continue
            lines: list[str] = []
            for msg in batch:
                lines.extend(self.handle(msg))
            kept = [m for m in batch if not m.rejected]
            if len(kept) < len(batch):
                self._hold_until_dead_lettered(
                    [self.acks.receipt([m for m in batch if m.rejected])]
                )
            channels = Counter([m.topic[m.topic.rfind("/") + 1 :] for m in kept])
            with self._stats_lock:
                self.stats["accepted"] += len(kept)
                self.intake.update(channels)
            if kept:
                self.lines.put((lines, self.acks.receipt(kept)))

    def _hold_until_dead_lettered(self, receipts: list[Receipt]) -> None:
        with self._held_lock:
            self._held.extend(receipts)

    def count(self, key: str, n: int = 1) -> None:
        with self._stats_lock:
            self.stats[key] += n

    def handle(self, msg: Inbound) -> list[str]:
        """The message's lines; a rejected message is recorded and yields none."""
        try:
            accepted: Accepted = []
            lines = self.converter.convert(
                msg.topic, msg.payload, msg.received_ms, msg.retained, accepted
            )
            if self.readings_hook is not None:  # alert rules' newest values (alerting/readings.py)
                self.readings_hook(msg.topic, msg.payload, msg.received_ms)
            if accepted and self.batch_readings_hook is not None:
                self.batch_readings_hook(msg.topic, accepted, msg.received_ms)
            return lines
        except PayloadError as exc:
            self.rejects.reject(msg.topic, msg.payload, exc.reason, exc.detail)
        except Exception as exc:  # a converter bug must not stop ingest
            log.exception("unexpected error converting a message on %s", msg.topic)
            self.rejects.reject(msg.topic, msg.payload, "internal_error", repr(exc))
        msg.rejected = True
        return []

    def _write(self) -> None:
        cfg = self.settings.influx
        lines: list[str] = []
        receipts: list[Receipt] = []
        deadline = time.monotonic() + cfg.flush_interval
        stopping = False
        while not stopping:
            try:
                item = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
                if item is None:  # the converting threads are done
                    stopping = True
                else:
                    lines.extend(item[0])
                    receipts.append(item[1])
            except queue.Empty:
                pass
            now = time.monotonic()
            if receipts and (stopping or len(lines) >= cfg.batch_size or now >= deadline):
                self._store(lines, receipts)
                lines, receipts = [], []
            if now >= deadline:
                deadline = now + cfg.flush_interval
            if self.spool and now >= self._next_unspool and not stopping:
                self._unspool()

    def _store(self, lines: list[str], receipts: list[Receipt]) -> None:
        """InfluxDB if nothing is spooled ahead of these lines, else (or if it fails) the spool."""
        if not self.spool:
            try:
                result = self._timed_write(lines)
            except StorageError as exc:
                self._write_failed(exc)
            else:
                self._written(result, receipts)
                return
        self._to_spool(lines, receipts)

    def _to_spool(self, lines: list[str], receipts: list[Receipt]) -> None:
        delay = 0.5
        while True:
            try:
                stored = not lines or self.spool.append(lines)
            except SpoolError as exc:
                log.error("%s", exc)
                stored = False
            if stored:
                self.count("lines_spooled", len(lines))
                self._full_logged = False
                self.acks.settle(receipts)
                return
            # Spool full (or unwritable): these messages stay unacknowledged, and the broker
            # holds everything behind them, until InfluxDB takes the spool back.
            if not self._full_logged:
                self._full_logged = True
                log.error(
                    "spool full (%d bytes): no longer acknowledging; the broker holds the "
                    "backlog until InfluxDB is back",
                    self.spool.bytes,
                )
            if self._stopping.wait(delay):
                log.error(
                    "stopping with %d lines neither InfluxDB nor the spool took; not "
                    "acknowledged, so the broker delivers them again",
                    len(lines),
                )
                return
            delay = min(delay * 2, MAX_RETRY_DELAY)
            self._unspool()
            if not self.spool:  # InfluxDB took the whole spool back: try it with these too
                try:
                    result = self._timed_write(lines)
                except StorageError as exc:
                    self._write_failed(exc)
                else:
                    self._written(result, receipts)
                    return

    def _unspool(self) -> None:
        """Write spooled batches back to InfluxDB, oldest first, a few at a time."""
        for _ in range(UNSPOOL_BATCHES):
            oldest = self.spool.oldest()
            if oldest is None:
                log.info("spool written back to InfluxDB")
                return
            batch_id, lines = oldest
            try:
                result = self._timed_write(lines)
            except StorageError as exc:
                self._write_failed(exc)
                return
            self._written(result, [])
            self.spool.remove(batch_id)
            self.count("lines_unspooled", len(lines))

    def _timed_write(self, lines: list[str]) -> WriteResult:
        with self.write_seconds.time():
            return self.store.write(lines)

    def _write_failed(self, exc: StorageError) -> None:
        if self.last_write_error is None:
            log.warning(
                "InfluxDB write failed (%s); spooling to %s until it answers", exc, self.spool.path
            )
        self.last_write_error = str(exc)
        self.count("write_retries")
        self._next_unspool = time.monotonic() + self._retry_delay
        self._retry_delay = min(self._retry_delay * 2, MAX_RETRY_DELAY)

    def _written(self, result: WriteResult, receipts: list[Receipt]) -> None:
        if self.last_write_error is not None:
            log.info("InfluxDB answers again")
        self.last_write_error = None
        self._retry_delay = 0.5
        self.count("lines_written", result.written)
        for line, reason in result.rejected:
            self.rejects.reject("(influxdb)", line.encode(), "store_rejected", reason)
        if result.rejected:
            self._hold_until_dead_lettered(receipts)
        else:
            self.acks.settle(receipts)

    def _maintain(self) -> None:
        refresh = self.settings.registry.refresh_seconds
        next_refresh = time.monotonic() + refresh
        while True:
            stopping = self._stop.wait(1.0)
            with self._held_lock:  # taken before the flush: their dead letters are in it
                held, self._held = self._held, []
            try:
                with self.sessions() as session:
                    self.tracker.flush(session)
                    self.rejects.flush(
                        session, self.settings.ingest.dead_letter_keep, final=stopping
                    )
                self.acks.settle(held)
                held = []
                exceeded = self.converter.budgets.exceeded()
                if exceeded:
                    with self.sessions() as session:
                        open_budget_incidents(session, exceeded)
                if time.monotonic() >= next_refresh:
                    self.converter.set_schools(load_school_tags(self.sessions))
                    self.converter.set_kinds(load_kinds(self.sessions))
                    next_refresh = time.monotonic() + refresh
            except Exception:
                log.exception("registry update failed; will retry")
            if held:
                self._hold_until_dead_lettered(held)
            self.checkpoint.tick(self._oldest_unstored_ms(), len(self.inbox) + self.acks.owed)
            if stopping:
                return

    def _oldest_unstored_ms(self) -> int | None:
        waiting = self.inbox.oldest()
        times = [
            t
            for t in (waiting.received_ms if waiting else None, self.acks.oldest_open_ms())
            if t is not None
        ]
        return min(times, default=None)

    # -- introspection ----------------------------------------------------------------------
    def counters(self) -> tuple[dict[str, int], dict[str, int]]:
        """Copies of the stats and of the intake by channel, taken together (``/metrics``)."""
        with self._stats_lock:
            return dict(self.stats), dict(self.intake)

    def snapshot(self) -> dict[str, object]:
        return {
            "accepted": self.stats["accepted"],
            "lines_written": self.stats["lines_written"],
            "rejected": dict(self.rejects.counts),
            "queue_depth": len(self.inbox),
            "write_retries": self.stats["write_retries"],
            "mqtt_connected": self.subscriber.connected,
            "acked": self.acks.acked,
            "unacknowledged": self.acks.owed,
            "spooled_lines": self.spool.lines,
            "lines_spooled": self.stats["lines_spooled"],
            "lines_unspooled": self.stats["lines_unspooled"],
            "checkpoint_ms": self.checkpoint.value,
        }
