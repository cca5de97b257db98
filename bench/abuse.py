"""``make bench-abuse``: honest devices' ingest rate while 5 % of devices send hostile reports.

The ingest benchmark's end-to-end run (bench/ingest.py: real Mosquitto, InfluxDB and
`schoolnet-collector run` processes) twice in one process group: clean, then with one extra
device in twenty sending, between its honest-looking reports, injection keys in event data,
wrong field types, reports dated 2100, oversize payloads and a new metric name every report.
Prints one JSON line: the honest devices' rate in both runs and their ratio (limit ≥ 0.9),
``forged_points`` (points outside the senders' own series: limit 0) and ``honest_lost``
(honest reports not stored: limit 0). Exits 1 when a limit is missed.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import orjson
import paho.mqtt.client as mqtt
import psutil
from paho.mqtt.enums import CallbackAPIVersion

sys.path.insert(0, str(Path(__file__).resolve().parent))
import ingest as base

from devenv.services import InfluxDB1, Mosquitto, MqttAccount, free_port

HOSTILE_SHARE = 0.05
FORGED = "x=1 1700000000000\nforged,school=bench-000,device=pc-00 v=1"


def hostile_report(school: str, device: str, seq: int, ts: int) -> bytes:
    """One of five attacks, by ``seq``."""
    honest = orjson.loads(base.lab_pc_report(school, device, seq, ts))
    attack = seq % 5
    if attack == 0:  # line-protocol injection through event data keys
        honest.pop("metrics")
        honest["events"] = [{"type": "lan_host_unknown", "data": {FORGED: 1, "mac": "x"}}]
    elif attack == 1:  # field-type poisoning
        honest["metrics"][0]["fields"]["usage_percent"] = "poison"
    elif attack == 2:  # a future shard
        honest["ts"] = 4_102_000_000_000
    elif attack == 3:  # oversize
        honest["agent"] = "x" * 300_000
    else:  # a new series every report
        honest["metrics"].append({"name": f"flood_{seq}", "fields": {"v": 1.0}})
    return orjson.dumps(honest)


def messages(total: int, t0: int, hostile: bool) -> list[tuple[str, bytes]]:
    honest = [(s, f"pc-{d:02d}") for s in base.SCHOOLS for d in range(base.DEVICES_PER_SCHOOL)]
    evil = [(s, f"evil-{d:02d}") for s in base.SCHOOLS for d in range(3)] if hostile else []
    out = []
    for i in range(total):
        school, device = honest[i % len(honest)]
        seq = i // len(honest) + 1
        out.append(
            (
                f"schoolnet/v1/{school}/{device}/telemetry",
                base.lab_pc_report(school, device, seq, t0 + seq * 1000),
            )
        )
        if evil and i % round(1 / HOSTILE_SHARE) == 0:
            school, device = evil[(i // 20) % len(evil)]
            channel = "events" if (i // 20) % 5 == 0 else "telemetry"
            out.append(
                (
                    f"schoolnet/v1/{school}/{device}/{channel}",
                    hostile_report(school, device, i // 20, t0 + seq * 1000),
                )
            )
    return out


def publish(port: int, payloads: list[tuple[str, bytes]]) -> None:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"abuse-pub-{time.time_ns()}")
    client.username_pw_set("simulator", "simulator-secret")
    client.max_inflight_messages_set(base.WINDOW)
    client.max_queued_messages_set(0)
    client.connect("127.0.0.1", port)
    client.loop_start()
    pending = []
    for topic, payload in payloads:
        pending.append(client.publish(topic, payload, qos=1))
        if len(pending) >= base.WINDOW:
            pending[0].wait_for_publish(30)
            pending = [p for p in pending if not p.is_published()]
    for p in pending:
        p.wait_for_publish(30)
    client.disconnect()
    client.loop_stop()


def cpu_seconds(pids: dict[str, list[int]]) -> dict[str, float]:
    """CPU time (user + system) each part has used so far: where a slower run's time went."""
    out = {}
    for part, ids in pids.items():
        total = 0.0
        for pid in ids:
            t = psutil.Process(pid).cpu_times()
            total += t.user + t.system
        out[part] = total
    return out


