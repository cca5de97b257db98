"""``/metrics`` as the network team configures it (``[api.metrics]``): from an allowed network
only, with the scrape token once one is set, and nothing at all when it is switched off;
hostile or missing credentials and config values are refused with what is wrong."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from schoolnet_collector.app import create_app
from schoolnet_collector.core.config import ConfigError, load_settings

TOKEN = "prometheus-scrape-0123456789"


def client(rt, source: str, **metrics) -> TestClient:
    rt.settings.api.metrics = rt.settings.api.metrics.model_validate(metrics)
    return TestClient(create_app(rt), client=(source, 40000))


def test_a_scrape_from_the_monitoring_network_gets_the_page_without_a_token(rt):
    r = client(rt, "10.20.0.5").get("/metrics")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain; version=")
    # No ingest or alerting runs here: the registry still answers, and the outbox per channel.
    assert "schoolnet_registry_up 1.0" in r.text
    assert 'schoolnet_outbox_backlog{channel="telegram"} 0.0' in r.text
    assert "schoolnet_ingest_messages_total" not in r.text
    assert "lc-test-01" not in r.text  # counts only: no school, device or address


@pytest.mark.parametrize("source", ["203.0.113.9", "2001:db8::1", "testclient", ""])
def test_a_scrape_from_elsewhere_is_refused_naming_the_address(rt, source):
    r = client(rt, source).get("/metrics")
    assert r.status_code == 403
    assert (source or "an unknown address") in r.json()["detail"]


def test_the_allowed_networks_are_the_configured_ones(rt):
    api = client(rt, "203.0.113.9", allow_from=["203.0.113.0/28"])
    assert api.get("/metrics").status_code == 200
    assert client(rt, "10.20.0.5", allow_from=["203.0.113.0/28"]).get("/metrics").status_code == 403


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Bearer",
        f"Basic {TOKEN}",
        f"Bearer {TOKEN}x",
        f"Bearer {TOKEN[:-1]}",
        "Bearer é".encode(),
    ],
)
def test_with_a_token_set_a_scrape_without_it_is_401(rt, header):
    api = client(rt, "127.0.0.1", token=TOKEN)
    r = api.get("/metrics", headers={"Authorization": header} if header is not None else {})
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"
    assert api.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    assert api.get("/metrics", headers={"Authorization": f"bearer  {TOKEN} "}).status_code == 200


def test_switched_off_there_is_no_page(rt):
    assert client(rt, "127.0.0.1", enabled=False).get("/metrics").status_code == 404


@pytest.mark.parametrize(
    ("metrics", "wrong"),
    [
        ({"token": "short"}, "api.metrics.token"),
        ({"allow_from": ["10.0.0.0/33"]}, "api.metrics.allow_from"),
        ({"allow_from": ["everyone"]}, "api.metrics.allow_from"),
        ({"open": True}, "api.metrics.open"),
    ],
)
def test_a_wrong_metrics_setting_is_named(metrics, wrong):
    with pytest.raises(ConfigError) as exc:
        load_settings(None, api={"metrics": metrics})
    assert wrong in str(exc.value)
