"""The wire contract: topics, payload validation, and the fast validator agreeing with the
reference JSON Schema implementation on every case."""

from __future__ import annotations

import copy

import jsonschema
import pytest

from schoolnet_agent.protocol import PayloadError, Sample, build_report, decode, encode, validate
from schoolnet_agent.protocol.payload import check_schema, schema
from schoolnet_collector.ingest.schema_check import check_schema as collector_check

GOOD = build_report(
    "lc-bxa-th-012",
    "pc-07",
    "lab_pc",
    42,
    [
        Sample("cpu", {"usage_percent": 12.5, "load1": 0}),
        Sample("disk", {"used_bytes": 5, "ok": True, "fs": "ext4"}, instance="/"),
    ],
    ts_ms=1_764_000_000_123,
    interval=60,
    agent="0.1.0",
)


def mutate(**changes):
    report = copy.deepcopy(GOOD)
    for key, value in changes.items():
        if value is None:
            report.pop(key, None)
        else:
            report[key] = value
    return report


CASES = [
    ("good", GOOD, True),
    (
        "inventory",
        {**mutate(metrics=None), "inventory": {"cpu_model": "Intel", "ram_bytes": 4e9}},
        True,
    ),
    (
        "events",
        {
            **mutate(metrics=None),
            "events": [
                {
                    "type": "uplink_changed",
                    "severity": "warning",
                    "data": {"from": "fibre", "to": "cellular"},
                }
            ],
        },
        True,
    ),
    ("no seq", mutate(seq=None), False),
    ("negative seq", mutate(seq=-1), False),
    ("float seq", mutate(seq=1.5), False),
    ("ts in seconds", mutate(ts=1_764_000_000), False),
    ("uppercase device", mutate(device="PC-07"), False),
    ("slash in school", mutate(school="lc/1"), False),
    ("unknown kind", mutate(kind="toaster"), False),
    ("unknown key", mutate(extra=1), False),
    ("two contents", {**GOOD, "events": [{"type": "x"}]}, False),
    ("no content", mutate(metrics=None), False),
    ("reserved metric name", mutate(metrics=[{"name": "report", "fields": {"x": 1}}]), False),
    ("metric name with space", mutate(metrics=[{"name": "cpu load", "fields": {"x": 1}}]), False),
    (
        "field name with unit-less caps",
        mutate(metrics=[{"name": "cpu", "fields": {"Usage": 1}}]),
        False,
    ),
    ("list value", mutate(metrics=[{"name": "cpu", "fields": {"x": [1]}}]), False),
    ("null value", mutate(metrics=[{"name": "cpu", "fields": {"x": None}}]), False),
    ("long string", mutate(metrics=[{"name": "cpu", "fields": {"x": "a" * 257}}]), False),
    ("empty fields", mutate(metrics=[{"name": "cpu", "fields": {}}]), False),
    ("zero interval", mutate(interval=0), False),
]


@pytest.mark.parametrize("check", [check_schema, collector_check], ids=["agent", "collector"])
@pytest.mark.parametrize("name,report,valid", CASES, ids=[c[0] for c in CASES])
def test_fast_validators_agree_with_reference_implementation(name, report, valid, check):
    """The agent's (fastjsonschema) and the collector's (jsonschema-rs) checks of the one schema
    file say what the reference implementation says, case by case."""
    reference = jsonschema.Draft202012Validator(schema())
    assert reference.is_valid(report) is valid
    if valid:
        assert validate(report, check) == report
    else:
        with pytest.raises(PayloadError) as err:
            validate(report, check)
        assert err.value.reason in ("schema", "wrong_version")


def test_decode_reasons():
    assert decode(encode(GOOD)) == GOOD
    for payload, reason in [
        (b"{", "not_json"),
        (b"\xff\xfe", "not_json"),
        (b"42", "not_object"),
        (b'{"schema": 2}', "wrong_version"),
        (b'{"schema": "1"}', "wrong_version"),
        (b" " * 300_000, "oversize"),
    ]:
        with pytest.raises(PayloadError) as err:
            decode(payload)
        assert err.value.reason == reason, payload[:20]


def test_the_schema_takes_backfill_as_a_boolean_only():
    from schoolnet_agent.protocol import PayloadError, validate

    report = copy.deepcopy(GOOD)
    assert validate({**report, "backfill": True})["backfill"] is True
    with pytest.raises(PayloadError, match="schema"):
        validate({**report, "backfill": "yes"})
