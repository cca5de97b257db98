"""Alerts through the real collector: reports over Mosquitto → ingest's readings hook → the
registry → the rules; and two collectors sharing one subscription and one PostgreSQL registry
open and resolve one incident between them."""

from __future__ import annotations

import itertools
import time
from datetime import datetime, timezone

import pytest
import yaml
from sqlalchemy import select

from schoolnet_agent.protocol import Sample, build_report, encode
from schoolnet_agent.protocol.batch import encode_batch
from schoolnet_collector.alerting.evaluator import Evaluator
from schoolnet_collector.alerting.rulefile import parse_rules
from schoolnet_collector.registry.alerting_models import DeviceReading, Incident, IncidentEvent
from schoolnet_collector.registry.devices import utc
from schoolnet_collector.registry.models import Device
from tests.support.alerting import Recorder, rules_with
from tests.support.collector import collector_settings, device_client, running_collector, wait_until

S1 = "lc-test-01"
GATEWAY = ("lc-test-01", "gw-secret-01")
SEQ = itertools.count(int(time.time()))


def immediate_rules(enable: tuple[str, ...] = (), **top) -> str:
    """The packaged rules with no debounce and no clear time (debounce is tested on a clock)."""
    rules = yaml.safe_load(rules_with())
    for name, rule in rules["rules"].items():
        rule.update(for_minutes=0, clear_minutes=0)
        if name in enable:
            rule["enabled"] = True
    rules.update(top)
    return yaml.safe_dump(rules, allow_unicode=True)


def publish(client, device: str, kind: str, channel: str = "telemetry", samples=(), **content):
    topic = f"schoolnet/v1/{S1}/{device}/{channel}"
    if channel == "telemetry":
        report = build_report(S1, device, kind, next(SEQ), list(samples), interval=60)
    else:
        report = {
            "schema": 1,
            "school": S1,
            "device": device,
            "kind": kind,
            "seq": next(SEQ),
            "ts": int(time.time() * 1000),
            **content,
        }
    client.publish(topic, encode(report), qos=1).wait_for_publish(5)


def uplink(**fields) -> Sample:
    return Sample(
        "uplink",
        {
            "type": "fibre",
            "isp": "VNPT",
            "fixed": 1,
            "cellular": 0,
            "up": 1,
            "failover": 0,
            "rtt_ms": 25.0,
            "loss_percent": 0.0,
            **fields,
        },
    )


def readings_of(rt) -> dict[tuple[str, str], float | str | None]:
    with rt.sessions() as s:
        rt.readings.flush(s)
        return {
            (r.device_id, r.name): (r.value if r.text_value is None else r.text_value)
            for r in s.scalars(select(DeviceReading))
        }


