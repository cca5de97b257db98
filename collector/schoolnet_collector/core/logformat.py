"""``--log-format json``: one JSON object a line, for the log pipelines a network team runs.

journald, Loki's promtail or Vector read one record a line and index its keys; the text format
("time level logger: message") needs a parser per service and breaks on a multi-line traceback.
Each object carries ``time`` (UTC, ISO 8601, milliseconds), ``level``, ``logger``, ``message``,
the traceback as ``exception`` when there is one, and every ``extra=`` field the code passed.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timezone
from typing import Any

# The attributes every LogRecord has: anything else on a record came from ``extra=``.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
    "taskName",
}
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in out:
                out[key] = value
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            out["stack"] = self.formatStack(record.stack_info)
        # default=str: an extra field of any type is written, never a lost record
        return json.dumps(out, ensure_ascii=False, default=str)


def configure(level: str, fmt: str) -> None:
    """The root logger's one handler (stderr), in ``text`` or ``json``."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    logging.basicConfig(level=level, handlers=[handler], force=True)
