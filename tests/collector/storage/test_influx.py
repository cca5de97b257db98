"""The storage adapter against real servers: v1 /write on InfluxDB 1.6.7, the v2 write API
(influxdb-client) on VictoriaMetrics, and the choice between them from /ping."""

from __future__ import annotations

import time
import urllib.parse
import urllib.request

import orjson
import pytest

from devenv.services import free_port
from schoolnet_collector.core.config import InfluxConfig
from schoolnet_collector.storage.influx import InfluxStore, StorageError, choose_api
from tests.support.collector import wait_until


@pytest.mark.parametrize(
    "header,api",
    [
        ("1.6.7~rc0", "v1"),
        ("1.7.11", "v1"),
        ("1.8.10", "v2"),
        ("v2.7.4", "v2"),
        ("3.0.0", "v2"),
        (None, "v2"),
    ],
)
def test_api_chosen_from_ping_version(header, api):
    assert choose_api(header) == api


def test_v1_write_and_influxql_read(influxdb, influx_db_name):
    store = InfluxStore(InfluxConfig(url=influxdb.url, database=influx_db_name)).connect()
    assert store.api == "v1" and store.server_version.startswith("1.6")
    ts = int(time.time() * 1000)
    result = store.write(
        [
            f"cpu,school=lc-test-01,device=pc-01 usage_percent=42.5 {ts}",
            f"cpu,school=lc-test-01,device=pc-02 usage_percent=7.0 {ts}",
        ]
    )
    assert (result.written, result.rejected) == (2, [])
    rows = store.rows("SELECT usage_percent FROM cpu GROUP BY device")
    assert sorted((r["device"], r["usage_percent"]) for r in rows) == [
        ("pc-01", 42.5),
        ("pc-02", 7.0),
    ]


def test_duplicate_write_is_idempotent(influxdb, influx_db_name):
    store = InfluxStore(InfluxConfig(url=influxdb.url, database=influx_db_name)).connect()
    line = f"report,school=lc-test-01,device=pc-01 seq=5.0 {int(time.time() * 1000)}"
    store.write([line])
    store.write([line])
    assert store.rows("SELECT count(seq) AS n FROM report") == [{"time": 0, "n": 1}]


def test_rejected_lines_are_isolated_and_good_ones_written(influxdb, influx_db_name):
    store = InfluxStore(InfluxConfig(url=influxdb.url, database=influx_db_name)).connect()
    ts = int(time.time() * 1000)
    store.write([f"mem,device=pc-01 used_percent=10.0 {ts}"])
    good = [f"mem,device=pc-0{i} used_percent={i}.5 {ts}" for i in range(2, 9)]
    conflict = f'mem,device=pc-09 used_percent="high" {ts}'  # field type conflict: string vs float
    result = store.write([*good[:3], conflict, *good[3:]])
    assert result.written == len(good)
    assert [line for line, _ in result.rejected] == [conflict]
    assert "conflict" in result.rejected[0][1]
    assert store.rows("SELECT count(used_percent) AS n FROM mem") == [{"time": 0, "n": 8}]


def test_unreachable_influxdb_is_a_clear_storage_error():
    store = InfluxStore(InfluxConfig(url=f"http://127.0.0.1:{free_port()}", timeout=2))
    with pytest.raises(StorageError, match="unreachable"):
        store.connect()
    with pytest.raises(StorageError, match="failed"):
        store._write_v1(["cpu usage_percent=1.0 1"])


def test_bad_influxql_is_a_storage_error(influxdb, influx_db_name):
    store = InfluxStore(InfluxConfig(url=influxdb.url, database=influx_db_name)).connect()
    with pytest.raises(StorageError, match="error"):
        store.query("SELEKT nothing")


def _vm_export(victoria, metric: str) -> list[dict]:
    query = urllib.parse.urlencode({"match[]": metric})
    with urllib.request.urlopen(f"{victoria.url}/api/v1/export?{query}", timeout=5) as r:
        return [orjson.loads(line) for line in r.read().splitlines() if line]


def test_v2_write_api_stores_in_victoriametrics(victoria):
    store = InfluxStore(InfluxConfig(url=victoria.url, database="schoolnet")).connect()
    assert store.api == "v2"  # VictoriaMetrics sends no X-Influxdb-Version: not a 1.x below 1.8
    ts = int(time.time() * 1000)
    result = store.write([f"uplink,school=lc-test-01,device=gw rtt_ms=35.5,up=1.0 {ts}"])
    assert (result.written, result.rejected) == (1, [])
    urllib.request.urlopen(f"{victoria.url}/internal/force_flush", timeout=5).read()
    series = wait_until(lambda: _vm_export(victoria, "uplink_rtt_ms"), timeout=10)
    assert series, "VictoriaMetrics did not store the point"
    assert series[0]["metric"]["school"] == "lc-test-01"
    assert series[0]["values"] == [35.5] and series[0]["timestamps"] == [ts]


def test_awkward_tag_and_string_values_round_trip(influxdb, influx_db_name):
    """Windows mounts, names with spaces/commas/equals and quotes survive line protocol."""
    from schoolnet_collector.ingest import lineprotocol as lp

    store = InfluxStore(InfluxConfig(url=influxdb.url, database=influx_db_name)).connect()
    ts = int(time.time() * 1000)
    awkward = ["C:\\", "D:\\data", "/media/usb stick", "a,b=c", "Phòng máy 1"]
    label = 'say "hi" \\ bye'
    types = {"label": "text", "used_percent": "number"}
    fields = lp.fields_text(types, {"label": label, "used_percent": 5}, [], "disk")
    lines = [
        f"disk{lp.tag_set({'device': 'pc-01', 'instance': inst})} {fields} {ts + i}"
        for i, inst in enumerate(awkward)
    ]
    result = store.write(lines)
    assert (result.written, result.rejected) == (len(awkward), [])
    rows = store.rows("SELECT label, used_percent, instance FROM disk")
    assert sorted(r["instance"] for r in rows) == sorted(
        ["C:/", "D:/data", "/media/usb stick", "a,b=c", "Phòng máy 1"]
    )
    assert {r["label"] for r in rows} == {label}


class CountingStore(InfluxStore):
    """The real store, counting the requests it makes to InfluxDB."""

    requests = 0

    def _write_v1(self, lines, *args):
        self.requests += 1
        return super()._write_v1(lines, *args)


@pytest.mark.parametrize("bad", [1, 100])
def test_refused_lines_are_found_from_the_error_not_by_bisection(influxdb, influx_db_name, bad):
    """Finding 7: one bad line in 5,000 cost ~25 writes by bisection, 100 bad ~1,300. InfluxDB
    names them (``partial write: field type conflict ... dropped=N``): one write now."""
    influxdb.create_database(influx_db_name)
    store = CountingStore(InfluxConfig(url=influxdb.url, database=influx_db_name)).connect()
    store.write(["m,d=x f=1.0 1764000000000"])
    store.requests = 0
    lines = [f"m,d=d{i} f={i}.0 {1764000001000 + i}" for i in range(5000)]
    for i in range(0, 5000, 5000 // bad):
        lines[i] = f'm,d=d{i} f="x" {1764000001000 + i}'
    result = store.write(lines)
    assert store.requests == 1
    assert len(result.rejected) == bad and result.written == 5000 - bad
    assert all('f="x"' in line for line, _ in result.rejected)
    count = store.rows('SELECT count(f) AS n FROM "m"')[0]["n"]
    assert count == 1 + 5000 - bad  # every good line stored, no bad one
