"""Spooled delivery: what ``Runner.deliver`` does when the spool is on (the default).

Every message is stored in the spool (``spool.py``) before anything else happens, so from the
moment ``deliver()`` returns it survives ``kill -9`` and power cuts. Then:

- **live**: connected and not metered, the message is published at once (QoS 1), tagged with
  its spool row; the broker's PUBACK marks the row acknowledged.
- **backfill**: stored while the broker was out of reach (or re-opened by a replay request),
  sent by the pump thread oldest first, paced by ``replay.TokenBucket`` and a share of the
  in-flight slots, with ``"backfill": true`` added to the JSON so the collector can tell it
  from live. Live messages never wait behind backfill.
- **metered** (``budget.py``): nothing is published alone; the pump sends the spool's reports
  as ``batch`` messages (``protocol/batch.py``) when enough have gathered or the oldest is
  old; batches of live reports go first, backfill batches are paced as above.

Messages paho already holds (published in this process, not yet acknowledged) are paho's to
re-send after a reconnect; the pump skips them, so a message is on the wire at most once per
process. After a crash, everything unacknowledged is backfill for the next process: a report
may then arrive twice, always with the same (device, seq, ts), which InfluxDB stores once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from schoolnet_agent.delivery.replay import ReplayRequest, TokenBucket, parse_request
from schoolnet_agent.delivery.spool import Spool, Spooled
from schoolnet_agent.protocol.batch import MAX_BATCH_REPORTS, encode_batch
from schoolnet_agent.protocol.topics import BATCH, REPLAY_REQUEST, TopicError
from schoolnet_agent.util.logonce import LogLimiter

if TYPE_CHECKING:
    from schoolnet_agent.delivery.budget import Budget
    from schoolnet_agent.delivery.outgoing import Outgoing
    from schoolnet_agent.delivery.settings import SpoolSettings
    from schoolnet_agent.delivery.transport import MqttTransport
    from schoolnet_agent.probes.base import Probe
    from schoolnet_agent.probes.sampling import ProbeSet
    from schoolnet_agent.protocol import Sample

log = logging.getLogger(__name__)

BACKFILL_MARK = b',"backfill":true}'


def mark_backfill(payload: bytes) -> bytes:
    """The report with ``"backfill": true`` added; a payload that is not a JSON object
    (availability) is returned unchanged."""
    body = payload.rstrip()
    if body.startswith(b"{") and body.endswith(b"}") and len(body) > 2:
        return body[:-1] + BACKFILL_MARK
    return payload


class SpooledDelivery:
    tick_seconds = 0.5  # the pump's longest sleep when nothing wakes it

    def __init__(
        self,
        spool: Spool,
        transport: MqttTransport,
        settings: SpoolSettings,
        *,
        budget: Budget | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.spool = spool
        self.transport = transport
        self.settings = settings
        self.budget = budget
        self.clock = clock
        self.bucket = TokenBucket(settings.replay_rate, clock=clock)
        self._lock = threading.Lock()
        self._on_wire: dict[int, bool] = {}  # row id → sent as backfill
        self._requests: deque[ReplayRequest] = deque()
        self._wake = threading.Event()
        # Backfill may be waiting unless the pump found none since the last change: bumped by
        # every event that can make some, so a change during the pump's query is not lost.
        self._backfill_events = 1  # rows left by an earlier process
        self._backfill_none_at = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._limiter = LogLimiter(log)
        self.sent_live = 0
        self.sent_backfill = 0
        # Left unacknowledged by an earlier process: whatever it was, it is late now.
        spool.pending_to_backfill()
        transport.on_ack.append(self._wake.set)
        transport.on_connect.append(self._handle_connect)
        transport.subscribe(REPLAY_REQUEST, self._handle_request)

    @property
    def metered(self) -> bool:
        return self.budget is not None and self.budget.metered

    def probes(self) -> list[Probe]:
        """The probes that report on delivery itself: ``spool`` and ``budget``."""
        from schoolnet_agent.delivery.metrics import BudgetProbe, SpoolProbe

        return [SpoolProbe(self.spool)] + ([BudgetProbe(self.budget)] if self.budget else [])

    def shape(self, samples: list[Sample], probes: ProbeSet) -> list[Sample]:
        """The samples as this link can afford them: lean on a metered link, without the fields
        their probes (``probes``, which collected them) declare optional."""
        from schoolnet_agent.delivery.budget import lean

        if self.metered and self.budget is not None and self.budget.settings.lean:
            return lean(samples, probes.optional_fields())
        return samples

    # -- the runner's side ----------------------------------------------------------------

    def deliver(self, message: Outgoing) -> int:
        """Store ``message``; publish it now if it can go live. Returns its spool row id."""
        connected = self.transport.connected
        row = self.spool.add(
            message.channel, message.payload, message.device, message.retain, backfill=not connected
        )
        if connected and not self.metered:
            self._send_one(
                Spooled(
                    row, message.channel, message.device, message.retain, message.payload, 0, False
                )
            )
        else:
            self._backfill_events += 1
            self._wake.set()
        return row

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="spool-pump", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop the pump (the transport may still be draining acknowledgements)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None

    def close(self) -> None:
        """Record the last acknowledgements and close the spool (after the transport stopped)."""
        self._apply_acks()
        if self.budget is not None:
            self.budget.save()
        self.spool.close()

    # -- the pump -------------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.is_set():
            waiting = False
            try:
                waiting = self.step()
            except Exception as exc:  # never let the pump die: the runner keeps spooling
                self._limiter.log(
                    f"pump:{type(exc).__name__}",
                    logging.ERROR,
                    "spool pump failed: %r",
                    exc,
                    exc_info=True,
                )
            # Backfill held back by the pace: wake for the next token; else sleep until an
            # acknowledgement, a stored backfill message, a connection or a request wakes us.
            self._wake.wait(max(self.bucket.wait_hint(), 0.01) if waiting else self.tick_seconds)
            self._wake.clear()

    def step(self) -> bool:
        """One round: record acknowledgements, handle replay requests, send what is due.
        True when backfill is waiting for the pace."""
        self._apply_acks()
        while self._requests:
            self._replay(self._requests.popleft())
        if not self.transport.connected:
            return False
        if self.metered:
            self._send_batches()
            return False
        return self._send_backfill()

    def _apply_acks(self) -> None:
        ids: list[int] = []
        for tag in self.transport.take_acked():
            ids.extend(tag if isinstance(tag, tuple) else (tag,))
        if not ids:
            return
        with self._lock:
            for i in ids:
                self._on_wire.pop(i, None)
        self.spool.mark_acked(ids)
        if not self.settings.keep_acked:
            self.spool.forget_acked()

    def _backfill_on_wire(self) -> int:
        with self._lock:
            return sum(1 for backfill in self._on_wire.values() if backfill)

    def _slots(self) -> int:
        return min(
            self.bucket.available(), self.settings.replay_inflight - self._backfill_on_wire()
        )

    def _on_wire_ids(self) -> list[int]:
        with self._lock:
            return list(self._on_wire)

    def _send_backfill(self) -> bool:
        """Send what the pace allows; True if more backfill is waiting. The spool is asked
        only while there may be backfill, not on every wake-up."""
        events = self._backfill_events
        if events == self._backfill_none_at:
            return False
        slots = self._slots()
        if slots <= 0:
            return self.bucket.available() == 0
        rows = self.spool.pending(slots, exclude=self._on_wire_ids())
        for row in rows:
            self._send_one(row)
            self.bucket.take()
        if len(rows) < slots:
            self._backfill_none_at = events  # all of it is on the wire now
            return False
        return True

    def _send_one(self, row: Spooled) -> None:
        payload = mark_backfill(row.payload) if row.backfill else row.payload
        with self._lock:
            self._on_wire[row.id] = row.backfill
        try:
            info = self.transport.publish(
                row.channel, payload, device=row.device, retain=row.retain, tag=row.id
            )
        except TopicError as exc:  # can never be sent: keep it from blocking the queue
            with self._lock:
                self._on_wire.pop(row.id, None)
            log.error("spooled %s message %d dropped: %s", row.channel, row.id, exc)
            self.spool.mark_acked([row.id])
            return
        if self.budget is not None:
            self.budget.count_publish(info, self.transport, row.channel, row.device, payload)
        if row.backfill:
            self.sent_backfill += 1
        else:
            self.sent_live += 1

    def _send_batches(self) -> None:
        """Metered: one compressed message per device for the due reports (retained messages,
        i.e. inventory, go alone: a retained batch would mean nothing to the broker)."""
        assert self.budget is not None
        size = self.budget.batch_size(MAX_BATCH_REPORTS)
        live = self.spool.pending(4 * size, exclude=self._on_wire_ids(), live=True)
        for group in self._due(live, size, self.budget):  # live first, outside the backfill pace
            self._send_group(group, self.budget)
        slots = self._slots()
        if slots <= 0:
            return
        rows = self.spool.pending(size * slots, exclude=self._on_wire_ids())
        for group in self._due(rows, size, self.budget)[:slots]:
            self._send_group(group, self.budget)
            self.bucket.take()

    def _due(self, rows: list[Spooled], size: int, budget: Budget) -> list[list[Spooled]]:
        """The groups to send now: full ones, and a partial one whose oldest has waited long
        enough (``Budget.batch_due``); retained messages alone, at once."""
        return [
            g
            for g in _batches(rows, size)
            if g[0].retain or budget.batch_due(len(g), g[0].stored_ms, size)
        ]

    def _send_group(self, rows: list[Spooled], budget: Budget) -> None:
        if len(rows) == 1 and (rows[0].retain or rows[0].channel == BATCH):
            self._send_one(rows[0])
            return
        payload = encode_batch(mark_backfill(r.payload) if r.backfill else r.payload for r in rows)
        ids = tuple(r.id for r in rows)
        backfill = any(r.backfill for r in rows)
        with self._lock:
            for r in rows:
                self._on_wire[r.id] = backfill
        info = self.transport.publish(BATCH, payload, device=rows[0].device, tag=ids)
        budget.count_publish(info, self.transport, BATCH, rows[0].device, payload)
        if backfill:
            self.sent_backfill += len(rows)
        else:
            self.sent_live += len(rows)

    # -- replay ---------------------------------------------------------------------------

    def _handle_connect(self) -> None:
        """On paho's thread: a broker that lost our session may have lost what it acked."""
        if not self.transport.session_present and self.settings.keep_acked:
            since = int(time.time() * 1000 - self.settings.resend_window_seconds * 1000)
            self._requests.append(ReplayRequest("", since))
        self._backfill_events += 1
        self._wake.set()

    def _handle_request(self, payload: bytes) -> None:
        request = parse_request(payload)
        if request is not None:
            self._requests.append(request)
            self._wake.set()

    def _replay(self, request: ReplayRequest) -> None:
        if request.id and not self.spool.handle_request_once(request.id):
            log.debug("replay request %s already handled", request.id)
            return
        count = self.spool.reopen_acked(request.since_ms)
        if count:
            self._backfill_events += 1
        if request.id:
            log.info(
                "replay request %s: sending again %d messages acknowledged since %d",
                request.id,
                count,
                request.since_ms,
            )
        elif count:
            log.warning(
                "broker had lost this device's session: sending again %d messages "
                "acknowledged in the last %g s",
                count,
                self.settings.resend_window_seconds,
            )
        self._wake.set()


def _batches(rows: Iterable[Spooled], size: int) -> list[list[Spooled]]:
    """Consecutive rows of one device in groups of at most ``size``; retained and already
    batched messages alone."""
    groups: list[list[Spooled]] = []
    for row in rows:
        alone = row.retain or row.channel == BATCH
        last = groups[-1] if groups else None
        if (
            last is None
            or alone
            or len(last) >= size
            or last[0].device != row.device
            or last[0].retain
            or last[0].channel == BATCH
        ):
            groups.append([row])
        else:
            last.append(row)
    return groups
