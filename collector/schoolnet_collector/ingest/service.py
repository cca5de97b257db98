"""Ingest: MQTT inbox → worker threads (validate, convert) → batched InfluxDB writes.

Threads and their one job each:
- paho's network thread enqueues raw messages (subscriber.py);
- ``workers`` convert them to line protocol, or reject them with a reason (rejects.py);
- one writer batches lines (``batch_size`` or ``flush_interval``) and writes; while InfluxDB
  is down it keeps retrying the batch with backoff, and the queues in front of it fill;
- one registry thread flushes device sightings and dead letters each second and reloads the
  school list so newly imported schools are accepted without a restart.
"""
from __future__ import annotations

import logging
import queue
import threading
import time
from collections import Counter
from typing import Callable

from sqlalchemy import select

from schoolnet_agent.protocol import PayloadError
from schoolnet_collector.core.config import Settings
from schoolnet_collector.ingest.convert import Converter, SchoolTags
from schoolnet_collector.ingest.inbox import Inbox
from schoolnet_collector.ingest.rejects import RejectLog
from schoolnet_collector.ingest.subscriber import Inbound, Subscriber
from schoolnet_collector.registry.devices import DeviceTracker
from schoolnet_collector.registry.models import School
from schoolnet_collector.storage.influx import InfluxStore, StorageError

log = logging.getLogger("schoolnet.ingest")

_STOP = object()
BATCH = 500  # messages a converting thread takes at once


def load_school_tags(sessions) -> dict[str, SchoolTags]:
    with sessions() as s:
        return {row.id: SchoolTags(row.province, row.district, row.level)
                for row in s.scalars(select(School))}


class IngestService:
    # Called with (topic, payload, received_ms) for each accepted message; never raises.
    readings_hook: Callable[[str, bytes, int], None] | None = None

    def __init__(self, settings: Settings, store: InfluxStore, sessions):
        self.settings = settings
        self.store = store
        self.sessions = sessions
        self.inbox = Inbox(settings.ingest.queue_size)
        # Items are a converted batch each (up to BATCH messages): 64 of them bound the memory
        # held while InfluxDB is slow; beyond that the converting thread, then paho, wait.
        self.lines: queue.Queue = queue.Queue(maxsize=64)
        self.tracker = DeviceTracker()
        self.rejects = RejectLog()
        self.converter = Converter(load_school_tags(sessions), self.tracker,
                                   settings.ingest.max_payload_bytes)
        self.subscriber = Subscriber(settings.mqtt, self.inbox)
        self.stats: Counter[str] = Counter()
        self._stats_lock = threading.Lock()
        self.last_write_error: str | None = None
        self._stop = threading.Event()
        self._draining = threading.Event()
        self._threads: list[threading.Thread] = []

    # -- lifecycle --------------------------------------------------------------------------
    def start(self) -> "IngestService":
        targets = [(self._work, f"ingest-worker-{i}") for i in range(self.settings.ingest.workers)]
        targets += [(self._write, "ingest-writer"), (self._maintain, "ingest-registry")]
        for target, name in targets:
            t = threading.Thread(target=target, name=name, daemon=True)
            t.start()
            self._threads.append(t)
        self.subscriber.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop taking messages, drain what was taken, write it, flush the registry."""
        self.subscriber.stop()
        self._draining.set()
        workers = [t for t in self._threads if t.name.startswith("ingest-worker")]
        for t in workers:
            t.join(timeout)
        self.lines.put(_STOP)
        self._stop.set()
        for t in self._threads:
            t.join(timeout)

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
            self.count("accepted", len(batch) - self._rejected_in(batch))
            if lines:
                self.lines.put(lines)

    def count(self, key: str, n: int = 1) -> None:
        with self._stats_lock:
            self.stats[key] += n

    def handle(self, msg: Inbound) -> list[str]:
        """The message's lines; a rejected message is recorded and yields none."""
        try:
            lines = self.converter.convert(msg.topic, msg.payload, msg.received_ms, msg.retained)
            if self.readings_hook is not None:  # alert rules' newest values (alerting/readings.py)
                self.readings_hook(msg.topic, msg.payload, msg.received_ms)
            return lines
        except PayloadError as exc:
            self.rejects.reject(msg.topic, msg.payload, exc.reason, exc.detail)
        except Exception as exc:  # a converter bug must not stop ingest
            log.exception("unexpected error converting a message on %s", msg.topic)
            self.rejects.reject(msg.topic, msg.payload, "internal_error", repr(exc))
        msg.rejected = True
        return []

    @staticmethod
    def _rejected_in(batch: list[Inbound]) -> int:
        return sum(1 for m in batch if m.rejected)

    def _write(self) -> None:
        cfg = self.settings.influx
        batch: list[str] = []
        deadline = time.monotonic() + cfg.flush_interval
        stopping = False
        while not stopping:
            try:
                item = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
                if item is _STOP:
                    stopping = True
                else:
                    batch.extend(item)
            except queue.Empty:
                pass
            if batch and (stopping or len(batch) >= cfg.batch_size or time.monotonic() >= deadline):
                self._write_batch(batch)
                batch = []
            if time.monotonic() >= deadline:
                deadline = time.monotonic() + cfg.flush_interval

    def _write_batch(self, batch: list[str]) -> None:
        delay = 0.5
        while True:
            try:
                result = self.store.write(batch)
                break
            except StorageError as exc:
                self.last_write_error = str(exc)
                self.count("write_retries")
                log.warning("InfluxDB write failed (%s); retrying in %.1fs", exc, delay)
                if self._stop.wait(delay) and delay >= 4:
                    log.error("stopping with %d lines InfluxDB did not take", len(batch))
                    return
                delay = min(delay * 2, 30.0)
        self.last_write_error = None
        self.count("lines_written", result.written)
        for line, reason in result.rejected:
            self.rejects.reject("(influxdb)", line.encode(), "store_rejected", reason)

    def _maintain(self) -> None:
        refresh = self.settings.registry.refresh_seconds
        next_refresh = time.monotonic() + refresh
        while True:
            stopping = self._stop.wait(1.0)
            try:
                with self.sessions() as session:
                    self.tracker.flush(session)
                    self.rejects.flush(session, self.settings.ingest.dead_letter_keep)
                if time.monotonic() >= next_refresh:
                    self.converter.set_schools(load_school_tags(self.sessions))
                    next_refresh = time.monotonic() + refresh
            except Exception:
                log.exception("registry update failed; will retry")
            if stopping:
                return

    # -- introspection ----------------------------------------------------------------------
    def snapshot(self) -> dict:
        return {"accepted": self.stats["accepted"],
                "lines_written": self.stats["lines_written"],
                "rejected": dict(self.rejects.counts), "queue_depth": len(self.inbox),
                "write_retries": self.stats["write_retries"], "mqtt_connected": self.subscriber.connected}
