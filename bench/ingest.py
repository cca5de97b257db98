"""``make bench-ingest``: end-to-end ingest rate against the limits measured in the same run.

Three figures, all on this machine, all against real Mosquitto and InfluxDB on loopback:
  raw_subscribe  paho QoS 1 subscriber that only counts messages (the broker+client limit)
  raw_influx     line protocol of the same reports written straight to InfluxDB /write
  end_to_end     reports published at full speed, stored by `schoolnet-collector run`,
                 counted in InfluxDB (the collector's real path: validate, convert, batch)
Each is reports/s; the ratios end_to_end/raw_* are what to compare between machines,
since this one is shared and noisy. Prints one JSON line; exits 1 if any report was lost.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import paho.mqtt.client as mqtt  # noqa: E402
import psutil  # noqa: E402
from paho.mqtt.enums import CallbackAPIVersion  # noqa: E402

from devenv.services import InfluxDB1, Mosquitto, MqttAccount, free_port  # noqa: E402
from schoolnet_agent.protocol import Sample, build_report, encode  # noqa: E402

SCHOOLS = [f"bench-{i:03d}" for i in range(20)]
DEVICES_PER_SCHOOL = 50
PUBLISHERS = 2
WINDOW = 200  # QoS 1 messages in flight per publisher


def lab_pc_report(school: str, device: str, seq: int, ts: int) -> bytes:
    """A lab PC's telemetry as the agent sends it: five metrics, 27 fields (~900 bytes)."""
    samples = [
        Sample("cpu", {"usage_percent": 23.5, "user_percent": 15.0, "system_percent": 6.5,
                       "iowait_percent": 2.0, "load1": 0.42, "load5": 0.35, "load15": 0.3}),
        Sample("mem", {"total_bytes": 4294967296, "available_bytes": 1717986918, "used_bytes": 2576980378,
                       "used_percent": 60.0, "swap_total_bytes": 2147483648, "swap_used_bytes": 10485760}),
        Sample("disk", {"total_bytes": 250059350016, "used_bytes": 150035610009, "free_bytes": 100023740007,
                        "used_percent": 60.0}, instance="/"),
        Sample("net", {"bytes_recv_total": 123456789 + seq, "bytes_sent_total": 23456789 + seq,
                       "packets_recv_total": 234567, "packets_sent_total": 123456, "errin_total": 0,
                       "errout_total": 0, "dropin_total": 3, "dropout_total": 0}, instance="eth0"),
        Sample("system", {"uptime_seconds": 3600.0 + seq, "process_count": 187, "users_count": 1}),
    ]
    return encode(build_report(school, device, "lab_pc", seq, samples, ts_ms=ts, interval=60))


def messages(part: int, parts: int, total: int, t0: int):
    """(topic, payload) for this publisher's share; each device's seq counts up from 1."""
    devices = [(s, f"pc-{d:02d}") for s in SCHOOLS for d in range(DEVICES_PER_SCHOOL)]
    for i in range(part, total, parts):
        school, device = devices[i % len(devices)]
        seq = i // len(devices) + 1
        yield (f"schoolnet/v1/{school}/{device}/telemetry",
               lab_pc_report(school, device, seq, t0 + seq * 1000))


