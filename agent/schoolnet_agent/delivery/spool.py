"""The on-disk spool: every message is stored here before it is published, and stays until the
broker has acknowledged it (and, bounded by the same budget, a while longer, for replay).

Why SQLite in WAL mode rather than append-only segment files: the spool needs more than
append and truncate. Messages are acknowledged out of order (paho re-sends after a reconnect,
live and backfill interleave), acknowledged messages are kept and may be re-opened for replay
(``reopen_acked``), replay requests are remembered by id, and the oldest rows are dropped when
the bound is reached. With segments each of those is a hand-written index and recovery scan;
SQLite (in the standard library, on Windows too) gives atomic transactions, crash recovery of
its write-ahead log after ``kill -9``, and page checksums-by-structure that let a damaged file
be recognised (``quick_check``) instead of half-read.

Durability (fsync policy), ``sync = "full"`` (the default): each stored message is one
transaction and SQLite fsyncs the write-ahead log at every commit, so a message that
``add()`` returned for survives ``kill -9`` and a power cut alike. A report a minute is one
fsync a minute, nothing even for a pre-2010 disk. Acknowledgements are written in batches
(one transaction per pump cycle): a power cut can lose the last fraction of a second of
acknowledgements, which only means those messages are sent once more, and the collector keeps
one point per (device, seq, ts). ``sync = "normal"`` fsyncs only at WAL checkpoints: fewer
writes for flash cards, but a power cut may lose the messages of the last seconds (never the
file: SQLite rolls back to the last checkpointed state); ``kill -9`` loses nothing either way.

A file that is not a usable spool (garbled, truncated, from another program) is renamed aside
as ``<name>.corrupt-<UTC time>`` with a logged error and a fresh spool is started: the agent
must keep reporting, not crash-loop on a bad file, and the damaged file stays for inspection.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar, cast

from schoolnet_agent.util.logonce import LogLimiter

T = TypeVar("T")

log = logging.getLogger(__name__)

# Per-row cost added to the payload's length when measuring against the bound: SQLite's record
# header, the row id, the index entry and the other columns (measured: ~40 bytes a row).
ROW_OVERHEAD = 48
SCHEMA_VERSION = 1

SCHEMA = """
CREATE TABLE IF NOT EXISTS message (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    channel   TEXT    NOT NULL,
    device    TEXT,
    retain    INTEGER NOT NULL,
    payload   BLOB    NOT NULL,
    stored_ms INTEGER NOT NULL,
    acked_ms  INTEGER,
    backfill  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS message_pending ON message (acked_ms, id);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS replay_request (id TEXT PRIMARY KEY, handled_ms INTEGER NOT NULL);
"""


def wall_ms() -> int:
    return int(time.time() * 1000)


@dataclass(frozen=True, slots=True)
class Spooled:
    """A stored message. ``backfill``: it did not go out live (the broker was out of reach,
    or it is being replayed), so the collector is told it arrives late on purpose."""

    id: int
    channel: str
    device: str | None
    retain: bool
    payload: bytes
    stored_ms: int
    backfill: bool


@dataclass(frozen=True, slots=True)
class SpoolStats:
    pending: int  # stored, not yet acknowledged by the broker
    acked: int  # acknowledged, kept for replay requests
    stored_bytes: int  # what counts against the bound
    max_bytes: int
    dropped_total: int  # unacknowledged messages dropped because the bound was reached
    quarantined: int  # damaged spool files set aside since this process started


class SpoolError(Exception):
    """The spool cannot be used at all (e.g. its directory cannot be created)."""


class Spool:
    """A bounded, crash-safe store of outgoing messages. Thread-safe (one lock)."""

    def __init__(
        self,
        path: str,
        max_bytes: int = 64 * 1024 * 1024,
        *,
        sync: str = "full",
        clock_ms: Callable[[], int] = wall_ms,
    ):
        self.path = path
        self.max_bytes = max_bytes
        self.sync = sync
        self.clock_ms = clock_ms
        self.quarantined = 0
        self._limiter = LogLimiter(log)
        self._lock = threading.Lock()
        try:
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        except OSError as exc:
            raise SpoolError(f"cannot create spool directory for {path}: {exc.strerror}") from None
        self._db = self._open_or_quarantine()
        self._bytes = self._measure()

    # -- opening -------------------------------------------------------------------------

    def _open_or_quarantine(self) -> sqlite3.Connection:
        """Open the spool; a damaged file is set aside. A file that cannot be opened at all
        (no rights, a directory, locked by another agent) is a SpoolError: moving it aside
        would not help, the person running the agent must."""
        try:
            return self._open()
        except sqlite3.OperationalError as exc:
            raise SpoolError(f"cannot open spool {self.path}: {exc}") from None
        except sqlite3.DatabaseError as exc:
            self._quarantine(str(exc))
            try:
                return self._open()
            except sqlite3.DatabaseError as again:
                raise SpoolError(f"cannot open spool {self.path}: {again}") from None

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(f"PRAGMA synchronous={'FULL' if self.sync == 'full' else 'NORMAL'}")
            # Checkpoint every 256 pages (1 MiB) and truncate the WAL back to 1 MiB: the file
            # outgrows the bound by about that much at most (SQLite's default is 4 MiB).
            db.execute("PRAGMA wal_autocheckpoint=256")
            db.execute("PRAGMA journal_size_limit=1048576")
            check = db.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                raise sqlite3.DatabaseError(f"quick_check: {check}")
            db.executescript(SCHEMA)
            version = db.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
            if version is None:
                db.execute("INSERT INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
            elif version[0] != SCHEMA_VERSION:
                raise sqlite3.DatabaseError(f"spool schema {version[0]}, expected {SCHEMA_VERSION}")
            return db
        except BaseException:
            db.close()
            raise

    def _quarantine(self, why: str) -> None:
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        aside = f"{self.path}.corrupt-{stamp}"
        try:
            for suffix in ("", "-wal", "-shm"):
                if os.path.exists(self.path + suffix):
                    os.replace(self.path + suffix, aside + suffix)
        except OSError as exc:
            raise SpoolError(
                f"spool {self.path} is damaged ({why}) and cannot be moved aside: "
                f"{exc.strerror or exc}"
            ) from None
        self.quarantined += 1
        log.error(
            "spool %s is damaged (%s); moved aside to %s, starting a new spool",
            self.path,
            why,
            aside,
        )

    def _measure(self) -> int:
        row = self._db.execute(
            "SELECT count(*), coalesce(sum(length(payload)), 0) FROM message"
        ).fetchone()
        return cast(int, row[1] + row[0] * ROW_OVERHEAD)

    def _guarded(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``work`` under the lock; a spool damaged while running is quarantined and
        replaced once, so one bad sector does not stop the agent."""
        with self._lock:
            try:
                return work(self._db)
            except sqlite3.DatabaseError as exc:
                if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
                    raise
                self._db.close()
                self._quarantine(str(exc))
                self._db = self._open()
                self._bytes = 0
                return work(self._db)

    # -- writing ---------------------------------------------------------------------------

    def add(
        self,
        channel: str,
        payload: bytes,
        device: str | None = None,
        retain: bool = False,
        backfill: bool = False,
    ) -> int:
        """Store one message durably and return its id; drops the oldest if over the bound."""
        size = len(payload) + ROW_OVERHEAD

        def work(db: sqlite3.Connection) -> int:
            with db:
                db.execute("BEGIN IMMEDIATE")
                cur = db.execute(
                    "INSERT INTO message (channel, device, retain, payload, stored_ms, backfill)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (channel, device, int(retain), payload, self.clock_ms(), int(backfill)),
                )
                self._bytes += size
                row_id = cast(int, cur.lastrowid)  # set by every INSERT
                if self._bytes > self.max_bytes:
                    self._prune(db, keep=row_id)
                return row_id

        return self._guarded(work)

    def _prune(self, db: sqlite3.Connection, keep: int) -> None:
        """Delete acknowledged rows first, then the oldest unacknowledged (counted as dropped),
        until the spool fits; never the row just added."""
        dropped = 0
        for acked in (True, False):
            condition = "acked_ms IS NOT NULL" if acked else "acked_ms IS NULL"
            while self._bytes > self.max_bytes:
                rows = db.execute(
                    f"SELECT id, length(payload) FROM message WHERE {condition}"
                    " AND id != ? ORDER BY id LIMIT 256",
                    (keep,),
                ).fetchall()
                if not rows:
                    break
                cut = []
                for row_id, length in rows:
                    cut.append((row_id,))
                    self._bytes -= length + ROW_OVERHEAD
                    if self._bytes <= self.max_bytes:
                        break
                db.executemany("DELETE FROM message WHERE id = ?", cut)
                if not acked:
                    dropped += len(cut)
        if dropped:
            db.execute(
                "INSERT INTO meta VALUES ('dropped', ?) ON CONFLICT(key) DO UPDATE "
                "SET value = value + excluded.value",
                (dropped,),
            )
            self._limiter.log(
                "full",
                logging.WARNING,
                "spool full (%d bytes): dropped the %d oldest unsent messages",
                self.max_bytes,
                dropped,
            )

    def mark_acked(self, ids: Iterable[int]) -> None:
        """The broker acknowledged these messages (one transaction for all of them)."""
        rows = [(self.clock_ms(), i) for i in ids]
        if not rows:
            return

        def work(db: sqlite3.Connection) -> None:
            with db:
                db.execute("BEGIN IMMEDIATE")
                db.executemany(
                    "UPDATE message SET acked_ms = ? WHERE id = ? AND acked_ms IS NULL", rows
                )

        self._guarded(work)

    def forget_acked(self) -> None:
        """Delete every acknowledged message (``keep_acked = false``)."""

        def work(db: sqlite3.Connection) -> None:
            with db:
                freed = db.execute(
                    "SELECT count(*), coalesce(sum(length(payload)), 0) FROM message"
                    " WHERE acked_ms IS NOT NULL"
                ).fetchone()
                db.execute("DELETE FROM message WHERE acked_ms IS NOT NULL")
                self._bytes -= freed[1] + freed[0] * ROW_OVERHEAD

        self._guarded(work)

    def reopen_acked(self, since_ms: int) -> int:
        """Make messages acknowledged at or after ``since_ms`` pending again, as backfill: the
        broker that acknowledged them may have lost them. Returns how many."""

        def work(db: sqlite3.Connection) -> int:
            with db:
                return db.execute(
                    "UPDATE message SET acked_ms = NULL, backfill = 1 WHERE acked_ms >= ?",
                    (since_ms,),
                ).rowcount

        return self._guarded(work)

    def pending_to_backfill(self) -> None:
        """Mark every unacknowledged message as backfill (at start: they are late now)."""
        self._guarded(
            lambda db: db.execute(
                "UPDATE message SET backfill = 1 WHERE acked_ms IS NULL AND backfill = 0"
            )
        )

    def handle_request_once(self, request_id: str) -> bool:
        """Record a replay request id; False if it was handled before (kept across restarts)."""

        def work(db: sqlite3.Connection) -> bool:
            with db:
                cur = db.execute(
                    "INSERT OR IGNORE INTO replay_request VALUES (?, ?)",
                    (request_id, self.clock_ms()),
                )
                # Bounded: the newest 1000 ids are plenty for requests that come once per outage.
                db.execute(
                    "DELETE FROM replay_request WHERE id NOT IN (SELECT id FROM "
                    "replay_request ORDER BY handled_ms DESC LIMIT 1000)"
                )
                return cur.rowcount == 1

        return self._guarded(work)

    def set_meta(self, key: str, value: int) -> None:
        """Keep a small integer with the spool (e.g. the data budget's count)."""
        self._guarded(
            lambda db: db.execute(
                "INSERT INTO meta VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )
        )

    # -- reading ---------------------------------------------------------------------------

    def meta(self, key: str) -> int | None:
        row = self._guarded(
            lambda db: db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        )
        return row[0] if row else None

    def pending(
        self, limit: int, exclude: Iterable[int] = (), *, live: bool = False
    ) -> list[Spooled]:
        """Up to ``limit`` unacknowledged backfill messages (``live``: live ones instead),
        oldest first, skipping ids in ``exclude`` (already on the wire). Live ones are
        published at once, or batched on a metered link, until this process ends
        (``pending_to_backfill`` at the next start)."""
        skip = set(exclude)

        def work(db: sqlite3.Connection) -> list[Spooled]:
            out: list[Spooled] = []
            cur = db.execute(
                "SELECT id, channel, device, retain, payload, stored_ms, backfill"
                " FROM message WHERE acked_ms IS NULL AND backfill = ? ORDER BY id",
                (int(not live),),
            )
            for row in cur:
                if row[0] in skip:
                    continue
                out.append(
                    Spooled(
                        row[0], row[1], row[2], bool(row[3]), bytes(row[4]), row[5], bool(row[6])
                    )
                )
                if len(out) >= limit:
                    break
            cur.close()
            return out

        return self._guarded(work) if limit > 0 else []

    def stats(self) -> SpoolStats:
        def work(db: sqlite3.Connection) -> SpoolStats:
            pending, acked = db.execute(
                "SELECT count(*) - count(acked_ms), count(acked_ms) FROM message"
            ).fetchone()
            dropped = db.execute("SELECT value FROM meta WHERE key='dropped'").fetchone()
            return SpoolStats(
                pending,
                acked,
                self._bytes,
                self.max_bytes,
                dropped[0] if dropped else 0,
                self.quarantined,
            )

        return self._guarded(work)

    def close(self) -> None:
        with self._lock:
            self._db.close()
