"""``schoolnet-agent run`` as a real process for the spool, replay and budget tests: its
configuration file, starting it, reading its spool file and the reports it delivered."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from schoolnet_agent.protocol import decode
from schoolnet_agent.protocol.batch import decode_batch

AGENT = str(Path(sys.executable).with_name("schoolnet-agent"))
SCHOOL, DEVICE = "lc-test-01", "pc-02"
TOPIC = f"schoolnet/v1/{SCHOOL}/{DEVICE}/"


def write_config(tmp_path: Path, port: int, interval: float = 1, **sections: dict) -> Path:
    """An agent config for lc-test-01/pc-02; ``sections`` add or override keys, e.g.
    ``spool={"max_mb": 0.1}``."""
    base = {
        "device": {"school": SCHOOL, "id": DEVICE, "interval_seconds": interval},
        "mqtt": {
            "port": port,
            "password": "pc-secret-02",
            "keepalive": 5,
            "reconnect_min_delay": 0.2,
            "reconnect_max_delay": 0.5,
        },
        "probes": {"enabled": ["mem", "system"]},
        "state": {"directory": str(tmp_path / "state")},
        "budget": {"metered": False},
    }
    for name, keys in sections.items():
        base.setdefault(name, {}).update(keys)
    lines = []
    for name, keys in base.items():
        lines.append(f"[{name}]")
        lines += [f"{k} = {json.dumps(v)}" for k, v in keys.items()]
    path = tmp_path / "agent.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def start_agent(config: Path, log_path: Path) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCHOOLNET_AGENT_")}
    log = open(log_path, "ab")
    try:
        return subprocess.Popen(
            [AGENT, "--log-level", "debug", "run", "--config", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=log,
            env=env,
        )
    finally:
        log.close()


def spool_rows(path: Path) -> list[tuple[int, dict, int | None]]:
    """(row id, report, acked_ms) of every message in a spool file, read-only."""
    if not path.exists():
        return []
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = db.execute("SELECT id, payload, acked_ms FROM message ORDER BY id").fetchall()
    except sqlite3.OperationalError:  # the agent is still creating it
        return []
    finally:
        db.close()
    return [(i, json.loads(p), a) for i, p, a in rows]


def wait_until(condition, timeout: float, what: str, step: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"not within {timeout}s: {what}")


def reports_of(messages) -> list[dict]:
    """The reports in MQTT messages: telemetry alone, or each report of a batch."""
    out = []
    for m in messages:
        channel = m.topic.rsplit("/", 1)[1]
        if channel == "telemetry":
            out.append(decode(m.payload))
        elif channel == "batch":
            out.extend(decode_batch(m.payload))
    return out


def drain(sub) -> list:
    """Every message the subscriber has received so far (kept in ``sub.seen``)."""
    while not sub.messages.empty():
        sub.seen.append(sub.messages.get_nowait())
    return list(sub.seen)
