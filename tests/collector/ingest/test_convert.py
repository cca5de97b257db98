"""Trust at ingest, through the real path (Mosquitto → collector → InfluxDB and the registry):
a device writes only its own series, with the declared types, the registry's kind and tags,
within its budgets; what it gets wrong is refused and counted, and the good data is kept."""

from __future__ import annotations

import json
import time
import zlib

import pytest
from sqlalchemy import func, select

from schoolnet_agent.protocol import Sample, build_events_report, build_report, encode
from schoolnet_agent.protocol.payload import Event
from schoolnet_collector.registry.alerting_models import Incident
from schoolnet_collector.registry.models import DeadLetter, Device
from tests.support.collector import collector_settings, device_client, running_collector, wait_until

PC = ("lc-test-01/pc-01", "pc-secret-01")
PC2 = ("lc-test-01/pc-02", "pc-secret-02")
GW = ("lc-test-01", "gw-secret-01")


@pytest.fixture()
def settings(tmp_path, mosquitto, influxdb, influx_db_name):
    return collector_settings(tmp_path, mosquitto, influxdb, influx_db_name)


@pytest.fixture()
def runtime(settings):
    with running_collector(settings) as rt:
        yield rt


def send(rt, account, topic, payload):
    client = device_client(rt.settings_broker, *account)
    client.publish(topic, payload, qos=1).wait_for_publish(5)
    client.disconnect()
    client.loop_stop()


def telemetry(device="pc-01", kind="lab_pc", seq=1, ts=None, samples=None):
    samples = samples or [Sample("cpu", {"usage_percent": 12.5})]
    ts = ts or int(time.time() * 1000) - 1000
    return encode(build_report("lc-test-01", device, kind, seq, samples, ts_ms=ts, interval=60))


def all_series(rt) -> list[str]:
    rows = rt.store.query("SHOW SERIES")
    return [v[0] for s in rows for v in s.get("values", [])]


@pytest.fixture(autouse=True)
def _broker(request, mosquitto):
    # device_client wants the broker; the runtime fixture does not carry it
    if "runtime" in request.fixturenames:
        rt = request.getfixturevalue("runtime")
        rt.settings_broker = mosquitto


def test_event_data_keys_cannot_write_other_points(runtime):
    """Finding 1: a data key holding a line break and a forged line writes nothing but the
    event of the sender's own device."""
    forged = "x=1 1700000000000\nuplink,school=lc-test-02,device=gw,kind=gateway up=0"
    report = build_events_report(
        "lc-test-01",
        "pc-01",
        "lab_pc",
        1,
        [Event("lan_host_unknown", {forged: 1, "mac": "aa:bb:cc:dd:ee:ff"})],
    )
    send(runtime, PC, "schoolnet/v1/lc-test-01/pc-01/events", encode(report))
    rows = wait_until(lambda: runtime.store.rows('SELECT * FROM "event"'))
    assert len(rows) == 1 and rows[0]["data_mac"] == "aa:bb:cc:dd:ee:ff"
    assert rows[0]["device"] == "pc-01"
    series = all_series(runtime)
    assert series and all("device=pc-01" in s and s.startswith("event,") for s in series), series
    assert runtime.ingest.rejects.counts["bad_key"] == 1


def test_wrong_type_and_far_times_are_refused_and_the_fleet_keeps_writing(runtime):
    """Finding 4: ``usage_percent="x"`` is left out (the report's other fields kept), a report
    dated 2100 is refused whole; the next device's numbers are still stored."""
    bad = [Sample("cpu", {"usage_percent": "x", "load1": 0.5})]
    send(runtime, PC, "schoolnet/v1/lc-test-01/pc-01/telemetry", telemetry(samples=bad))
    future = telemetry(seq=2, ts=4_102_000_000_000)
    send(runtime, PC, "schoolnet/v1/lc-test-01/pc-01/telemetry", future)
    send(runtime, PC2, "schoolnet/v1/lc-test-01/pc-02/telemetry", telemetry("pc-02"))
    rows = wait_until(
        lambda: (
            len(runtime.store.rows('SELECT * FROM "cpu"')) == 2
            and runtime.store.rows('SELECT * FROM "cpu"')
        )
    )
    by_device = {r["device"]: r for r in rows}
    assert by_device["pc-01"]["load1"] == 0.5 and by_device["pc-01"]["usage_percent"] is None
    assert by_device["pc-02"]["usage_percent"] == 12.5
    assert wait_until(lambda: runtime.ingest.rejects.counts["bad_time"] == 1)
    assert runtime.ingest.rejects.counts["wrong_type"] == 1
    assert not runtime.store.rows('SELECT * FROM "report" WHERE time > now() + 1h')


