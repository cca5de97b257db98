"""The netquality probe: the speed test against the collector's API over HTTP on 127.0.0.1 (on
its interval, bounded, not on a metered link unless allowed), and ICMP, DNS and loss measured
in network namespaces."""

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
from schoolnet_collector.api.routes.speedtest import MAX_BYTES
from schoolnet_collector.app import create_app
from schoolnet_collector.runtime import Runtime
from tests.support.collector import bearer, collector_settings, make_token, wait_until
from tests.support.gateway_probes import DELL, EPSON, agent_toml, netns_test
from tests.support.netns import school_lan


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


@netns_test
def test_icmp_quality_dns_and_injected_loss_measured_within_tolerance():
    """30 % of echo requests to one host are dropped at random; 300 echoes measure it within
    ±12 points (measured over 15 runs: mean 30.3, standard deviation 3.0; binomial 2.6)."""
    with school_lan() as lan:
        lan.add_host("clean", DELL, 20)
        lan.add_host("lossy", EPSON, 21)
        lan.drop_echo_requests("lossy", 0.3)
        lan.add_uplink("wan0", metric=100)  # the default route's next hop is the "LAN gateway"
        lan.resolve_names({"clean.school.test": lan.hosts["clean"].ip})
        config = agent_toml(
            lan.gateway_ip,
            f"""\
            ping_targets = ["clean.school.test", "{lan.hosts["lossy"].ip}", "missing.school.test"]
            ping_count = 300
            ping_timeout_seconds = 1.0
            ping_lan_gateway = true
            """,
        )
        with lan.driver(config, ["netquality"]) as probe:
            result = probe.collect()
        by_target = {s["instance"]: s["fields"] for s in result["samples"]}
        clean = by_target["clean.school.test"]
        assert clean["resolves"] is True and clean["dns_ms"] >= 0
        assert clean["loss_percent"] == 0
        assert 0 < clean["rtt_min_ms"] <= clean["rtt_ms"] <= clean["rtt_max_ms"] < 1000
        assert clean["jitter_ms"] >= 0
        lossy = by_target[lan.hosts["lossy"].ip]
        assert 18 <= lossy["loss_percent"] <= 42, lossy
        assert "dns_ms" not in lossy, "an address needs no resolution"
        assert by_target["missing.school.test"] == {"resolves": False}
        assert by_target["lan_gateway"]["loss_percent"] == 0
        assert by_target["lan_gateway"]["rtt_ms"] > 0
