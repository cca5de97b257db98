"""The HTTP application (``create_app``): its OpenAPI schema documents every route with a response
model, and a property-based run of the whole schema (schemathesis) against it, with a registry of
schools and devices, the session's InfluxDB and a province token.

No request may get a 5xx, and every response must match the schema the API publishes
(status codes, content types, bodies). The number of examples per operation is bounded so
the run stays under a minute on the shared 2-core machine; the examples are derandomized,
so a run fails or passes the same way each time.
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis import checks

from schoolnet_collector.app import create_app
from schoolnet_collector.registry.models import DeadLetter, Device
from schoolnet_collector.runtime import Runtime
from tests.support.collector import bearer, collector_settings, make_token

EXAMPLES = 60
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
    checks.negative_data_rejection,
    checks.missing_required_header,
]
"""The checks that judge one response. The ones that send extra probes (ignored_auth,
use_after_free, unsupported_method...) need schemathesis's own transport (see ``send``);
what ignored_auth would check is covered by tests/test_api_access.py for every route.
positive_data_acceptance is left out: rules a JSON schema does not carry (a window ends after
it starts, a contact has at least one channel, a school exists) rightly answer 422 to
schema-valid data; that the 422 says so in the documented shape is checked."""


@pytest.fixture(scope="module")
def api_runtime(tmp_path_factory, mosquitto, influxdb):
    tmp = tmp_path_factory.mktemp("schemathesis")
    database = f"t_schema_{tmp.name}".replace("-", "_")[:60]
    influxdb.create_database(database)
    rt = Runtime.open(collector_settings(tmp, mosquitto, influxdb, database))
    rt.connect_store()
    now = datetime.now(timezone.utc)
    with rt.sessions() as s:
        s.add(
            Device(
                school_id="lc-test-01",
                device_id="gw",
                kind="gateway",
                first_seen=now,
                last_seen=now,
                last_seq=3,
                interval_seconds=60,
                available=True,
            )
        )
        s.add(
            DeadLetter(
                received_at=now,
                topic="schoolnet/v1/lc-test-01/gw/telemetry",
                reason="not_json",
                detail="not JSON",
                payload=b"\xff\xfe",
            )
        )
        s.commit()
    rt.store.write(
        [
            (
                f"uplink,school=lc-test-01,device=gw up=1,rtt_ms=25,loss_percent=0 "
                f"{int(now.timestamp() * 1000) - 60_000}"
            )
        ]
    )
    rt.test_token = make_token(rt, "province", role="admin", name="schemathesis")
    yield rt
    rt.close()


@pytest.fixture(scope="module")
def api_app(api_runtime):
    return create_app(api_runtime)


@pytest.fixture(scope="module")
def api_schema(api_app):
    return schemathesis.openapi.from_asgi("/openapi.json", api_app)


@pytest.fixture(scope="module")
def api_client(api_app):
    with TestClient(api_app, raise_server_exceptions=False) as client:
        yield client


def operation_labels() -> list[str]:
    """Every operation of the published schema (built without a runtime: the schema does not
    need one), so operations added later are fuzzed without editing this file."""
    offline = schemathesis.openapi.from_asgi("/openapi.json", create_app(None))
    return [result.ok().label for result in offline.get_all_operations()]


def send(client: TestClient, kwargs: dict):
    """Send a generated case with the application's own test client.

    schemathesis's requests-based transport cannot be used here: grafana-client pulls in
    urllib3-future, which replaces urllib3's pool internals that transport reads. Generation
    and validation are still schemathesis's; only the sending is ours."""
    kwargs = dict(kwargs)
    cookies = kwargs.pop("cookies", None)
    if isinstance(kwargs.get("data"), (bytes, str)):
        kwargs["content"] = kwargs.pop("data")
    client.cookies.clear()
    client.cookies.update(cookies or {})
    return client.request(**kwargs)


@pytest.mark.parametrize("label", operation_labels())
def test_operation_matches_its_schema_and_never_fails(api_schema, api_runtime, api_client, label):
    operation = api_schema.find_operation_by_label(label)
    headers = bearer(api_runtime.test_token)

    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    def run(case):
        kwargs = case.as_transport_kwargs(base_url="http://testserver", headers=headers)
        response = send(api_client, kwargs)
        case.validate_response(response, headers=headers, transport_kwargs=kwargs, checks=CHECKS)

    run()


def test_the_schema_documents_the_access_answers(api_schema):
    """401/403/404 are part of the contract of every scoped route (see api/auth.py)."""
    raw = api_schema.raw_schema
    for path, operations in raw["paths"].items():
        if path == "/health":
            continue
        for method, op in operations.items():
            assert {"401", "403", "404"} <= set(op["responses"]), (method, path)


def test_openapi_documents_every_route_with_response_models(api_client):
    spec = api_client.get("/openapi.json").json()
    for path in (
        "/health",
        "/api/v1/schools",
        "/api/v1/schools/{school_id}/devices",
        "/api/v1/dead-letters",
    ):
        op = spec["paths"][path]["get"]
        assert "200" in op["responses"], path
        assert "$ref" in str(op["responses"]["200"]["content"]["application/json"]["schema"]), path
    assert {"SchoolOut", "DeviceOut", "Health", "DeadLetterOut"} <= set(
        spec["components"]["schemas"]
    )
