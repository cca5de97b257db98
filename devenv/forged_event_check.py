"""Forge events with the demo's own lab PC credentials and show what reached InfluxDB.

    python -m devenv.forged_event_check [--dir .demo]

A running ``make demo`` holds an agent account for this machine (``agent.toml``), the account a
student with admin rights on that PC can read. With it this publishes what such a student
would try: an event whose data key carries a line break and a second line-protocol line for a
real school's gateway, the same on another school's topic, and a report for another device
of the PC's own site. It then lists the InfluxDB series that appeared and prints one JSON
line: ``outside_own_series`` must be 0 (nothing but the PC's own device series) and
``forged_points`` 0 (nothing at the forged time for the other school). Only 127.0.0.1 is
contacted.
"""

from __future__ import annotations

import argparse
import json
import time
import urllib.parse
import urllib.request
from pathlib import Path

import paho.mqtt.client as mqtt
import tomllib
from paho.mqtt.enums import CallbackAPIVersion

from schoolnet_agent.protocol import Sample, build_events_report, build_report, encode
from schoolnet_agent.protocol.payload import Event

ROOT = Path(__file__).resolve().parent.parent
FORGED_MS = 1_700_000_000_000


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", type=Path, default=ROOT / ".demo")
    ap.add_argument("--victim", default=None, help="another school's id (default: the first)")
    args = ap.parse_args(argv)
    agent = tomllib.loads((args.dir / "agent.toml").read_text(encoding="utf-8"))
    collector = tomllib.loads((args.dir / "collector.toml").read_text(encoding="utf-8"))
    school, device = agent["device"]["school"], agent["device"]["id"]
    victim = args.victim or next(
        line.split(",")[0]
        for line in (args.dir / "schools.csv").read_text(encoding="utf-8").splitlines()[1:]
        if not line.startswith(school)
    )
    influx = collector["influx"]["url"]

    def series() -> set[str]:
        query = urllib.parse.urlencode({"db": "schoolnet", "q": "SHOW SERIES"})
        with urllib.request.urlopen(f"{influx}/query?{query}", timeout=10) as r:
            found = json.loads(r.read())["results"][0].get("series", [])
        return {v[0] for s in found for v in s["values"]}

    before = series()
    key = f"x=1 {FORGED_MS}\nuplink,school={victim},device=gw,kind=gateway up=0"
    event = Event("lan_host_unknown", {key: 1, "mac": "aa:bb:cc:dd:ee:ff"})
    messages = [
        (f"{school}/{device}/events", build_events_report(school, device, "admin_pc", 1, [event])),
        (f"{victim}/gw/events", build_events_report(victim, "gw", "gateway", 1, [event])),
        (
            f"{school}/gw/telemetry",
            build_report(school, "gw", "gateway", 1, [Sample("uplink", {"up": 0})], interval=30),
        ),
    ]
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"forged-check-{int(time.time())}")
    client.username_pw_set(agent["mqtt"]["username"], agent["mqtt"]["password"])
    client.connect(agent["mqtt"].get("host", "127.0.0.1"), agent["mqtt"]["port"])
    client.loop_start()
    for topic, report in messages:
        client.publish(f"schoolnet/v1/{topic}", encode(report), qos=1)
    time.sleep(8)  # the collector's flush interval, with room
    client.loop_stop()
    client.disconnect()
    new = sorted(series() - before)
    outside = [s for s in new if f"school={school}," not in s or f"device={device}," not in s]
    query = urllib.parse.urlencode(
        {
            "db": "schoolnet",
            "q": f"SELECT count(*) FROM uplink WHERE school = '{victim}' AND time = {FORGED_MS}ms",
        }
    )
    with urllib.request.urlopen(f"{influx}/query?{query}", timeout=10) as r:
        forged = json.loads(r.read())["results"][0].get("series", [])
    print(
        json.dumps(
            {
                "account": agent["mqtt"]["username"],
                "victim": victim,
                "new_series": new,
                "outside_own_series": len(outside),
                "forged_points": len(forged),
            },
            ensure_ascii=False,
        )
    )
    return 0 if not outside and not forged else 1


if __name__ == "__main__":
    raise SystemExit(main())
