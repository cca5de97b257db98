"""``make bench-ingest``: end-to-end ingest rate against the limits measured in the same run.

Three figures, all on this machine, all against real Mosquitto and InfluxDB on loopback:
  raw_subscribe  paho QoS 1 subscriber that only counts messages (the broker+client limit)
  raw_influx     line protocol of the same reports written straight to InfluxDB /write
  end_to_end     reports published at full speed, stored by `schoolnet-collector run`,
                 counted in InfluxDB (the collector's real path: validate, convert, batch)
Each is reports/s; the ratios end_to_end/raw_* are what to compare between machines,
since this one is shared and noisy. Prints one JSON line; exits 1 if any report was lost.

The collector acknowledges a message only once it is stored, so the broker's cap on
unacknowledged messages per client matters: ``--broker-inflight`` sets Mosquitto's
``max_inflight_messages`` (100 in production, 20 is its default) and ``--receive-maximum``
the collector's MQTT v5 Receive Maximum, which Mosquitto honours instead.
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
        Sample(
            "cpu",
            {
                "usage_percent": 23.5,
                "user_percent": 15.0,
                "system_percent": 6.5,
                "iowait_percent": 2.0,
                "load1": 0.42,
                "load5": 0.35,
                "load15": 0.3,
            },
        ),
        Sample(
            "mem",
            {
                "total_bytes": 4294967296,
                "available_bytes": 1717986918,
                "used_bytes": 2576980378,
                "used_percent": 60.0,
                "swap_total_bytes": 2147483648,
                "swap_used_bytes": 10485760,
            },
        ),
        Sample(
            "disk",
            {
                "total_bytes": 250059350016,
                "used_bytes": 150035610009,
                "free_bytes": 100023740007,
                "used_percent": 60.0,
            },
            instance="/",
        ),
        Sample(
            "net",
            {
                "bytes_recv_total": 123456789 + seq,
                "bytes_sent_total": 23456789 + seq,
                "packets_recv_total": 234567,
                "packets_sent_total": 123456,
                "errin_total": 0,
                "errout_total": 0,
                "dropin_total": 3,
                "dropout_total": 0,
            },
            instance="eth0",
        ),
        Sample("system", {"uptime_seconds": 3600.0 + seq, "process_count": 187, "users_count": 1}),
    ]
    return encode(build_report(school, device, "lab_pc", seq, samples, ts_ms=ts, interval=60))


def messages(part: int, parts: int, total: int, t0: int):
    """(topic, payload) for this publisher's share; each device's seq counts up from 1."""
    devices = [(s, f"pc-{d:02d}") for s in SCHOOLS for d in range(DEVICES_PER_SCHOOL)]
    for i in range(part, total, parts):
        school, device = devices[i % len(devices)]
        seq = i // len(devices) + 1
        yield (
            f"schoolnet/v1/{school}/{device}/telemetry",
            lab_pc_report(school, device, seq, t0 + seq * 1000),
        )


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


def run_publishers(port: int, total: int, t0: int):
    """Start PUBLISHERS processes publishing ``total`` reports; returns (start time, processes)."""
    ctx = mp.get_context("fork")
    ready, go = ctx.Semaphore(0), ctx.Event()
    procs = [
        ctx.Process(target=publish, args=(port, i, PUBLISHERS, total, t0, ready, go))
        for i in range(PUBLISHERS)
    ]
    for p in procs:
        p.start()
    for _ in procs:
        ready.acquire()
    start = time.perf_counter()
    go.set()
    return start, procs


def join_publishers(started) -> None:
    for p in started[1]:
        p.join()


class CountingSubscriber:
    """The raw limit: a paho QoS 1 subscriber that only counts (persistent session)."""

    def __init__(self, port: int, total: int):
        self.total, self.got, self.first, self.last = total, 0, 0.0, 0.0
        self.done = threading.Event()
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id="bench-raw-sub", clean_session=False
        )
        self.client.username_pw_set("collector", "collector-secret")
        self.client.on_message = self._on_message
        self.port = port

    def _on_message(self, client, userdata, msg):
        self.got += 1
        if self.got == 1:
            self.first = time.perf_counter()
        if self.got == self.total:
            self.last = time.perf_counter()
            self.done.set()

    def connect(self) -> None:
        self.client.connect("127.0.0.1", self.port)
        self.client.subscribe("schoolnet/v1/+/+/+", qos=1)
        self.client.loop_start()
        time.sleep(0.5)

    def disconnect(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def raw_subscribe_rate(port: int, total: int, t0: int, backlog: bool) -> dict:
    sub = CountingSubscriber(port, total)
    sub.connect()
    if backlog:  # the broker queues everything for the absent persistent session
        sub.disconnect()
        join_publishers(run_publishers(port, total, t0))
        cpu0 = time.process_time()
        sub.connect()
        start = None
    else:
        cpu0 = time.process_time()
        start = run_publishers(port, total, t0)
    sub.done.wait(300)
    cpu = time.process_time() - cpu0
    if not backlog:
        join_publishers(start)
    sub.disconnect()
    begin = sub.first if backlog else start[0]
    seconds = (sub.last or time.perf_counter()) - begin
    return {
        "reports": sub.got,
        "seconds": round(seconds, 3),
        "per_s": round(sub.got / seconds),
        "subscriber_cpu_us_per_report": round(cpu / max(sub.got, 1) * 1e6, 1),
    }


def raw_influx_rate(influx: InfluxDB1, total: int, t0: int, database: str) -> dict:
    from schoolnet_collector.core.config import InfluxConfig
    from schoolnet_collector.ingest import lineprotocol as lp
    from schoolnet_collector.ingest.model import metric_types
    from schoolnet_collector.storage.influx import InfluxStore

    influx.create_database(database)
    store = InfluxStore(InfluxConfig(url=influx.url, database=database)).connect()
    lines: list[str] = []
    for _topic, payload in messages(0, 1, total, t0):
        report = json.loads(payload)
        tags = lp.tag_set(
            {
                "province": "bench",
                "commune": "unassigned",
                "managing_body": "commune",
                "level": "thcs",
                "school": report["school"],
                "device": report["device"],
                "kind": "lab_pc",
            }
        )
        issues: lp.Issues = []
        for metric in report["metrics"]:
            line = lp.metric_line(metric_types(metric["name"]), metric, tags, report["ts"], issues)
            if line is not None:
                lines.append(line)
        lines.append(lp.report_line(report, tags, t0))
    start = time.perf_counter()
    for i in range(0, len(lines), 5000):
        store.write(lines[i : i + 5000])
    seconds = time.perf_counter() - start
    return {
        "points": len(lines),
        "points_per_report": len(lines) // total,
        "seconds": round(seconds, 3),
        "per_s": round(total / seconds),
    }


class Collectors:
    """``processes`` real `schoolnet-collector run --no-api` processes under one $share group."""

    def __init__(
        self,
        broker: Mosquitto,
        influx: InfluxDB1,
        work: Path,
        database: str,
        processes: int,
        receive_maximum: int,
    ):
        schools = work / "schools.csv"
        schools.write_text(
            "id,name,province,district,level\n"
            + "".join(f"{s},Bench school {s},bench,d,thcs\n" for s in SCHOOLS)
        )
        self.conf = work / f"collector-{database}.toml"
        self.conf.write_text(
            f'[mqtt]\nport = {broker.port}\npassword = "collector-secret"\n'
            f'client_id = "bench-{database}"\nshare_group = "bench-{database}"\n'
            f"receive_maximum = {receive_maximum}\n"
            f'[influx]\nurl = "{influx.url}"\ndatabase = "{database}"\n'
            f'[registry]\nurl = "sqlite:///{work}/registry-{database}.sqlite3"\n'
            f'[ingest]\ndata_dir = "{work}/collector-data-{database}"\n'
        )
        self.processes = processes
        self.procs: list[subprocess.Popen] = []
        from schoolnet_collector.core.config import InfluxConfig
        from schoolnet_collector.registry.db import make_engine, migrate, session_factory
        from schoolnet_collector.registry.schools import import_schools
        from schoolnet_collector.storage.influx import InfluxStore

        # Migrate and import the schools once here: processes starting together on a new
        # SQLite file would race each other's migration and import.
        engine = make_engine(f"sqlite:///{work}/registry-{database}.sqlite3")
        migrate(engine)
        with session_factory(engine)() as session:
            import_schools(session, schools)
        engine.dispose()

        influx.create_database(database)
        self.store = InfluxStore(InfluxConfig(url=influx.url, database=database))

    def start(self, wait: bool = True) -> None:
        """Spawn the processes; with ``wait``, return once each has subscribed (its log says so):
        a backlog published before a collector's first subscription would not be queued for it."""
        self.logs = [
            self.conf.with_name(f"{self.conf.stem}-{i}.log") for i in range(self.processes)
        ]
        for log in self.logs:
            log.write_text("")
        self.procs = [
            subprocess.Popen(
                [
                    str(Path(sys.executable).parent / "schoolnet-collector"),
                    "--log-level",
                    "INFO",
                    "run",
                    "--no-api",
                    "--config",
                    str(self.conf),
                    "--instance",
                    str(i),
                ],
                stdout=open(log, "ab"),
                stderr=subprocess.STDOUT,
            )
            for i, log in enumerate(self.logs)
        ]
        deadline = time.monotonic() + 120
        while wait and not all("subscribed to" in log.read_text() for log in self.logs):
            if time.monotonic() > deadline or any(p.poll() is not None for p in self.procs):
                raise SystemExit(f"collectors did not subscribe; see {self.logs}")
            time.sleep(0.1)

    def cpu_seconds(self) -> float:
        return sum(sum(psutil.Process(p.pid).cpu_times()[:2]) for p in self.procs)

    def stop(self) -> None:
        for p in self.procs:
            p.terminate()
            p.wait(30)

    def stored(self) -> int:
        rows = self.store.rows('SELECT count("seq") AS n FROM "report"')
        return int(rows[0]["n"]) if rows else 0


