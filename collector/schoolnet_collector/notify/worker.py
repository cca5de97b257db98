"""The delivery worker: sends due outbox rows, schedules reminders, escalations and the digest.

One thread per channel, so a mail server that hangs for its whole timeout never delays a
Telegram message (and each (notification, channel) row keeps its own retry schedule), plus one
scheduling thread and, when configured, the Telegram ``/status`` poller. ``tick(now)`` runs the
same steps once, synchronously, with an injected time: that is how the tests drive it.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta, timezone
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from schoolnet_collector.channels import (
    REGISTRY,
    Action,
    BuildContext,
    Channel,
    DeliveryError,
    Message,
)
from schoolnet_collector.channels.telegram import UNIT as TELEGRAM, TelegramApi, TelegramChannel
from schoolnet_collector.core.config import Settings
from schoolnet_collector.notify import actions, digest, outbox, routing
from schoolnet_collector.notify.actions import Act
from schoolnet_collector.notify.outbox import Notification
from schoolnet_collector.notify.render import Renderer, TemplateProblem
from schoolnet_collector.notify.telegram_status import StatusResponder
from schoolnet_collector.registry.alerting_models import (
    Contact,
    ContactAddress,
    Incident,
    IncidentEvent,
)
from schoolnet_collector.registry.devices import utc
from schoolnet_collector.registry.models import School

log = logging.getLogger("schoolnet.notify")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def own_services(settings: Settings) -> tuple[tuple[str, int], ...]:
    """(host, port) of what the collector talks to or serves: no contact's URL may be one."""
    influx = urlsplit(settings.influx.url)
    pairs = [
        (settings.mqtt.host, settings.mqtt.port),
        (influx.hostname or "127.0.0.1", influx.port or 8086),
        (settings.api.host, settings.api.port),
    ]
    registry = make_url(settings.registry.url)
    if registry.host:
        pairs.append((registry.host, registry.port or 5432))
    return tuple(pairs)


