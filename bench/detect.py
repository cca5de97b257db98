"""``make bench-detect``: from a school's link cut to the teacher's email, over several runs.

Real parts only, all on loopback: Mosquitto, InfluxDB, ``schoolnet-collector run`` (ingest,
alert rules, notifications), a real ``schoolnet-agent`` as the school's gateway, and an SMTP
server (aiosmtpd) standing in for the province's mail server. Each run:

1. the agent reports; the collector sees the school online;
2. the agent is frozen with SIGSTOP: its TCP connection stays open but silent, as when a
   school's fibre or 3G link dies, so the broker publishes its Will only after keepalive × 1.5;
3. the time until the email is in the SMTP server's inbox is taken, and, in the same run,
   the time until the Will arrived (the limit no alert pipeline can beat);
4. the agent is killed and a new one started; the resolution email ends the run.

Prints one JSON line: median and max of cut→email and cut→Will, and the pipeline's own share
(email − Will), with the settings used. Target: cut→email ≤ 45 s with keepalive 20 (Will at
~30 s) and the packaged rules (evaluation every 5 s, school_offline without extra wait: the
keepalive lapse is its debounce). ``--debounce-minutes`` overrides school_offline's
``for_minutes`` and adds exactly that to the target.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from importlib import resources
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # the SMTP server the tests use

import paho.mqtt.client as mqtt  # noqa: E402
import yaml  # noqa: E402
from paho.mqtt.enums import CallbackAPIVersion  # noqa: E402
from smtp_helpers import SmtpServer  # noqa: E402

from devenv.services import InfluxDB1, Mosquitto, MqttAccount  # noqa: E402
from schoolnet_collector.registry.alerting_models import Contact  # noqa: E402
from schoolnet_collector.registry.db import make_engine, migrate, session_factory  # noqa: E402
from schoolnet_collector.registry.schools import import_schools  # noqa: E402

BIN = Path(sys.executable).parent
SCHOOL, GATEWAY = "lc-bench-01", "gw"
COLLECTOR = MqttAccount("collector", "collector-secret")
AGENT_ACCOUNT = MqttAccount(SCHOOL, "bench-gw-secret")
TARGET_S = 45.0


def write_files(
    work: Path, args, mosquitto: Mosquitto, influx: InfluxDB1, smtp_port: int
) -> tuple[Path, Path, float]:
    """The school file, registry (with the teacher), rules, collector and agent configs;
    returns the two configs and the rules' evaluation interval."""
    schools = work / "schools.csv"
    schools.write_text(
        "id,name,province,district,level,district_name\n"
        f"{SCHOOL},Trường THCS Đo Thời Gian,lao-cai,bat-xat,thcs,Bát Xát\n",
        encoding="utf-8",
    )
    rules = yaml.safe_load(
        resources.files("schoolnet_collector.rules")
        .joinpath("default.yaml")
        .read_text(encoding="utf-8")
    )
    if args.debounce_minutes is not None:
        rules["rules"]["school_offline"]["for_minutes"] = args.debounce_minutes
    args.debounce_minutes = rules["rules"]["school_offline"]["for_minutes"]
    rules["rules"]["school_offline"]["clear_minutes"] = 0
    # Every run cuts the same school again: its third outage within the hour would otherwise
    # be one "flapping" incident that stays open (no second email: right in production).
    rules["flapping"]["max_openings"] = 10_000
    (work / "rules.yaml").write_text(yaml.safe_dump(rules, allow_unicode=True), encoding="utf-8")
    registry = f"sqlite:///{work}/registry.sqlite3"
    engine = make_engine(registry)
    migrate(engine)
    sessions = session_factory(engine)
    with sessions() as session:
        import_schools(session, schools)  # commits itself
    with sessions.begin() as session:
        session.add(
            Contact(
                name="Giáo viên Tin học",
                role="school_it",
                school_id=SCHOOL,
                email="gv-tin@bench.test",
                language="vi",
                active=True,
            )
        )
    engine.dispose()
    collector = work / "collector.toml"
    collector.write_text(
        f"""
[mqtt]
port = {mosquitto.port}
password = "{COLLECTOR.password}"
client_id = "bench-detect"
share_group = ""
[influx]
url = "{influx.url}"
database = "bench_detect"
[registry]
url = "{registry}"
[alerting]
rules_file = "{work / "rules.yaml"}"
[notify]
respect_school_time = false  # the bench runs at any hour; holds are tested elsewhere
[notify.smtp]
host = "127.0.0.1"
port = {smtp_port}
security = "none"
""",
        encoding="utf-8",
    )
    agent = work / "agent.toml"
    agent.write_text(
        f"""
[device]
school = "{SCHOOL}"
id = "{GATEWAY}"
kind = "gateway"
interval_seconds = 60
[mqtt]
port = {mosquitto.port}
username = "{AGENT_ACCOUNT.username}"
password = "{AGENT_ACCOUNT.password}"
keepalive = {args.keepalive}
[probes]
enabled = ["mem", "system"]
[state]
directory = "{work / "agent-state"}"
[budget]
metered = false
""",
        encoding="utf-8",
    )
    return collector, agent, rules["evaluate_every_seconds"]


