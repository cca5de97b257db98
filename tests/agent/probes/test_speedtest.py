"""The collector's speed-test endpoints (bounded, token needed) and the gateway's throughput test
against them, over real HTTP on 127.0.0.1."""

from __future__ import annotations

import logging
import socket
import threading
import time

import httpx
import pytest
import uvicorn

from schoolnet_agent.probes.netquality import NetQualityProbe
from schoolnet_agent.settings.gateway import GatewaySettings
from schoolnet_collector.api.main import create_app
from schoolnet_collector.api.routes.speedtest import MAX_BYTES
from schoolnet_collector.runtime import Runtime
from tests.support.collector import bearer, collector_settings, make_token, wait_until


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def api(tmp_path_factory, mosquitto, influxdb):
    tmp = tmp_path_factory.mktemp("speedtest")
    runtime = Runtime.open(collector_settings(tmp, mosquitto, influxdb, "t_speedtest"))
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(runtime), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    assert wait_until(lambda: server.started), "API did not start"
    try:
        yield {
            "url": f"http://127.0.0.1:{port}/api/v1/speedtest",
            "token": make_token(runtime, "school:lc-test-01", name="gw-speedtest"),
        }
    finally:
        server.should_exit = True
        thread.join(10)
        runtime.close()


def declared_oversize_upload(api) -> str:
    """Headers announcing more than the limit, and no body: the answer must not wait for it."""
    host_port = api["url"].split("/")[2]
    host, port = host_port.split(":")
    with socket.create_connection((host, int(port)), timeout=10) as conn:
        conn.sendall(
            (
                f"POST /api/v1/speedtest/upload HTTP/1.1\r\nHost: {host_port}\r\n"
                f"Authorization: Bearer {api['token']}\r\n"
                f"Content-Length: {MAX_BYTES + 1}\r\n\r\n"
            ).encode()
        )
        return conn.recv(4096).decode("latin-1")


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_download_and_upload_are_exact_and_bounded(api):
    auth = bearer(api["token"])
    with httpx.Client(timeout=30) as client:
        r = client.get(f"{api['url']}/download", params={"bytes": 300_000}, headers=auth)
        assert r.status_code == 200 and len(r.content) == 300_000
        assert r.headers["content-type"] == "application/octet-stream"
        assert len(set(r.content[:4096])) > 200, "incompressible: no link can flatter the figure"
        r = client.post(f"{api['url']}/upload", content=b"x" * 123_456, headers=auth)
        assert r.status_code == 200 and r.json()["bytes"] == 123_456 and r.json()["seconds"] >= 0
        for size in (0, MAX_BYTES + 1, "lots"):
            r = client.get(f"{api['url']}/download", params={"bytes": size}, headers=auth)
            assert r.status_code == 422, size
            assert "bytes" in r.text
        assert declared_oversize_upload(api).startswith("HTTP/1.1 413"), "refused before any body"
        chunks = iter([b"\0" * 1_000_000] * 51)
        r = client.post(f"{api['url']}/upload", headers=auth, content=chunks)
        assert r.status_code == 413 and "at most" not in r.text and str(MAX_BYTES) in r.text
        assert client.get(f"{api['url']}/download").status_code == 401, "a token is needed"


def test_gateway_throughput_test_runs_on_its_interval_and_reports_both_directions(api):
    clock = Clock()
    settings = GatewaySettings(
        speedtest_url=api["url"],
        speedtest_token=api["token"],
        speedtest_bytes=2_000_000,
        speedtest_interval_seconds=86400,
    )
    probe = NetQualityProbe(settings, broker_host=None, clock=clock)
    [sample] = probe.collect()
    assert sample.instance == "speedtest"
    assert sample.fields["download_bps"] > 1e6 and sample.fields["upload_bps"] > 1e6
    clock.now += 3600
    assert probe.collect() == [], "once a day by default"
    clock.now += 86400
    assert [s.instance for s in probe.collect()] == ["speedtest"]


def test_a_refused_speed_test_is_logged_and_the_rest_still_reported(api, caplog):
    probe = NetQualityProbe(
        GatewaySettings(speedtest_url=api["url"]),
        broker_host="127.0.0.1",
        broker_port=free_port(),
        clock=Clock(),
    )
    probe.raw = type("NoRaw", (), {"allowed": False})()
    samples = probe.collect()
    assert [(s.instance, s.fields) for s in samples] == [("broker", {"tcp_ok": False})]
    assert any(
        "speed test against" in r.getMessage() and "401" in r.getMessage()
        for r in caplog.records
        if r.levelno == logging.WARNING
    )


def test_no_speed_test_on_a_metered_cellular_uplink_unless_allowed(api, tmp_path):
    (tmp_path / "proc/net").mkdir(parents=True)
    (tmp_path / "proc/net/route").write_text(
        "Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\tMTU\tWindow\tIRTT\n"
        "wwan0\t00000000\t0101A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"
    )
    settings = GatewaySettings(
        speedtest_url=api["url"], speedtest_token=api["token"], speedtest_bytes=10_000
    )
    assert NetQualityProbe(settings, root=str(tmp_path), clock=Clock()).collect() == []
    settings.speedtest_on_cellular = True
    started = time.perf_counter()
    [sample] = NetQualityProbe(settings, root=str(tmp_path), clock=Clock()).collect()
    assert sample.instance == "speedtest" and time.perf_counter() - started < 10