def test_a_lab_pc_cannot_make_itself_the_gateway(runtime):
    """Finding 5: once the registry knows the gateway and the PC, the PC's claim to be a
    gateway is refused and the registry's kinds stay."""
    send(runtime, GW, "schoolnet/v1/lc-test-01/gw/telemetry", telemetry("gw", "gateway"))
    send(runtime, PC, "schoolnet/v1/lc-test-01/pc-01/telemetry", telemetry())

    def kinds():
        with runtime.sessions() as s:
            return {d.device_id: d.kind for d in s.scalars(select(Device))}

    assert wait_until(lambda: kinds() == {"gw": "gateway", "pc-01": "lab_pc"})
    claim = telemetry(kind="gateway", seq=2)
    send(runtime, PC, "schoolnet/v1/lc-test-01/pc-01/telemetry", claim)
    send(runtime, PC2, "schoolnet/v1/lc-test-01/pc-02/telemetry", telemetry("pc-02", "gateway"))
    assert wait_until(lambda: runtime.ingest.rejects.counts["kind_mismatch"] == 2)
    time.sleep(1.5)  # a registry flush
    assert kinds() == {"gw": "gateway", "pc-01": "lab_pc"}
    assert not runtime.store.rows(
        "SELECT * FROM \"cpu\" WHERE \"kind\" = 'gateway' AND device != 'gw'"
    )


def test_a_device_id_ending_in_a_newline_is_refused():
    """Finding 8: ``pc-01\\n`` passed the id pattern (Python's ``$``), and every line written
    for it broke; the topic path and the CSV imports share the pattern."""
    from schoolnet_agent.protocol import TopicError, parse_topic
    from schoolnet_agent.protocol.topics import ID_RE

    with pytest.raises(TopicError):
        parse_topic("schoolnet/v1/lc-test-01/pc-01\n/availability")
    assert not ID_RE.match("pc-01\n") and not ID_RE.match("lc-test-01\n")
    assert ID_RE.match("pc-01")


def test_a_batch_of_bad_items_costs_a_few_dead_letters(runtime):
    """Finding 9: 200 bad reports in one batch made 200 dead letters of up to 64 KB each;
    now the first few and one row that counts the rest."""
    items = [
        json.loads(telemetry(seq=i)) | {"device": "pc-09"}  # names another device
        for i in range(1, 201)
    ]
    send(
        runtime,
        PC,
        "schoolnet/v1/lc-test-01/pc-01/batch",
        zlib.compress(json.dumps(items).encode()),
    )
    assert wait_until(lambda: runtime.ingest.rejects.counts["topic_mismatch"] == 200)

    def letters():
        with runtime.sessions() as s:
            return s.execute(
                select(func.count(DeadLetter.id), func.sum(func.length(DeadLetter.payload)))
            ).one()

    examples = 3  # ingest.dead_letter_examples' default
    # the registry thread writes the examples and, at its next flush, the row counting the rest
    assert wait_until(lambda: letters()[0] >= examples + 1)
    time.sleep(2.5)  # two more flushes: nothing more is written for these 200
    count, size = letters()
    assert count == examples + 1
    assert size < 3 * 1024


def test_a_device_past_its_budget_is_refused_and_the_school_gets_one_incident(
    tmp_path, mosquitto, influxdb, influx_db_name
):
    """Finding 10: new metric names beyond the device's daily budget are refused, the
    device's first series and other devices keep flowing, one incident names the school."""
    # The default budget (ingest.max_series_per_device = 512), so that the same test shows
    # what a collector without budgets does: 600 series in three reports of 200 metrics.
    settings = collector_settings(tmp_path, mosquitto, influxdb, influx_db_name)
    with running_collector(settings) as rt:
        rt.settings_broker = mosquitto
        for seq in (1, 2, 3):
            flood = [Sample(f"m{i}", {"v": float(i)}) for i in range(200 * seq - 200, 200 * seq)]
            send(
                rt, PC, "schoolnet/v1/lc-test-01/pc-01/telemetry", telemetry(seq=seq, samples=flood)
            )
        send(rt, PC2, "schoolnet/v1/lc-test-01/pc-02/telemetry", telemetry("pc-02"))
        assert wait_until(lambda: rt.store.rows('SELECT * FROM "cpu"'))
        query = """SELECT count(seq) AS n FROM "report" WHERE device = 'pc-01'"""
        assert wait_until(lambda: rt.store.rows(query) == [{"time": 0, "n": 3}])
        names = {s.split(",")[0] for s in all_series(rt) if "device=pc-01" in s}
        assert names == {f"m{i}" for i in range(512)} | {"report"}

        def incidents():
            with rt.sessions() as s:
                return [(i.rule, i.school_id) for i in s.scalars(select(Incident))]

        assert wait_until(lambda: incidents() == [("ingest_budget", "lc-test-01")])
        with rt.sessions() as s:  # stored as a message id, read in either language
            [budget] = s.scalars(select(Incident))
            assert budget.summary_text("vi").startswith("Trường lc-test-01 vượt hạn mức")
            assert budget.summary_text("en").startswith("Ingest budget exceeded at lc-test-01")
        assert rt.ingest.rejects.counts["over_budget"] == 1
