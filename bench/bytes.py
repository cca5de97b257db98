"""``make bench-bytes``: bytes on the wire per device report, normal and metered, and what a
3G school of 30 devices would spend in a month.

Real bytes, real parts: Mosquitto runs in one network namespace, ``schoolnet-agent run`` in
another, joined by a veth pair with a 1500-byte MTU (10.254.<n>.1 ↔ .2, no route anywhere
else: nothing leaves the two namespaces this script creates and deletes). The veth's packet
and byte counters on the agent's side see every frame both ways; IP bytes = bytes − 14 × frames
(Ethernet header), which is what a 3G operator bills (it bills IP packets, no Ethernet).

Measured, each with a fresh agent and spool:

1. **normal** (fixed line): a report a second (the interval compressed; bytes per report do
   not depend on it), published alone; bytes per report over 15 reports.
2. **metered**: ``[budget] metered = true``, batches of 12 lean reports; bytes per report
   over two whole batches.
3. **keepalive**: an idle agent with a 2 s keepalive: bytes per PINGREQ/PINGRESP exchange.
4. **start**: from the agent's start to its first report acknowledged: CONNECT, availability,
   the control-topic subscription, inventory (a PC starts once a school day).

Also printed: the agent's own estimate (``budget.wire_bytes``, what its ``budget`` metric
counts) against the measured bytes, and the projection below, compared with the target of
30 MB a month per school. A speed-test app uses about 2 GB a month on the same link.

Projection for a 3G school of 30 devices (assumptions, printed too): 29 PCs powered 8 h a
day, 22 school days a month; the gateway on 24 h a day, 30 days; one boot a day each. Normal:
a report a minute, keepalive 20 s. Metered: a report every 5 minutes (``budget.interval_seconds``),
batches of 12, PCs' keepalive ``budget.keepalive`` (600 s), the gateway's
``budget.gateway_keepalive`` (60 s). Pings per hour = messages per hour × (⌈spacing /
keepalive⌉ − 1): paho pings only after a keepalive period without traffic. The gateway's report
is assumed the size of a PC's (its gateway probes add fields; its uplink probe is measured by
its own bench).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from devenv.mqtt_auth import write_acl, write_password_file  # noqa: E402
from devenv.services import MqttAccount, find_binary  # noqa: E402
from schoolnet_agent.delivery.budget import wire_bytes  # noqa: E402
from schoolnet_agent.protocol.batch import encode_batch  # noqa: E402

AGENT = str(Path(sys.executable).with_name("schoolnet-agent"))
SCHOOL, DEVICE = "lc-bytes-01", "pc-01"
ACCOUNT = MqttAccount(f"{SCHOOL}/{DEVICE}", "bytes-secret")
PORT = 1883
ETHERNET = 14
TARGET_MB = 30.0
MB = 1024 * 1024
PROBES = ["cpu", "mem", "disk", "diskio", "net", "system", "sensors"]


def sh(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run(list(args), capture_output=True, text=True, timeout=30)
    if check and done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)}: {done.stderr.strip()}")
    return done


class Link:
    """Two namespaces, broker and agent, joined by one veth pair; deleted on exit."""

    def __init__(self) -> None:
        pid = os.getpid()
        self.broker_ns, self.agent_ns = f"snbb{pid}", f"snba{pid}"
        net = 1 + pid % 250
        self.broker_ip, self.agent_ip = f"10.254.{net}.1", f"10.254.{net}.2"
        self.dev = "wan0"

    def __enter__(self) -> Link:
        try:
            for ns in (self.broker_ns, self.agent_ns):
                sh("ip", "netns", "add", ns)
                sh("ip", "-n", ns, "link", "set", "lo", "up")
            sh(
                "ip",
                "link",
                "add",
                self.dev,
                "netns",
                self.agent_ns,
                "mtu",
                "1500",
                "type",
                "veth",
                "peer",
                "name",
                "eth0",
                "netns",
                self.broker_ns,
                "mtu",
                "1500",
            )
            sh("ip", "-n", self.agent_ns, "addr", "add", f"{self.agent_ip}/30", "dev", self.dev)
            sh("ip", "-n", self.broker_ns, "addr", "add", f"{self.broker_ip}/30", "dev", "eth0")
            sh("ip", "-n", self.agent_ns, "link", "set", self.dev, "up")
            sh("ip", "-n", self.broker_ns, "link", "set", "eth0", "up")
        except Exception:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc) -> None:
        for ns in (self.agent_ns, self.broker_ns):
            sh("ip", "netns", "del", ns, check=False)

    def counters(self) -> tuple[int, int]:
        """(IP bytes, packets) both ways on the agent's side of the veth."""
        out = sh("ip", "-j", "-s", "-n", self.agent_ns, "link", "show", "dev", self.dev).stdout
        stats = json.loads(out)[0]["stats64"]
        frames = stats["rx"]["packets"] + stats["tx"]["packets"]
        return stats["rx"]["bytes"] + stats["tx"]["bytes"] - ETHERNET * frames, frames


