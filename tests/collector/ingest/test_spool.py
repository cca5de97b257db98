"""The durable spool: order and bound kept across a reopen, and a file that cannot be used (or is
damaged) a clear error that stops the start naming it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from schoolnet_collector.ingest.spool import Spool, SpoolError, spool_path
from tests.support.collector import collector_settings

BIN = Path(sys.executable).parent


def test_spool_keeps_order_and_bound_across_reopen(tmp_path):
    path = tmp_path / "spool.sqlite3"
    spool = Spool(path, max_bytes=1024 * 1024)
    assert spool.append(["a 1", "b 2"]) and spool.append(["c 3"])
    assert not spool.append(["x" * (1024 * 1024)])  # over the bound: refused, nothing stored
    spool.close()
    spool = Spool(path, max_bytes=1024 * 1024)
    assert (spool.batches, spool.lines) == (2, 3)
    first_id, first = spool.oldest()
    assert first == ["a 1", "b 2"]
    spool.remove(first_id)
    assert spool.oldest()[1] == ["c 3"] and spool.bytes == 3


def test_unusable_spool_is_a_clear_error(tmp_path):
    bad = tmp_path / "spool.sqlite3"
    bad.write_bytes(b"this is not a database" * 100)
    with pytest.raises(SpoolError, match=r"spool.sqlite3"):
        Spool(bad, 1024 * 1024)


def test_damaged_spool_stops_the_start_with_a_clear_error(
    tmp_path, mosquitto, influxdb, influx_db_name
):
    settings = collector_settings(tmp_path, mosquitto, influxdb, influx_db_name)
    path = spool_path(settings.ingest.data_dir, settings.mqtt.client_id)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"garbage" * 1000)
    conf = tmp_path / "c.toml"
    conf.write_text(
        f'[mqtt]\nport = {mosquitto.port}\npassword = "collector-secret"\n'
        f'client_id = "{settings.mqtt.client_id}"\n'
        f'[influx]\nurl = "{influxdb.url}"\ndatabase = "{influx_db_name}"\n'
        f'[registry]\nurl = "sqlite:///{tmp_path}/r.sqlite3"\n'
        f'[ingest]\ndata_dir = "{settings.ingest.data_dir}"\n'
    )
    result = subprocess.run(
        [BIN / "schoolnet-collector", "run", "--no-api", "--config", conf],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert str(path) in result.stderr and "check ingest.data_dir" in result.stderr