def run(broker, influx, work: Path, total: int, t0: int, hostile: bool, name: str) -> dict:
    collectors = base.Collectors(broker, influx, work, name, 2, 10_000)
    collectors.start()
    payloads = messages(total, t0, hostile)
    pids = {
        "collectors": [p.pid for p in collectors.procs],
        "broker": [broker.proc.pid],
        "influxdb": [influx.proc.pid],
        "publisher": [psutil.Process().pid],
    }
    cpu_before = cpu_seconds(pids)
    start = time.perf_counter()
    publish(broker.port, payloads)

    def honest_stored() -> int:
        rows = collectors.store.rows(
            'SELECT count("seq") AS n FROM "report" WHERE device =~ /^pc-/'
        )
        return int(rows[0]["n"]) if rows else 0

    deadline, stored = time.perf_counter() + 300, 0
    while time.perf_counter() < deadline:
        stored = honest_stored()
        if stored >= total:
            break
        time.sleep(0.2)
    seconds = time.perf_counter() - start
    cpu = {k: round(v - cpu_before[k], 2) for k, v in cpu_seconds(pids).items()}
    forged = 0
    for query in (
        'SELECT count(*) FROM "forged"',
        "SELECT count(*) FROM /.*/ WHERE time > now() + 1h",
        "SELECT count(usage_percent) FROM cpu WHERE device =~ /^evil/ AND usage_percent = 'poison'",
    ):
        for row in collectors.store.rows(query):
            forged += sum(v for k, v in row.items() if k.startswith("count") and v)
    series = collectors.store.query("SHOW SERIES FROM /flood_.*/")
    flood_series = sum(len(s.get("values", [])) for s in series)
    collectors.stop()
    return {
        "honest_reports": stored,
        "honest_lost": total - stored,
        "seconds": round(seconds, 3),
        "honest_per_s": round(stored / seconds),
        "forged_points": forged,
        "flood_series": flood_series,
        "messages": len(payloads),
        "payload_bytes": sum(len(p) for _, p in payloads),
        "cpu_seconds": cpu,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", "--reports", type=int, default=30_000, help="honest reports per run")
    ap.add_argument(
        "--order",
        default="chhc",
        help="runs in order, c clean and h hostile; the default balances a later run's "
        "handicap (InfluxDB compacting the earlier runs' data) between the two",
    )
    args = ap.parse_args()
    if set(args.order) - {"c", "h"} or "c" not in args.order:
        ap.error("--order is made of c and h, with at least one c")
    work = Path(tempfile.mkdtemp(prefix="schoolnet-abuse-"))
    accounts = [
        MqttAccount("collector", "collector-secret"),
        MqttAccount("simulator", "simulator-secret"),
    ]
    broker = Mosquitto(
        work / "mosquitto", accounts, port=free_port(), simulators=("simulator",), persistence=False
    ).start()
    influx = InfluxDB1(work / "influxdb").start()
    t0 = int(time.time() * 1000) - args.reports * 1000
    runs: list[tuple[str, dict]] = []
    try:
        for i, c in enumerate(args.order):
            hostile = c == "h"
            name = f"{'hostile' if hostile else 'clean'}{i}"
            runs.append((c, run(broker, influx, work, args.reports, t0, hostile, name)))
    finally:
        broker.stop()
        influx.stop()
    clean = [r for c, r in runs if c == "c"]
    hostile = [r for c, r in runs if c == "h"]

    def mean(rs: list[dict], key: str) -> float:
        return sum(r[key] for r in rs) / len(rs)

    if not hostile:  # clean runs only: how much the rate varies on its own
        hostile = clean[1:] or clean
    ratio = round(mean(hostile, "honest_per_s") / max(mean(clean, "honest_per_s"), 1), 3)
    # CPU of the collectors per honest report: what the hostile devices cost the collector,
    # less sensitive than a rate to what else the machine is doing
    for r in runs:
        r[1]["collector_us_per_honest"] = round(
            r[1]["cpu_seconds"]["collectors"] / max(r[1]["honest_reports"], 1) * 1e6, 1
        )
    summary = {
        "reports": args.reports,
        "hostile_share": HOSTILE_SHARE,
        "order": args.order,
        "clean_honest_per_s": round(mean(clean, "honest_per_s")),
        "hostile_honest_per_s": round(mean(hostile, "honest_per_s")),
        "ratio": ratio,
        "ratio_limit": 0.9,
        "rates": [(c, r["honest_per_s"]) for c, r in runs],
        "collector_cpu_ratio": round(
            mean(clean, "collector_us_per_honest")
            / max(mean(hostile, "collector_us_per_honest"), 1e-9),
            3,
        ),
        "forged_points": sum(r["forged_points"] for _, r in runs),
        "honest_lost": sum(r["honest_lost"] for _, r in runs),
        "detail": [dict(r, run=c) for c, r in runs],
    }
    print(json.dumps(summary))
    ok = ratio >= 0.9 and summary["forged_points"] == 0 and summary["honest_lost"] == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