def start_broker(link: Link, work: Path) -> subprocess.Popen:
    passwd, acl, conf = work / "passwd", work / "acl", work / "mosquitto.conf"
    write_password_file(passwd, [ACCOUNT])
    write_acl(acl)
    conf.write_text(
        f"listener {PORT} {link.broker_ip}\nuser {os.environ.get('USER', 'root')}\n"
        f"allow_anonymous false\npassword_file {passwd}\nacl_file {acl}\n"
        "persistence false\nlog_dest none\n"
    )
    proc = subprocess.Popen(
        [
            "ip",
            "netns",
            "exec",
            link.broker_ns,
            find_binary("mosquitto", "/usr/sbin/mosquitto"),
            "-c",
            str(conf),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(0.5)
    if proc.poll() is not None:
        raise RuntimeError("mosquitto did not start in the broker namespace")
    return proc


def agent_config(
    link: Link, work: Path, name: str, *, interval: float, keepalive: int, metered: bool
) -> Path:
    state = work / name
    text = (
        f'[device]\nschool = "{SCHOOL}"\nid = "{DEVICE}"\ninterval_seconds = {interval}\n'
        f'[mqtt]\nhost = "{link.broker_ip}"\nport = {PORT}\npassword = "{ACCOUNT.password}"\n'
        f"keepalive = {keepalive}\n"
        f'[probes]\nenabled = {json.dumps(PROBES)}\n[state]\ndirectory = "{state}"\n'
        f"[budget]\nmetered = {'true' if metered else 'false'}\ninterval_seconds = 1\n"
        f"batch_reports = 12\nkeepalive = {keepalive}\n"
    )
    path = work / f"{name}.toml"
    path.write_text(text)
    return path


def acked_reports(spool: Path) -> list[bytes]:
    """Payloads of the telemetry reports the broker has acknowledged, oldest first."""
    if not spool.exists():
        return []
    db = sqlite3.connect(f"file:{spool}?mode=ro", uri=True)
    try:
        rows = db.execute(
            "SELECT payload FROM message WHERE channel = 'telemetry' AND "
            "acked_ms IS NOT NULL ORDER BY id"
        ).fetchall()
    except sqlite3.OperationalError:
        return []
    finally:
        db.close()
    return [bytes(r[0]) for r in rows]


def wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.02)
    raise RuntimeError(f"timed out waiting for {what}")


class Agent:
    def __init__(self, link: Link, config: Path, spool: Path):
        self.link, self.spool = link, spool
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", link.agent_ns, AGENT, "run", "--config", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def acked(self, n: int, timeout: float = 60) -> list[bytes]:
        return wait_for(
            lambda: len(r := acked_reports(self.spool)) >= n and r,
            timeout,
            f"{n} acknowledged reports",
        )

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def measure_normal(link: Link, work: Path, reports: int) -> dict:
    config = agent_config(link, work, "normal", interval=1, keepalive=20, metered=False)
    before = link.counters()
    agent = Agent(link, config, work / "normal" / "spool.db")
    try:
        first = agent.acked(1)
        started = link.counters()
        done = agent.acked(1 + reports)
        after = link.counters()
    finally:
        agent.stop()
    topic = f"schoolnet/v1/{SCHOOL}/{DEVICE}/telemetry"
    window = done[len(first) : len(first) + reports]
    return {
        "bytes_per_report": (after[0] - started[0]) / reports,
        "packets_per_report": (after[1] - started[1]) / reports,
        "payload_bytes": sum(map(len, window)) / reports,
        "estimate_per_report": sum(wire_bytes(topic, len(p)) for p in window) / reports,
        "start_bytes": started[0] - before[0] - (after[0] - started[0]) / reports,
    }


def measure_metered(link: Link, work: Path, batch: int = 12) -> dict:
    config = agent_config(link, work, "metered", interval=1, keepalive=300, metered=True)
    agent = Agent(link, config, work / "metered" / "spool.db")
    try:
        agent.acked(batch, timeout=120)
        start = link.counters()
        done = agent.acked(3 * batch, timeout=120)
        after = link.counters()
    finally:
        agent.stop()
    reports = len(done) - batch
    window = done[batch:]
    topic = f"schoolnet/v1/{SCHOOL}/{DEVICE}/batch"
    groups = [window[i : i + batch] for i in range(0, len(window), batch)]
    batches = [encode_batch(g) for g in groups]
    return {
        "bytes_per_report": (after[0] - start[0]) / reports,
        "packets_per_report": (after[1] - start[1]) / reports,
        "json_bytes_per_report": sum(map(len, window)) / reports,
        "batch_payload_bytes": sum(map(len, batches)) / len(batches),
        "estimate_per_report": sum(wire_bytes(topic, len(b)) for b in batches) / reports,
        "reports": reports,
    }


def measure_ping(link: Link, work: Path, seconds: float = 12.0, keepalive: int = 2) -> dict:
    config = agent_config(link, work, "idle", interval=86400, keepalive=keepalive, metered=False)
    agent = Agent(link, config, work / "idle" / "spool.db")
    try:
        agent.acked(1)
        time.sleep(keepalive + 0.5)
        start = link.counters()
        time.sleep(seconds)
        after = link.counters()
    finally:
        agent.stop()
    pings = seconds / keepalive
    return {
        "bytes_per_ping": (after[0] - start[0]) / pings,
        "packets_per_ping": (after[1] - start[1]) / pings,
    }


def pings_per_hour(spacing_s: float, keepalive_s: float) -> float:
    return 3600 / spacing_s * (math.ceil(spacing_s / keepalive_s) - 1)


def project(
    per_report: float,
    start: float,
    ping: float,
    *,
    interval: float,
    batch: int,
    pc_keepalive: float,
    gw_keepalive: float,
) -> dict:
    """Monthly MB of a school: 29 PCs (8 h × 22 days) + 1 gateway (24 h × 30 days)."""
    spacing = interval * batch
    reports_h = 3600 / interval
    pc_hour = reports_h * per_report + pings_per_hour(spacing, pc_keepalive) * ping
    gw_hour = reports_h * per_report + pings_per_hour(spacing, gw_keepalive) * ping
    pcs = 29 * 22 * (start + 8 * pc_hour)
    gateway = 30 * start + 30 * 24 * gw_hour
    return {"pcs_mb": pcs / MB, "gateway_mb": gateway / MB, "school_mb": (pcs + gateway) / MB}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", type=int, default=15, help="normal-mode reports measured")
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        print("bench-bytes needs root (network namespaces)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="bench-bytes-") as tmp, Link() as link:
        work = Path(tmp)
        broker = start_broker(link, work)
        try:
            normal = measure_normal(link, work, args.reports)
            metered = measure_metered(link, work)
            ping = measure_ping(link, work)
        finally:
            broker.terminate()
            broker.wait(10)
    start, per_ping = normal["start_bytes"], ping["bytes_per_ping"]
    normal_month = project(
        normal["bytes_per_report"],
        start,
        per_ping,
        interval=60,
        batch=1,
        pc_keepalive=20,
        gw_keepalive=20,
    )
    metered_month = project(
        metered["bytes_per_report"],
        start,
        per_ping,
        interval=300,
        batch=12,
        pc_keepalive=600,
        gw_keepalive=60,
    )
    ratio = metered["bytes_per_report"] / normal["bytes_per_report"]
    print("bytes on the wire per report (IP bytes both ways, veth counters):")
    print(
        f"  normal : {normal['bytes_per_report']:7.0f} B in {normal['packets_per_report']:.1f} "
        f"packets (JSON payload {normal['payload_bytes']:.0f} B; agent's estimate "
        f"{normal['estimate_per_report']:.0f} B)"
    )
    print(
        f"  metered: {metered['bytes_per_report']:7.0f} B in {metered['packets_per_report']:.2f} "
        f"packets (lean JSON {metered['json_bytes_per_report']:.0f} B, batches of 12 deflated to "
        f"{metered['batch_payload_bytes']:.0f} B; agent's estimate "
        f"{metered['estimate_per_report']:.0f} B)  = {ratio:.2f} × normal"
    )
    print(
        f"  keepalive exchange {per_ping:.0f} B ({ping['packets_per_ping']:.1f} packets); "
        f"start of a session {start:.0f} B"
    )
    print(
        "projection, 3G school of 30 devices (29 PCs 8 h × 22 days, gateway 24 h × 30 days, "
        "one start a day each):"
    )
    print(
        f"  normal  (report/60 s, keepalive 20 s):                         "
        f"{normal_month['school_mb']:6.1f} MB/month (PCs {normal_month['pcs_mb']:.1f}, "
        f"gateway {normal_month['gateway_mb']:.1f})"
    )
    print(
        f"  metered (report/300 s, batches of 12, keepalive PCs 600 s, gateway 60 s): "
        f"{metered_month['school_mb']:6.1f} MB/month (PCs {metered_month['pcs_mb']:.1f}, "
        f"gateway {metered_month['gateway_mb']:.1f})  target <= {TARGET_MB:.0f}"
    )
    ok = metered_month["school_mb"] <= TARGET_MB and ratio < 1
    print(
        json.dumps(
            {
                "normal_bytes_per_report": round(normal["bytes_per_report"]),
                "metered_bytes_per_report": round(metered["bytes_per_report"]),
                "metered_over_normal": round(ratio, 3),
                "ping_bytes": round(per_ping),
                "start_bytes": round(start),
                "normal_school_mb_month": round(normal_month["school_mb"], 1),
                "metered_school_mb_month": round(metered_month["school_mb"], 1),
                "target_mb_month": TARGET_MB,
                "ok": ok,
            }
        )
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
