"""The collector's durable spool: converted batches kept on disk while InfluxDB is down.

Without it, a collector whose InfluxDB is down must leave every message unacknowledged in
the broker, which then holds the whole province's backlog in memory (and loses what it
acknowledged since its last snapshot if it dies). With it, the collector acks a message as
soon as its lines are in this file, and writes the file to InfluxDB, oldest batch first,
when InfluxDB answers again; new batches queue behind the spooled ones, so order is kept.

One SQLite file in WAL mode (``<data_dir>/spool-<client id>.sqlite3``, so several collector
instances on one host never share one): a batch is one row of line protocol.

fsync policy: ``synchronous = FULL``, so every append is one transaction whose WAL frame is
fsynced before ``append`` returns, and only then is the batch's ack sent. While InfluxDB is
down that is one fsync per flush interval (0.2 s by default), not one per message. Removing
a written batch is not fsynced separately: a crash may rewrite a batch InfluxDB already took,
which changes nothing (same points). ``kill -9`` and power cuts lose nothing acknowledged.

Bounded by ``ingest.spool_max_bytes`` of line protocol: a full spool refuses the append, the
writer stops acknowledging, and the broker holds the rest (its own bounds apply).

The same file keeps small named marks (the checkpoint), so they share its durability.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path

log = logging.getLogger("schoolnet.ingest.spool")

SCHEMA = """
CREATE TABLE IF NOT EXISTS batch (
    id    INTEGER PRIMARY KEY AUTOINCREMENT,
    lines BLOB    NOT NULL,
    count INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS mark (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""


class SpoolError(RuntimeError):
    """The spool file cannot be opened or written (disk full, permissions, damaged file)."""


def spool_path(data_dir: Path, client_id: str) -> Path:
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in client_id)
    return Path(data_dir) / f"spool-{safe}.sqlite3"


class Spool:
    batches: int  # counted from the file when it opens, kept up to date after
    lines: int
    bytes: int

    def __init__(self, path: Path, max_bytes: int) -> None:
        self.path = Path(path)
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(SCHEMA)
            self.batches, self.lines, self.bytes = self._db.execute(
                "SELECT count(*), coalesce(sum(count), 0), coalesce(sum(length(lines)), 0) FROM batch"
            ).fetchone()
        except (OSError, sqlite3.Error) as exc:
            raise SpoolError(f"spool {self.path}: {exc}") from None
        if self.batches:
            log.warning(
                "spool %s holds %d lines from before; writing them to InfluxDB first",
                self.path,
                self.lines,
            )

    def __bool__(self) -> bool:
        return self.batches > 0

    def append(self, lines: list[str]) -> bool:
        """Store a batch durably; False when the spool is full (nothing stored)."""
        body = "\n".join(lines).encode()
        with self._lock:
            if self.bytes + len(body) > self.max_bytes:
                return False
            try:
                self._db.execute(
                    "INSERT INTO batch (lines, count) VALUES (?, ?)", (body, len(lines))
                )
            except sqlite3.Error as exc:
                raise SpoolError(f"spool {self.path}: cannot append: {exc}") from None
            self.batches += 1
            self.lines += len(lines)
            self.bytes += len(body)
        return True

    def oldest(self) -> tuple[int, list[str]] | None:
        with self._lock:
            row = self._db.execute("SELECT id, lines FROM batch ORDER BY id LIMIT 1").fetchone()
        if row is None:
            return None
        return row[0], row[1].decode().split("\n")

    def remove(self, batch_id: int) -> None:
        with self._lock:
            row = self._db.execute(
                "DELETE FROM batch WHERE id = ? RETURNING count, length(lines)", (batch_id,)
            ).fetchone()
            if row:
                self.batches -= 1
                self.lines -= row[0]
                self.bytes -= row[1]

    def mark(self, name: str) -> int | None:
        with self._lock:
            row = self._db.execute("SELECT value FROM mark WHERE name = ?", (name,)).fetchone()
        return row[0] if row else None

    def set_mark(self, name: str, value: int) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO mark VALUES (?, ?) ON CONFLICT (name) DO UPDATE "
                "SET value = excluded.value",
                (name, value),
            )

    def close(self) -> None:
        with self._lock:
            self._db.close()