def test_reports_over_mqtt_become_readings_and_incidents(
    tmp_path, mosquitto, influxdb, influx_db_name
):
    settings = collector_settings(tmp_path, mosquitto, influxdb, influx_db_name)
    with running_collector(settings) as rt:
        gw = device_client(mosquitto, *GATEWAY)
        publish(
            gw,
            "gw",
            "gateway",
            samples=[
                uplink(rtt_ms=400.0, loss_percent=12.0),
                Sample("cpu", {"usage_percent": 5.0}),
            ],
        )
        publish(
            gw,
            "proj-01",
            "projector",
            samples=[
                Sample(
                    "projector",
                    {"power_on": 1, "lamp_hours": 2900, "lamp_rated_hours": 3000, "error": 1},
                )
            ],
        )
        publish(
            gw,
            "gw",
            "gateway",
            "events",
            events=[
                {
                    "type": "lan_host_unknown",
                    "data": {
                        "mac": "AA:BB:CC:00:11:22",
                        "vendor": "Tenda",
                        "likely_kind": "router",
                    },
                }
            ],
        )
        pc = device_client(mosquitto, "lc-test-01/pc-01", "pc-secret-01")
        publish(
            pc, "pc-01", "lab_pc", samples=[Sample("disk", {"used_percent": 96.5}, instance="C:")]
        )
        publish(
            pc, "pc-01", "lab_pc", "inventory", inventory={"smart_failed_count": 1, "disk_count": 1}
        )
        # A message the rules ignore, and a rejected one: neither costs ingest anything.
        publish(pc, "pc-01", "lab_pc", samples=[Sample("cpu", {"usage_percent": 50.0})])
        pc.publish(f"schoolnet/v1/{S1}/pc-01/telemetry", b"{broken", qos=1).wait_for_publish(5)

        expected = {
            ("gw", "uplink.rtt_ms"): 400.0,
            ("gw", "uplink.loss_percent"): 12.0,
            ("gw", "uplink.type"): "fibre",
            ("gw", "uplink.up"): 1.0,
            ("proj-01", "projector.error"): 1.0,
            ("proj-01", "projector.lamp_hours"): 2900.0,
            ("pc-01", "disk.used_percent:C:"): 96.5,
            ("pc-01", "inventory.smart_failed_count"): 1.0,
            ("gw", "event.lan_host_unknown:aa:bb:cc:00:11:22"): "Tenda router",
        }
        got = wait_until(lambda: (r := readings_of(rt)) and expected.items() <= r.items() and r)
        assert expected.items() <= got.items(), got
        assert rt.readings.errors == 0
        assert wait_until(lambda: rt.ingest.rejects.counts.get("not_json"))
        assert wait_until(lambda: len(devices_of(rt)) == 3), devices_of(rt)
        for c in (gw, pc):
            c.disconnect()
            c.loop_stop()

        rec = Recorder()
        ev = Evaluator(
            rt.sessions,
            parse_rules(immediate_rules(enable=("lan_host_unknown",))),
            clock=lambda: datetime.now(timezone.utc),
            enqueue=rec,
        )
        result = ev.evaluate()
    assert sorted(result.opened) == [
        f"disk_full:{S1}/pc-01",
        f"lan_host_unknown:{S1}/aa:bb:cc:00:11:22",
        f"projector_error:{S1}/proj-01",
        f"projector_lamp:{S1}/proj-01",
        f"smart_failing:{S1}/pc-01",
        f"uplink_latency:{S1}",
        f"uplink_loss:{S1}",
    ]
    assert rec.transitions().count("opened") == 7


@pytest.mark.slow
def test_two_collectors_on_one_postgresql_registry_open_one_incident(
    tmp_path, mosquitto, influxdb, influx_db_name, postgresql_url
):
    rules = tmp_path / "rules.yaml"
    rules.write_text(immediate_rules(evaluate_every_seconds=0.2), encoding="utf-8")
    group = f"g-two-{time.monotonic_ns()}"[:60]

    def settings(name):
        (tmp_path / name).mkdir()
        return collector_settings(
            tmp_path / name,
            mosquitto,
            influxdb,
            influx_db_name,
            mqtt={"client_id": f"alerting-{name}-{time.monotonic_ns()}"[:60], "share_group": group},
            registry={"url": postgresql_url},
            alerting={"rules_file": str(rules)},
        )

    with running_collector(settings("a")) as a, running_collector(settings("b")) as b:
        for rt in (a, b):
            rt.start_alerts()
        gw = device_client(mosquitto, *GATEWAY)
        try:
            # The line is up, then the internet goes (the gateway still reports), then returns.
            for phase, up in (("up", 1), ("down", 0), ("back", 1)):
                deadline = time.monotonic() + (4 if phase != "down" else 6)
                while time.monotonic() < deadline:  # several reports, shared between a and b
                    publish(gw, "gw", "gateway", samples=[uplink(up=up)])
                    time.sleep(0.2)
                if phase == "down":
                    assert keys(a, "active") == [f"no_internet:{S1}"]
            assert keys(a, None) == [f"no_internet:{S1}"]  # one incident, ever
            assert keys(a, "active") == []
            with a.sessions() as s:
                kinds = [
                    e.kind for e in s.scalars(select(IncidentEvent).order_by(IncidentEvent.id))
                ]
            assert kinds == ["opened", "resolved"]
            assert a.alerts.last is not None and b.alerts.last is not None  # both evaluated
        finally:
            gw.disconnect()
            gw.loop_stop()