class WillWatcher:
    """Notes when the broker publishes the gateway's ``offline`` (its Will)."""

    def __init__(self, port: int):
        self.offline_at: float | None = None
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-will-watch")
        self.client.username_pw_set(COLLECTOR.username, COLLECTOR.password)
        self.client.on_message = self._on_message
        self.client.on_connect = lambda c, *a: c.subscribe(
            f"schoolnet/v1/{SCHOOL}/{GATEWAY}/availability", qos=1
        )
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()

    def _on_message(self, client, userdata, msg):
        if msg.payload == b"offline" and self.offline_at is None:
            self.offline_at = time.monotonic()

    def close(self):
        self.client.loop_stop()
        self.client.disconnect()


def start_agent(config: Path, log) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCHOOLNET_AGENT_")}
    return subprocess.Popen(
        [BIN / "schoolnet-agent", "run", "--config", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=log,
        env=env,
    )


def wait(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"bench-detect: {what} not within {timeout:.0f} s")
        time.sleep(0.05)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3, help="link cuts to time (default 3)")
    ap.add_argument("--keepalive", type=int, default=20, help="the agent's MQTT keepalive, seconds")
    ap.add_argument(
        "--debounce-minutes",
        type=float,
        default=None,
        help="school_offline for_minutes (default: the packaged rules' value)",
    )
    args = ap.parse_args()
    if args.runs < 1:
        ap.error("--runs must be at least 1")

    cuts, wills = [], []
    every = None
    with tempfile.TemporaryDirectory(prefix="bench-detect-") as tmp, SmtpServer() as smtp:
        work = Path(tmp)
        mosquitto = Mosquitto(work / "mosquitto", [COLLECTOR, AGENT_ACCOUNT]).start()
        influx = InfluxDB1(work / "influxdb").start()
        collector_log = open(work / "collector.log", "ab")
        agent_log = open(work / "agent.log", "ab")
        collector = agent = None
        watcher = None
        try:
            collector_toml, agent_toml, every = write_files(
                work, args, mosquitto, influx, smtp.port
            )
            collector = subprocess.Popen(
                [BIN / "schoolnet-collector", "run", "--no-api", "--config", str(collector_toml)],
                stdout=subprocess.DEVNULL,
                stderr=collector_log,
            )
            watcher = WillWatcher(mosquitto.port)
            agent = start_agent(agent_toml, agent_log)
            for run in range(args.runs):
                # The school is up and the collector has seen it (a few reports, one evaluation).
                time.sleep(12)
                watcher.offline_at = None
                before = len(smtp.messages)
                cut = time.monotonic()
                os.kill(agent.pid, signal.SIGSTOP)
                wait(lambda n=before: len(smtp.messages) > n, 600, "the outage email")
                email_s = time.monotonic() - cut
                will_s = (watcher.offline_at or float("nan")) - cut
                cuts.append(email_s)
                wills.append(will_s)
                print(
                    f"run {run + 1}: Will after {will_s:.1f} s, email after {email_s:.1f} s: "
                    f"{smtp.messages[-1]['Subject']}",
                    file=sys.stderr,
                )
                agent.kill()
                agent.wait()
                agent = start_agent(agent_toml, agent_log)
                wait(lambda n=before: len(smtp.messages) > n + 1, 120, "the resolution email")
        finally:
            for proc in (agent, collector):
                if proc is not None and proc.poll() is None:
                    proc.send_signal(signal.SIGCONT) if proc is agent else None
                    proc.terminate()
                    try:
                        proc.wait(15)
                    except subprocess.TimeoutExpired:
                        proc.kill()
            if watcher:
                watcher.close()
            influx.stop()
            mosquitto.stop()
            collector_log.close()
            agent_log.close()

    pipeline = [c - w for c, w in zip(cuts, wills, strict=False)]
    result = {
        "runs": args.runs,
        "keepalive_s": args.keepalive,
        "debounce_minutes": args.debounce_minutes,
        "evaluate_every_s": every,
        "notify_poll_s": 1,
        "cut_to_email_median_s": round(statistics.median(cuts), 1),
        "cut_to_email_max_s": round(max(cuts), 1),
        "cut_to_will_median_s": round(statistics.median(wills), 1),
        "cut_to_will_max_s": round(max(wills), 1),
        "pipeline_after_will_median_s": round(statistics.median(pipeline), 1),
        "pipeline_after_will_max_s": round(max(pipeline), 1),
        "email_over_will_ratio": round(statistics.median(cuts) / statistics.median(wills), 2),
        "target_s": TARGET_S + args.debounce_minutes * 60,
    }
    result["within_target"] = result["cut_to_email_max_s"] <= result["target_s"]
    print(json.dumps(result))
    return 0 if result["within_target"] else 1


if __name__ == "__main__":
    sys.exit(main())