class NotifyWorker:
    def __init__(
        self,
        settings: Settings,
        sessions: sessionmaker[Session],
        clock: Callable[[], datetime] = utcnow,
        channels: dict[str, Channel] | None = None,
        act: Act | None = None,
    ) -> None:
        self.settings, self.cfg, self.sessions = settings, settings.notify, sessions
        self.act = act  # alerting's transitions, handed down: notify sits beneath alerting
        # Every time stored or compared is UTC: SQLite keeps no zone, so a local time would be
        # read back hours off.
        self.clock: Callable[[], datetime] = lambda: clock().astimezone(timezone.utc)
        routing.configure(self.cfg)
        self.renderer = Renderer(self.cfg.timezone, self.cfg.templates_dir)
        self.tz = ZoneInfo(self.cfg.timezone)
        self.worker_id = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"[:64]
        self.channels: dict[str, Channel] = (
            channels
            if channels is not None
            else {
                unit.name: unit.build(
                    getattr(self.cfg, unit.section),
                    BuildContext(
                        broker=settings.mqtt,
                        address_secret=self._address_secret,
                        own_services=own_services(settings),
                    ),
                )
                for unit in REGISTRY
            }
        )
        telegram = self.channels.get(TELEGRAM.name)
        self.telegram_api = (
            telegram.api
            if isinstance(telegram, TelegramChannel)
            else TelegramApi(self.cfg.settings_of(TELEGRAM))
        )
        self.status = StatusResponder(
            self.telegram_api,
            sessions,
            self.renderer,
            settings.ingest.offline_after_intervals,
            self.clock,
            act,
        )
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._digest_queued: date | None = None

    # ----- the steps -------------------------------------------------------------------------
    def tick(self, now: datetime | None = None) -> int:
        """Schedule, then deliver everything due on every channel; returns rows handled."""
        now = (now or self.clock()).astimezone(timezone.utc)
        self.schedule(now)
        return sum(self.deliver(channel, now) for channel in self.channels)

    def schedule(self, now: datetime) -> None:
        with self.sessions.begin() as session:
            self._repeats_and_escalations(session, now)
            digest_day = self._digest(session, now)
        if digest_day is not None:
            self._digest_queued = digest_day  # only once committed

    def deliver(self, channel: str, now: datetime | None = None, limit: int = 20) -> int:
        rows = outbox.claim(
            self.sessions,
            self.worker_id,
            (now or self.clock()).astimezone(timezone.utc),
            limit,
            channel=channel,
        )
        # One address's rows in order, different addresses side by side: a receiver that
        # takes its whole deadline holds up only the messages waiting for it.
        by_address: dict[str, list[Notification]] = {}
        for row in rows:
            by_address.setdefault(row.address, []).append(row)
        at_once = 1  # a channel handed in by a test is not in the registry
        if channel in REGISTRY:
            unit = REGISTRY[channel]
            at_once = unit.concurrency(self.cfg.settings_of(unit))
        workers = min(at_once, len(by_address))
        if workers <= 1:
            for group in by_address.values():
                self._deliver_rows(group)
        else:
            with ThreadPoolExecutor(workers, f"notify-{channel}") as pool:
                list(pool.map(self._deliver_rows, by_address.values()))
        return len(rows)

    def _deliver_rows(self, rows: list[Notification]) -> None:
        for row in rows:
            self._deliver_row(row)

    # ----- delivery --------------------------------------------------------------------------
    def _deliver_row(self, row: Notification) -> None:
        now = self.clock()
        try:
            message = self._message(row, now)
            if message is None:
                outbox.finish(
                    self.sessions,
                    row,
                    self.worker_id,
                    state="cancelled",
                    now=now,
                    error="no longer relevant",
                )
                return
            message = dataclasses.replace(message, contact_id=row.contact_id)
            self.channels[row.channel].send(message, row.address)
        except TemplateProblem as exc:  # a broken template: keep the row, say why, retry later
            log.error("notification %s: cannot render: %s", row.dedup_key, exc)
            self._retry_or_give_up(row, f"render: {exc}", now)
        except DeliveryError as exc:
            if exc.permanent:
                log.warning("notification %s: %s (giving up)", row.dedup_key, exc)
                outbox.finish(
                    self.sessions, row, self.worker_id, state="failed", now=now, error=str(exc)
                )
            else:
                self._retry_or_give_up(row, str(exc), now, exc.retry_after)
        else:
            outbox.finish(self.sessions, row, self.worker_id, state="sent", now=self.clock())
            log.info("notification %s sent", row.dedup_key)

    def _retry_or_give_up(
        self, row: Notification, error: str, now: datetime, retry_after: float | None = None
    ) -> None:
        if row.attempts >= self.cfg.max_attempts:
            log.warning(
                "notification %s: %s (%d attempts, giving up)", row.dedup_key, error, row.attempts
            )
            outbox.finish(self.sessions, row, self.worker_id, state="failed", now=now, error=error)
            return
        delay = (
            timedelta(seconds=retry_after)
            if retry_after
            else outbox.backoff(row.attempts, self.cfg.retry_seconds, self.cfg.retry_max_seconds)
        )
        log.warning(
            "notification %s: %s (retry in %ds)", row.dedup_key, error, delay.total_seconds()
        )
        outbox.finish(
            self.sessions,
            row,
            self.worker_id,
            state="pending",
            now=now,
            error=error,
            retry_at=now + delay,
        )

    def _message(self, row: Notification, now: datetime) -> Message | None:
        """The message as of now, or None when it no longer needs sending."""
        with self.sessions() as session:
            if row.kind == "digest":
                return digest.message(session, row, self.renderer)
            incident = session.get(Incident, row.incident_id)
            if incident is None:
                return None
            if row.contact_id is not None:
                if row.transition in routing.PAGE_TRANSITIONS and incident.state == "resolved":
                    return None  # it came back before this page went out
                if row.transition in ("repeat", "escalated") and incident.state != "open":
                    return None  # someone acknowledged it
            school = session.get(School, incident.school_id)
            message = self.renderer.incident(
                incident, school, row.transition, row.language, now, row.dedup_key
            )
            return dataclasses.replace(message, actions=self._actions(row, incident, now))

    def _actions(self, row: Notification, incident: Incident, now: datetime) -> tuple[Action, ...]:
        """What the reader of a page can do from it (``notify.actions``): links in an e-mail,
        buttons in Telegram (only when this worker can act on the taps)."""
        if (
            row.contact_id is None
            or row.transition not in routing.PAGE_TRANSITIONS
            or incident.state != "open"
        ):
            return ()
        if row.channel == "email":
            return actions.links(self.cfg.actions, incident.id, row.contact_id, now, row.language)
        if row.channel == "telegram" and self.cfg.actions.telegram_buttons and self.act:
            return actions.buttons(incident.id, row.language)
        return ()

    def _address_secret(self, contact_id: int, channel: str, address: str) -> str | None:
        """The key stored with one contact's address (a webhook's signing key)."""
        with self.sessions() as session:
            return session.scalar(
                select(ContactAddress.secret).where(
                    ContactAddress.contact_id == contact_id,
                    ContactAddress.channel == channel,
                    ContactAddress.address == address,
                )
            )

    # ----- reminders and escalation ----------------------------------------------------------
    def _repeats_and_escalations(self, session: Session, now: datetime) -> None:
        cfg = self.cfg
        open_ids = session.scalars(select(Incident.id).where(Incident.state == "open")).all()
        if not open_ids:
            return
        sent = session.execute(
            select(
                Notification.incident_id,
                Notification.contact_id,
                Notification.channel,
                func.max(Notification.repeat_no),
                func.max(Notification.sent_at),
                func.min(Notification.sent_at),
            )
            .where(
                Notification.incident_id.in_(open_ids),
                Notification.state == "sent",
                Notification.contact_id.is_not(None),
                Notification.transition.in_(("opened", "repeat")),
            )
            .group_by(Notification.incident_id, Notification.contact_id, Notification.channel)
        ).all()
        first_page: dict[int, datetime] = {}
        for incident_id, contact_id, _channel, repeat_no, last_sent, first_sent in sent:
            # sent pages of open incidents: each has its incident and its sending times
            assert incident_id is not None and last_sent is not None and first_sent is not None
            first_page[incident_id] = min(
                utc(first_sent), first_page.get(incident_id, utc(first_sent))
            )
            if (
                repeat_no < cfg.max_repeats
                and utc(last_sent) + timedelta(minutes=cfg.repeat_minutes) <= now
            ):
                incident = session.get(Incident, incident_id)
                contact = session.get(Contact, contact_id)
                if incident is None or contact is None or not contact.active:
                    continue
                routing.add_pages(
                    session,
                    incident,
                    [contact],
                    "repeat",
                    repeat_no + 1,
                    routing.page_time(session, incident, now, cfg),
                    now,
                    cfg,
                )
        if not cfg.escalate_minutes:
            return  # 0 (or unset): never escalate
        for incident_id, first in first_page.items():
            if first + timedelta(minutes=cfg.escalate_minutes) > now:
                continue
            incident = session.get(Incident, incident_id)
            if incident is None:
                continue  # (incidents are never deleted; this is for the type checker)
            school_ids = {c.id for c in routing.school_contacts(session, incident.school_id)}
            if not school_ids:
                continue  # the managing body was paged directly: nobody above it here
            added = routing.add_pages(
                session,
                incident,
                routing.body_contacts(session, incident.school_id),
                "escalated",
                0,
                routing.page_time(session, incident, now, cfg),
                now,
                cfg,
            )
            if added:
                session.add(
                    IncidentEvent(
                        incident_id=incident_id,
                        at=now,
                        kind="escalated",
                        actor="notify",
                        note=f"not acknowledged within {cfg.escalate_minutes:g} min",
                    )
                )
                log.info("incident %s escalated to the managing body", incident_id)

    # ----- the daily digest for the Sở ---------------------------------------------------------
    def _digest(self, session: Session, now: datetime) -> date | None:
        if self._digest_queued == now.astimezone(self.tz).date():
            return None  # this process queued it already (the dedup key guards other collectors)
        return digest.queue(session, self.cfg, now)

    # ----- threads ---------------------------------------------------------------------------
    def configured_channels(self) -> list[str]:
        """Channels that can have rows at all (routing adds none for an unconfigured one)."""
        return [c for c in self.channels if c not in REGISTRY or self.cfg.ready(c)]

    def start(self) -> NotifyWorker:
        self._loop("notify-schedule", lambda: self.schedule(self.clock()))
        for channel in self.configured_channels():
            self._loop(f"notify-{channel}", functools.partial(self.deliver, channel))
        telegram = self.cfg.settings_of(TELEGRAM)
        if telegram.bot_token and telegram.poll_updates:
            self._loop(
                "notify-telegram-status",
                lambda: self.status.poll_once(telegram.poll_timeout),
                pause=0.5,
            )
        log.info("notifications: worker %s started", self.worker_id)
        return self

    def _loop(self, name: str, step: Callable[[], object], pause: float | None = None) -> None:
        def run() -> None:
            while not self._stop.is_set():
                try:
                    busy = step()
                except DeliveryError as exc:
                    log.warning("%s: %s", name, exc)
                    busy = 0
                except Exception:
                    log.exception("%s failed; continuing", name)
                    busy = 0
                if not (isinstance(busy, int) and busy > 0 and pause is None):
                    self._stop.wait(pause if pause is not None else self.cfg.poll_seconds)

        thread = threading.Thread(target=run, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)
        for channel in self.channels.values():
            close = getattr(channel, "close", None)
            if close is not None:
                close()
