"""``--log-format json``: one object a line, whatever a record carries (extra fields of any
type, a traceback, newlines and Vietnamese in the message)."""

from __future__ import annotations

import json
import logging
import sys

from schoolnet_collector.core.logformat import JsonFormatter


def record(msg: str, *args: object, exc: bool = False, **extra: object) -> logging.LogRecord:
    logger = logging.getLogger("schoolnet.test")
    info = None
    if exc:
        try:
            raise ValueError("bad cell")
        except ValueError:
            info = sys.exc_info()
    level = logging.ERROR if exc else logging.INFO
    return logger.makeRecord(logger.name, level, __file__, 1, msg, args, info, extra=extra)


def test_a_record_is_one_json_line_with_its_extra_fields():
    line = JsonFormatter().format(
        record("trường %s: %d thiết bị\nmới", "lc-test-01", 3, school="lc-test-01", at=object())
    )
    assert "\n" not in line
    out = json.loads(line)
    assert out["level"] == "INFO" and out["logger"] == "schoolnet.test"
    assert out["message"] == "trường lc-test-01: 3 thiết bị\nmới"
    assert out["school"] == "lc-test-01" and out["at"].startswith("<object object")
    assert out["time"].endswith("+00:00") and "T" in out["time"]
    assert "args" not in out and "msg" not in out and "exception" not in out


def test_a_traceback_stays_inside_its_record():
    out = json.loads(JsonFormatter().format(record("import failed", exc=True)))
    assert out["level"] == "ERROR"
    assert "Traceback" in out["exception"] and "ValueError: bad cell" in out["exception"]
