"""``run`` as a user runs it: a school file that cannot be read stops the start, naming it; with
``--log-format json`` it logs JSON lines and its ``/metrics`` counts what it took in."""

from __future__ import annotations

import json
import subprocess
import urllib.error
import urllib.request

import pytest

from devenv.services import free_port
from schoolnet_agent.protocol import Sample, build_report, encode
from schoolnet_agent.protocol.batch import encode_batch
from tests.support.collector import BIN, cli, device_client, wait_until, write_schools


@pytest.mark.slow
def test_run_with_missing_school_file_stops_with_its_name(tmp_path):
    conf = tmp_path / "collector.toml"
    conf.write_text(f'[registry]\nurl = "sqlite:///{tmp_path}/r.sqlite3"\n')
    result = cli("run", "--config", conf, "--schools", tmp_path / "missing.csv")
    assert result.returncode == 2
    assert "missing.csv: cannot read" in result.stderr and "Traceback" not in result.stderr


def _scrape(port: int, token: str | None = None) -> tuple[int, str]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/metrics")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def _value(text: str, series: str) -> float | None:
    """The value of one series line (``name{labels}``) of a Prometheus text page."""
    for line in text.splitlines():
        if line.startswith(series + " "):
            return float(line.rsplit(" ", 1)[1])
    return None


@pytest.mark.slow
@pytest.mark.services
def test_run_logs_json_lines_and_serves_metrics(tmp_path, mosquitto, influxdb, influx_db_name):
    """The real command with ``--log-format json``: every line it writes is one JSON object with
    time, level, logger and message; its ``/metrics`` counts intake by channel (a batch too),
    rejects and dead letters by reason, writes, rule passes and the outbox per channel, and
    asks for the scrape token once one is set."""
    api_port = free_port()
    token = "scrape-" + "x" * 20
    conf = tmp_path / "collector.toml"
    conf.write_text(
        f'[mqtt]\nport = {mosquitto.port}\npassword = "collector-secret"\n'
        f'client_id = "json-{tmp_path.name}"\nshare_group = "g-json-{tmp_path.name}"\n'
        f'[influx]\nurl = "{influxdb.url}"\ndatabase = "{influx_db_name}"\nflush_interval = 0.1\n'
        f'[registry]\nurl = "sqlite:///{tmp_path}/r.sqlite3"\n'
        f'schools_file = "{write_schools(tmp_path)}"\n'
        f'[ingest]\ndata_dir = "{tmp_path}/data"\n'
        f'[api]\nport = {api_port}\n[api.metrics]\ntoken = "{token}"\n'
        "[notify]\nenabled = false\n",
        encoding="utf-8",
    )
    err = open(tmp_path / "stderr.log", "wb")
    proc = subprocess.Popen([BIN, "run", "--log-format", "json", "--config", conf], stderr=err)
    try:
        assert wait_until(lambda: "subscribed" in _log(tmp_path), timeout=60), _log(tmp_path)
        assert wait_until(lambda: _probe(api_port), timeout=30)
        gw = device_client(mosquitto, "lc-test-01", "gw-secret-01")
        sample = [Sample("cpu", {"usage_percent": 5.0})]
        report = build_report("lc-test-01", "pc-01", "lab_pc", 1, sample, interval=60)
        gw.publish("schoolnet/v1/lc-test-01/pc-01/telemetry", encode(report), qos=1)
        later = build_report("lc-test-01", "pc-01", "lab_pc", 2, sample, interval=60)
        batch = encode_batch([encode(later)])
        gw.publish("schoolnet/v1/lc-test-01/pc-01/batch", batch, qos=1)
        gw.publish("schoolnet/v1/lc-test-01/pc-01/telemetry", b"{broken", qos=1).wait_for_publish(5)
        gw.disconnect()
        gw.loop_stop()

        assert _scrape(api_port)[0] == 401  # the token is set: a scrape must bear it
        assert _scrape(api_port, "scrape-wrong-token-000000")[0] == 401
        dead = 'schoolnet_ingest_dead_letters_total{reason="not_json"}'
        assert wait_until(lambda: _value(_scrape(api_port, token)[1], dead) == 1.0, timeout=15)
        status, page = _scrape(api_port, token)
        assert status == 200
        assert _value(page, 'schoolnet_ingest_messages_total{channel="telemetry"}') == 1.0
        assert _value(page, 'schoolnet_ingest_messages_total{channel="batch"}') == 1.0
        assert _value(page, 'schoolnet_ingest_rejected_total{reason="not_json"}') == 1.0
        assert (_value(page, "schoolnet_ingest_write_seconds_count") or 0) >= 1
        assert _value(page, "schoolnet_ingest_queue_depth") == 0.0
        assert _value(page, "schoolnet_ingest_mqtt_connected") == 1.0
        assert (_value(page, "schoolnet_rules_evaluation_seconds_count") or 0) >= 1
        assert _value(page, 'schoolnet_outbox_backlog{channel="email"}') == 0.0
        assert _value(page, "schoolnet_registry_up") == 1.0
        assert "process_cpu_seconds_total" in page
    finally:
        proc.terminate()
        proc.wait(30)
        err.close()
    assert proc.returncode == 0
    records = [json.loads(line) for line in _log(tmp_path).splitlines() if line.strip()]
    assert records and all({"time", "level", "logger", "message"} <= r.keys() for r in records)
    assert all(r["time"].endswith("+00:00") for r in records)
    rejected = [r for r in records if r["logger"] == "schoolnet.ingest.rejects"]
    assert rejected and rejected[0]["level"] == "WARNING" and "not_json" in rejected[0]["message"]
    assert any(r["message"] == "collector stopped" for r in records)


def _log(tmp_path) -> str:
    return (tmp_path / "stderr.log").read_text(encoding="utf-8", errors="replace")


def _probe(port: int) -> bool:
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2).close()
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False
    return True