def devices_of(rt) -> list[str]:
    with rt.sessions() as s:
        return list(s.scalars(select(Device.device_id)))


def keys(rt, state: str | None) -> list[str]:
    with rt.sessions() as s:
        q = select(Incident.key).order_by(Incident.id)
        if state == "active":
            q = q.where(Incident.state != "resolved")
        return list(s.scalars(q))


def _metered_batch(client, *reports: tuple[int, Sample]) -> None:
    """A metered gateway's batch (docs/protocol.md, "Batches"): reports taken at the given
    times (ms), deflated together, published late on the ``batch`` channel."""
    items = []
    for ts_ms, sample in reports:
        items.append(encode(build_report(S1, "gw", "gateway", next(SEQ), [sample], ts_ms, 300)))
    topic = f"schoolnet/v1/{S1}/gw/batch"
    client.publish(topic, encode_batch(items), qos=1).wait_for_publish(5)


def _reading(rt, name: str) -> DeviceReading | None:
    with rt.sessions() as s:
        rt.readings.flush(s)
        return s.scalar(
            select(DeviceReading).where(DeviceReading.device_id == "gw", DeviceReading.name == name)
        )


def test_a_metered_gateways_batch_feeds_the_rules_and_a_late_one_changes_nothing(
    tmp_path, mosquitto, influxdb, influx_db_name
):
    """A 3G school's gateway reports only in batches: the rules see its readings when the batch
    arrives, each at the time it was taken, so no_internet opens for it; a batch arriving after
    a newer reading (a spool sent late) neither overwrites that reading nor opens an incident."""
    settings = collector_settings(tmp_path, mosquitto, influxdb, influx_db_name)
    now_ms = int(time.time() * 1000)
    with running_collector(settings) as rt:
        ev = Evaluator(
            rt.sessions,
            parse_rules(immediate_rules()),
            clock=lambda: datetime.now(timezone.utc),
            enqueue=Recorder(),
        )
        gw = device_client(mosquitto, *GATEWAY)
        try:
            _metered_batch(
                gw,
                (now_ms - 120_000, uplink(type="3g", cellular=1, fixed=0)),
                (now_ms - 60_000, uplink(type="3g", cellular=1, fixed=0, up=0)),
            )
            down = wait_until(lambda: (r := _reading(rt, "uplink.up")) and r.value == 0 and r)
            assert down, _reading(rt, "uplink.up")
            assert int(utc(down.at).timestamp() * 1000) == now_ms - 60_000  # its own time
            assert wait_until(lambda: "gw" in devices_of(rt)), devices_of(rt)
            assert ev.evaluate().opened == [f"no_internet:{S1}"]

            _metered_batch(gw, (now_ms - 20_000, uplink(type="3g", cellular=1, fixed=0)))
            assert wait_until(lambda: (r := _reading(rt, "uplink.up")) and r.value == 1)
            assert ev.evaluate().resolved == [f"no_internet:{S1}"]

            # An older batch arrives last (up = 0 at -90 s, covered by the up = 1 at -20 s).
            accepted = rt.ingest.stats["accepted"]
            _metered_batch(gw, (now_ms - 90_000, uplink(type="3g", cellular=1, fixed=0, up=0)))
            assert wait_until(lambda: rt.ingest.stats["accepted"] > accepted)
            kept = _reading(rt, "uplink.up")
            assert kept is not None and kept.value == 1
            assert int(utc(kept.at).timestamp() * 1000) == now_ms - 20_000
            assert ev.evaluate().opened == []
            assert rt.readings.errors == 0
        finally:
            gw.disconnect()
            gw.loop_stop()