def publish(port: int, part: int, parts: int, total: int, t0: int, ready, go) -> None:
    """One publisher process: paho with a window of WINDOW messages in flight."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-pub-{part}")
    client.username_pw_set("simulator", "simulator-secret")
    client.max_inflight_messages_set(WINDOW)
    client.max_queued_messages_set(0)
    client.connect("127.0.0.1", port)
    client.loop_start()
    payloads = list(messages(part, parts, total, t0))
    ready.release()
    go.wait()
    pending = []
    for topic, payload in payloads:
        pending.append(client.publish(topic, payload, qos=1))
        if len(pending) >= WINDOW:
            pending[0].wait_for_publish(30)
            pending = [p for p in pending if not p.is_published()]
    for p in pending:
        p.wait_for_publish(30)
    client.disconnect()
    client.loop_stop()


def run_publishers(port: int, total: int, t0: int) -> float:
    """Publish ``total`` reports with PUBLISHERS processes; returns the start time."""
    ctx = mp.get_context("fork")
    ready, go = ctx.Semaphore(0), ctx.Event()
    procs = [ctx.Process(target=publish, args=(port, i, PUBLISHERS, total, t0, ready, go))
             for i in range(PUBLISHERS)]
    for p in procs:
        p.start()
    for _ in procs:
        ready.acquire()
    start = time.perf_counter()
    go.set()
    run_publishers.procs = procs
    return start


def raw_subscribe_rate(port: int, total: int, t0: int) -> dict:
    got = 0
    done = threading.Event()
    last = [0.0]

    def on_message(client, userdata, msg):
        nonlocal got
        got += 1
        if got == total:
            last[0] = time.perf_counter()
            done.set()

    sub = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-raw-sub")
    sub.username_pw_set("collector", "collector-secret")
    sub.on_message = on_message
    sub.connect("127.0.0.1", port)
    sub.subscribe("schoolnet/v1/+/+/+", qos=1)
    sub.loop_start()
    time.sleep(0.5)
    cpu0 = time.process_time()
    start = run_publishers(port, total, t0)
    done.wait(300)
    for p in run_publishers.procs:
        p.join()
    sub.loop_stop()
    sub.disconnect()
    seconds = (last[0] or time.perf_counter()) - start
    cpu = time.process_time() - cpu0
    return {"reports": got, "seconds": round(seconds, 3), "per_s": round(got / seconds),
            "subscriber_cpu_us_per_report": round(cpu / max(got, 1) * 1e6, 1)}


def raw_influx_rate(influx: InfluxDB1, total: int, t0: int) -> dict:
    from schoolnet_collector.core.config import InfluxConfig
    from schoolnet_collector.ingest import lineprotocol as lp
    from schoolnet_collector.storage.influx import InfluxStore

    influx.create_database("raw")
    store = InfluxStore(InfluxConfig(url=influx.url, database="raw")).connect()
    lines: list[str] = []
    for topic, payload in messages(0, 1, total, t0):
        report = json.loads(payload)
        tags = lp.tag_set({"province": "bench", "district": "d", "level": "thcs",
                           "school": report["school"], "device": report["device"], "kind": "lab_pc"})
        lines.extend(lp.telemetry_lines(report, tags, t0))
    per_report = len(lines) // total
    start = time.perf_counter()
    for i in range(0, len(lines), 5000):
        store.write(lines[i:i + 5000])
    seconds = time.perf_counter() - start
    return {"points": len(lines), "points_per_report": per_report, "seconds": round(seconds, 3),
            "per_s": round(total / seconds)}


def end_to_end_rate(broker: Mosquitto, influx: InfluxDB1, work: Path, total: int, t0: int,
                    processes: int) -> dict:
    schools = work / "schools.csv"
    schools.write_text("id,name,province,district,level\n" + "".join(
        f"{s},Bench school {s},bench,d,thcs\n" for s in SCHOOLS))
    conf = work / "collector.toml"
    conf.write_text(f'[mqtt]\nport = {broker.port}\npassword = "collector-secret"\n'
                    f'client_id = "bench-collector"\n'
                    f'[influx]\nurl = "{influx.url}"\ndatabase = "e2e"\n'
                    f'[registry]\nurl = "sqlite:///{work}/registry.sqlite3"\nschools_file = "{schools}"\n')
    collectors = [subprocess.Popen([str(Path(sys.executable).parent / "schoolnet-collector"),
                                    "--log-level", "WARNING", "run", "--no-api", "--config", str(conf),
                                    "--instance", str(i)]) for i in range(processes)]
    from schoolnet_collector.core.config import InfluxConfig
    from schoolnet_collector.storage.influx import InfluxStore

    influx.create_database("e2e")
    store = InfluxStore(InfluxConfig(url=influx.url, database="e2e"))
    time.sleep(3)  # collector: migrate the registry, connect, subscribe
    start = run_publishers(broker.port, total, t0)
    stored, finished = 0, None
    deadline = time.perf_counter() + 300
    while time.perf_counter() < deadline:
        rows = store.rows('SELECT count("seq") AS n FROM "report"')
        stored = int(rows[0]["n"]) if rows else 0
        if stored >= total:
            finished = time.perf_counter()
            break
        time.sleep(0.2)
    for p in run_publishers.procs:
        p.join()
    cpu_seconds = sum(sum(psutil.Process(c.pid).cpu_times()[:2]) for c in collectors)
    for c in collectors:
        c.terminate()
        c.wait(30)
    seconds = (finished or time.perf_counter()) - start
    return {"reports": stored, "lost": total - stored, "seconds": round(seconds, 3),
            "per_s": round(stored / seconds), "collector_processes": processes,
            "collector_cpu_seconds": round(cpu_seconds, 2),
            "collector_cpu_us_per_report": round(cpu_seconds / max(stored, 1) * 1e6, 1)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", "--reports", type=int, default=100_000)
    ap.add_argument("--processes", type=int, default=2, choices=range(1, 9), metavar="1-8",
                    help="collector processes sharing the subscription ($share); default 2")
    args = ap.parse_args()
    if args.reports < len(SCHOOLS) * DEVICES_PER_SCHOOL:
        ap.error(f"--reports must be at least {len(SCHOOLS) * DEVICES_PER_SCHOOL}")
    work = Path(tempfile.mkdtemp(prefix="schoolnet-bench-"))
    accounts = [MqttAccount("collector", "collector-secret"), MqttAccount("simulator", "simulator-secret")]
    broker = Mosquitto(work / "mosquitto", accounts, port=free_port(), simulators=("simulator",)).start()
    influx = InfluxDB1(work / "influxdb").start()
    t0 = int(time.time() * 1000) - args.reports * 1000  # reports spread over the recent past
    try:
        raw_sub = raw_subscribe_rate(broker.port, args.reports, t0)
        raw_db = raw_influx_rate(influx, args.reports, t0)
        e2e = end_to_end_rate(broker, influx, work, args.reports, t0, args.processes)
    finally:
        broker.stop()
        influx.stop()
    print(json.dumps({
        "reports": args.reports, "payload_bytes": len(lab_pc_report("bench-000", "pc-00", 1, t0)),
        "raw_subscribe_per_s": raw_sub["per_s"], "raw_influx_per_s": raw_db["per_s"],
        "end_to_end_per_s": e2e["per_s"], "lost": e2e["lost"],
        "ratio_e2e_to_raw_subscribe": round(e2e["per_s"] / raw_sub["per_s"], 3),
        "ratio_e2e_to_raw_influx": round(e2e["per_s"] / raw_db["per_s"], 3),
        "detail": {"raw_subscribe": raw_sub, "raw_influx": raw_db, "end_to_end": e2e},
    }))
    return 1 if e2e["lost"] else 0


if __name__ == "__main__":
    sys.exit(main())
