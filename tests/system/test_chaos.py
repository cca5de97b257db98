"""Chaos: agents report numbered readings while the test kills, at random (seeded) times, the
broker, the collector, InfluxDB and agents with SIGKILL, and cuts one school's link; afterwards
every report any agent stored for sending is in InfluxDB exactly once.

Real processes throughout: Mosquitto (restarted on the same port and persistence directory),
``schoolnet-collector run``, InfluxDB 1.x, and ``schoolnet-agent run`` with its on-disk spool.
The school whose link is cut runs its agent inside a network namespace made here (tests/
netns_helpers.py): it reaches the broker over a veth "uplink" to an ISP namespace, where a small
relay forwards the connection through a Unix socket to the broker on 127.0.0.1 (the broker
listens on loopback only, and no address is added outside the test's namespaces).

What "generated" means: an agent stores every report in its spool before publishing it and keeps
acknowledged ones (within its bound), so the spools list every report that left an agent.
A report an agent built but was killed before storing never existed for anyone.

Set SCHOOLNET_CHAOS_SEED to replay a run; the seed is printed either way.
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
import sys
import time
from pathlib import Path

import pytest

from devenv.services import InfluxDB1, Mosquitto
from tests.support.accounts import COLLECTOR, DEVICE_ACCOUNTS, SIMULATOR
from tests.support.collector import write_schools
from tests.support.netns import netns_available, school_lan
from tests.support.processes import LoggedProcess as Proc

pytestmark = [pytest.mark.slow, pytest.mark.netns, pytest.mark.services]

BIN = Path(sys.executable).parent
INTERVAL = 1  # seconds between an agent's reports
CHAOS_SECONDS = 55  # faults are injected during this long
SETTLE_TIMEOUT = 50  # then everything must be stored within this long
RELAY_PORT = 1883  # inside the ISP namespace

# (school, device, password, in the namespace?)
AGENTS = [
    ("lc-test-01", "pc-01", "pc-secret-01", False),
    ("lc-test-01", "pc-02", "pc-secret-02", False),
    ("lc-test-02", "pc-01", "pc-secret-21", True),
]

RELAY = r"""
import asyncio, sys
mode, listen, target = sys.argv[1:4]

async def pipe(reader, writer):
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        writer.close()

async def handle(reader, writer):
    try:
        if mode == "tcp-to-unix":
            up_r, up_w = await asyncio.open_unix_connection(target)
        else:
            host, port = target.rsplit(":", 1)
            up_r, up_w = await asyncio.open_connection(host, int(port))
    except OSError:
        writer.close()
        return
    await asyncio.gather(pipe(reader, up_w), pipe(up_r, writer))

async def main():
    if mode == "tcp-to-unix":
        host, port = listen.rsplit(":", 1)
        server = await asyncio.start_server(handle, host, int(port))
    else:
        server = await asyncio.start_unix_server(handle, listen)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()

asyncio.run(main())
"""


def wait_for_line(path: Path, text: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and text in path.read_text(errors="replace"):
            return
        time.sleep(0.1)
    raise AssertionError(
        f"{path.name} never said {text!r}:\n{path.read_text(errors='replace')[-2000:]}"
    )


def agent_config(tmp: Path, school: str, device: str, password: str, host: str, port: int) -> Path:
    conf = tmp / f"agent-{school}-{device}.toml"
    conf.write_text(
        f'[device]\nschool = "{school}"\nid = "{device}"\nkind = "lab_pc"\n'
        f"interval_seconds = {INTERVAL}\n"
        f'[mqtt]\nhost = "{host}"\nport = {port}\nusername = "{school}/{device}"\n'
        f'password = "{password}"\nkeepalive = 2\nreconnect_min_delay = 0.2\nreconnect_max_delay = 1.0\n'
        f'[probes]\nenabled = ["cpu"]\n'
        f'[state]\ndirectory = "{tmp}/state-{school}-{device}"\n'
    )
    return conf


def spooled_seqs(tmp: Path, school: str, device: str) -> set[int]:
    """Every telemetry report the agent's spool holds (stored before it was first published)."""
    path = tmp / f"state-{school}-{device}" / "spool.db"
    if not path.exists():
        return set()
    db = sqlite3.connect(path, timeout=10)
    try:
        rows = db.execute("SELECT payload FROM message WHERE channel = 'telemetry'").fetchall()
    finally:
        db.close()
    return {json.loads(p)["seq"] for (p,) in rows}


