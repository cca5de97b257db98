"""The service launchers themselves: real processes, loopback only."""

import urllib.request


def test_influxdb_answers_ping_with_version(influxdb):
    with urllib.request.urlopen(influxdb.url + "/ping") as r:
        assert r.status == 204
        assert r.headers["X-Influxdb-Version"].startswith("1.")


def test_services_bind_loopback_only(mosquitto, influxdb):
    conf = (mosquitto.workdir / "mosquitto.conf").read_text()
    assert f"listener {mosquitto.port} 127.0.0.1" in conf
    assert "allow_anonymous false" in conf
    assert "127.0.0.1" in (influxdb.workdir / "influxdb.conf").read_text()