def end_to_end_rate(
    broker: Mosquitto,
    influx: InfluxDB1,
    work: Path,
    total: int,
    t0: int,
    processes: int,
    backlog: bool,
    receive_maximum: int,
) -> dict:
    collectors = Collectors(
        broker, influx, work, "backlog" if backlog else "live", processes, receive_maximum
    )
    collectors.start()
    if backlog:  # sessions exist; stop, let the broker queue everything, then drain
        collectors.stop()
        join_publishers(run_publishers(broker.port, total, t0))
        collectors.start(wait=False)  # timing starts at the first stored report, below
    else:
        started = run_publishers(broker.port, total, t0)
    first = finished = None
    stored, first_count = 0, 0
    deadline = time.perf_counter() + 300
    while time.perf_counter() < deadline:
        stored = collectors.stored()
        if stored and first is None:
            first, first_count = time.perf_counter(), stored
        if stored >= total:
            finished = time.perf_counter()
            break
        time.sleep(0.2)
    if not backlog:
        join_publishers(started)
    cpu_seconds = collectors.cpu_seconds()
    collectors.stop()
    end = finished or time.perf_counter()
    # Live: from the first publish. Backlog: from the first stored batch (process start excluded).
    seconds = end - ((first or end) if backlog else started[0])  # nothing stored: 0 s, all lost
    counted = stored - (first_count if backlog else 0)
    return {
        "reports": stored,
        "lost": total - stored,
        "seconds": round(seconds, 3),
        "per_s": round(counted / seconds) if seconds > 0 else 0,
        "collector_processes": processes,
        "collector_cpu_seconds": round(cpu_seconds, 2),
        "collector_cpu_us_per_report": round(cpu_seconds / max(stored, 1) * 1e6, 1),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", "--reports", type=int, default=100_000)
    ap.add_argument(
        "--processes",
        type=int,
        default=2,
        choices=range(1, 9),
        metavar="1-8",
        help="collector processes sharing the subscription ($share); default 2, "
        "one per core of this machine kind",
    )
    ap.add_argument(
        "--broker-inflight",
        type=int,
        default=100,
        metavar="N",
        help="Mosquitto max_inflight_messages (default 100, as in production; 0 = no cap)",
    )
    ap.add_argument(
        "--receive-maximum",
        type=int,
        default=10_000,
        metavar="N",
        help="the collector's MQTT v5 Receive Maximum (default 10000, as configured)",
    )
    args = ap.parse_args()
    if not 1 <= args.receive_maximum <= 65_535:
        ap.error("--receive-maximum must be 1-65535")
    if args.broker_inflight < 0:
        ap.error("--broker-inflight must be 0 or more")
    if args.reports < len(SCHOOLS) * DEVICES_PER_SCHOOL:
        ap.error(f"--reports must be at least {len(SCHOOLS) * DEVICES_PER_SCHOOL}")
    work = Path(tempfile.mkdtemp(prefix="schoolnet-bench-"))
    accounts = [
        MqttAccount("collector", "collector-secret"),
        MqttAccount("simulator", "simulator-secret"),
    ]
    broker = Mosquitto(
        work / "mosquitto",
        accounts,
        port=free_port(),
        simulators=("simulator",),
        persistence=False,
        max_inflight_messages=args.broker_inflight,
    ).start()
    influx = InfluxDB1(work / "influxdb").start()
    t0 = int(time.time() * 1000) - args.reports * 1000  # reports spread over the recent past
    results = {}
    try:
        results["raw_influx"] = raw_influx_rate(influx, args.reports, t0, "raw")
        for mode, backlog in (("live", False), ("backlog", True)):
            results[f"raw_subscribe_{mode}"] = raw_subscribe_rate(
                broker.port, args.reports, t0, backlog
            )
            results[f"end_to_end_{mode}"] = end_to_end_rate(
                broker,
                influx,
                work,
                args.reports,
                t0,
                args.processes,
                backlog,
                args.receive_maximum,
            )
    finally:
        broker.stop()
        influx.stop()
    summary = {
        "reports": args.reports,
        "broker_inflight": args.broker_inflight,
        "receive_maximum": args.receive_maximum,
        "payload_bytes": len(lab_pc_report("bench-000", "pc-00", 1, t0)),
        "raw_influx_per_s": results["raw_influx"]["per_s"],
    }
    for mode in ("live", "backlog"):
        e2e, raw = results[f"end_to_end_{mode}"], results[f"raw_subscribe_{mode}"]
        summary.update(
            {
                f"{mode}_raw_subscribe_per_s": raw["per_s"],
                f"{mode}_end_to_end_per_s": e2e["per_s"],
                f"{mode}_lost": e2e["lost"],
                f"{mode}_ratio_to_raw_subscribe": round(e2e["per_s"] / raw["per_s"], 3),
                f"{mode}_ratio_to_raw_influx": round(e2e["per_s"] / summary["raw_influx_per_s"], 3),
                f"{mode}_collector_cpu_us_per_report": e2e["collector_cpu_us_per_report"],
            }
        )
    summary["detail"] = results
    print(json.dumps(summary))
    return 1 if summary["live_lost"] or summary["backlog_lost"] else 0


if __name__ == "__main__":
    sys.exit(main())