def stored_seqs(store, school: str, device: str) -> list[int]:
    return [
        int(r["seq"])
        for r in store.rows(
            f"SELECT seq FROM \"report\" WHERE school = '{school}' AND device = '{device}'"
        )
    ]


@pytest.fixture()
def chaos_world(tmp_path):
    why = netns_available()
    if why:
        pytest.skip(why)
    broker = Mosquitto(tmp_path / "mosquitto", [COLLECTOR, SIMULATOR, *DEVICE_ACCOUNTS]).start()
    influx = InfluxDB1(tmp_path / "influxdb").start()
    influx.create_database("chaos")
    procs: list[Proc] = []
    try:
        with school_lan(subnet_prefix="10.78.0") as lan:
            uplink = lan.add_uplink("wan0", metric=100)
            yield tmp_path, broker, influx, lan, uplink, procs
    finally:
        for p in procs:
            p.kill()
        broker.stop()
        influx.stop()


def test_chaos_every_report_stored_exactly_once(chaos_world):
    tmp, broker, influx, lan, uplink, procs = chaos_world
    seed = int(os.environ.get("SCHOOLNET_CHAOS_SEED", time.time_ns() % 2**32))
    print(f"\nchaos seed: {seed} (SCHOOLNET_CHAOS_SEED={seed} replays this run)")
    rng = random.Random(seed)

    # The path from the school's namespace to the broker: ISP relay -> Unix socket -> broker.
    sock = tmp / "broker.sock"
    host_relay = Proc(
        "host-relay",
        [sys.executable, "-c", RELAY, "unix-to-tcp", sock, f"127.0.0.1:{broker.port}"],
        tmp / "host-relay.log",
    ).start()
    isp_relay = Proc(
        "isp-relay",
        [
            "ip",
            "netns",
            "exec",
            uplink.netns,
            sys.executable,
            "-c",
            RELAY,
            "tcp-to-unix",
            f"{lan.collector_ip}:{RELAY_PORT}",
            sock,
        ],
        tmp / "isp-relay.log",
    )
    procs += [host_relay, isp_relay]
    wait_for_line(host_relay.log, "ready")
    isp_relay.start()
    wait_for_line(isp_relay.log, "ready")

    conf = tmp / "collector.toml"
    conf.write_text(
        f'[mqtt]\nport = {broker.port}\npassword = "collector-secret"\nclient_id = "chaos-collector"\n'
        f'share_group = "chaos"\nkeepalive = 5\nreplay_margin_seconds = 30\n'
        f'[influx]\nurl = "{influx.url}"\ndatabase = "chaos"\nflush_interval = 0.1\n'
        f'[registry]\nurl = "sqlite:///{tmp}/registry.sqlite3"\nschools_file = "{write_schools(tmp)}"\n'
        f'[ingest]\ndata_dir = "{tmp}/collector-data"\n'
    )
    collector = Proc(
        "collector",
        [BIN / "schoolnet-collector", "run", "--no-api", "--config", conf],
        tmp / "collector.log",
    ).start()
    procs.append(collector)
    wait_for_line(collector.log, "subscribed to", timeout=60)

    agents: list[Proc] = []
    for school, device, password, in_ns in AGENTS:
        if in_ns:
            cfg = agent_config(tmp, school, device, password, lan.collector_ip, RELAY_PORT)
            argv = [
                "ip",
                "netns",
                "exec",
                lan.gateway_ns,
                BIN / "schoolnet-agent",
                "run",
                "--config",
                cfg,
            ]
        else:
            cfg = agent_config(tmp, school, device, password, "127.0.0.1", broker.port)
            argv = [BIN / "schoolnet-agent", "run", "--config", cfg]
        agents.append(
            Proc(f"agent {school}/{device}", argv, tmp / f"agent-{school}-{device}.log").start()
        )
    procs += agents

    # -- faults: each kind at least once, then more at random; one at a time -------------------
    kinds = ["broker", "collector", "influxdb", "agent", "link"]
    rng.shuffle(kinds)
    kinds += [rng.choice(["broker", "collector", "influxdb", "agent", "link"]) for _ in range(3)]
    start = time.monotonic()
    happened = []
    for kind in kinds:
        if time.monotonic() - start > CHAOS_SECONDS:
            break
        time.sleep(rng.uniform(2.0, 5.0))
        down = rng.uniform(0.5, 3.0)
        at = round(time.monotonic() - start, 1)
        if kind == "broker":
            broker.kill()
            time.sleep(down)
            broker.start()
        elif kind == "collector":
            collector.kill()
            time.sleep(down)
            collector.start()
        elif kind == "influxdb":
            influx.kill()
            time.sleep(down)
            influx.start()
        elif kind == "agent":
            victim = rng.choice(agents)
            victim.kill()
            time.sleep(down)
            victim.start()
            kind = f"agent ({victim.name})"
        else:
            down = rng.uniform(4.0, 8.0)  # a school's outage, time-compressed
            lan.uplink_down(uplink.interface)
            time.sleep(down)
            lan.uplink_up(uplink.interface)
        happened.append(f"{at}s {kind} down {down:.1f}s")
    print("faults:", "; ".join(happened))
    time.sleep(3)  # a few reports after the last fault

    # -- every report any agent spooled must reach InfluxDB, once ----------------------------
    from schoolnet_collector.core.config import InfluxConfig
    from schoolnet_collector.storage.influx import InfluxStore, StorageError

    store = InfluxStore(InfluxConfig(url=influx.url, database="chaos", create_database=False))
    sent = {(s, d): spooled_seqs(tmp, s, d) for s, d, _, _ in AGENTS}

    def stored_all() -> dict:
        try:
            return {(s, d): stored_seqs(store, s, d) for s, d, _, _ in AGENTS}
        except StorageError:
            return {}

    deadline = time.monotonic() + SETTLE_TIMEOUT
    stored = stored_all()
    while time.monotonic() < deadline:
        if stored and all(sent[k] <= set(stored[k]) for k in sent):
            break
        time.sleep(1)
        stored = stored_all()
    for a in agents:
        a.stop()
    final_sent = {(s, d): spooled_seqs(tmp, s, d) for s, d, _, _ in AGENTS}
    stored = stored_all()

    total_sent = sum(len(v) for v in sent.values())
    lost = {k: sorted(sent[k] - set(stored.get(k, []))) for k in sent}
    duplicated = {k: len(stored.get(k, [])) - len(set(stored.get(k, []))) for k in sent}
    unknown = {k: sorted(set(stored.get(k, [])) - final_sent[k]) for k in sent}
    n_lost, n_dup = sum(len(v) for v in lost.values()), sum(duplicated.values())
    # "sent": spooled when the faults ended; reports made while we waited are stored too, and
    # counted apart ("later"), checked only against the agents' final spools.
    n_stored = sum(len(sent[k] & set(stored.get(k, []))) for k in sent)
    n_later = sum(len(set(stored.get(k, [])) - sent[k]) for k in sent)
    print(
        f"sent {total_sent}, stored {n_stored}, lost {n_lost}, duplicated {n_dup} "
        f"(and {n_later} reports made after the faults, stored)"
    )
    for k in sent:
        print(
            f"  {k[0]}/{k[1]}: sent {len(sent[k])}, stored {len(sent[k] & set(stored.get(k, [])))}"
            + (f", lost {lost[k][:20]}" if lost[k] else "")
        )
    assert total_sent >= 3 * CHAOS_SECONDS * 0.6 / INTERVAL, "the agents hardly reported at all"
    assert n_lost == 0, f"lost reports (seed {seed}): {lost}; logs in {tmp}"
    assert n_dup == 0 and not any(unknown.values()), (duplicated, unknown)
