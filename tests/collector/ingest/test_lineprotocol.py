"""Property tests of payload → line protocol: for any report the schema accepts, the lines
parse back to exactly the fields and tags the sender had a right to write, each field as its
declared type, and nothing else (no second line, no other device, no other measurement)."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st

from schoolnet_collector.ingest import lineprotocol as lp
from schoolnet_collector.ingest.model import NUMBER, event_data_types, metric_types
from schoolnet_collector.ingest.schema_check import check_schema
from tests.support.lineproto import parse

TAGS = {
    "province": "lao-cai",
    "district": "bat-xat",
    "level": "thcs",
    "school": "s1",
    "device": "pc-01",
}
TAG_SET = lp.tag_set(TAGS)
TS = 1_764_000_000_000
NAMES = st.from_regex(r"\A[a-z][a-z0-9_]{0,20}\Z")
TEXT = st.text(max_size=40)  # any characters: newlines, quotes, commas, NUL
VALUES = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False),
    st.integers(-(2**53), 2**53),
    st.booleans(),
    TEXT,
)
DECLARED = st.sampled_from(["cpu", "disk", "uplink", "projector", "net", "other_metric"])


def expected(kind: str, value: object) -> object:
    if kind == NUMBER:
        return None if isinstance(value, str) else float(value)  # type: ignore[arg-type]
    if isinstance(value, str):
        return lp.string_field(value)[1:-1]
    return str(value)


@settings(max_examples=300, deadline=None)
@given(
    name=st.one_of(DECLARED, NAMES),
    instance=st.one_of(st.none(), st.text(min_size=1, max_size=30)),
    fields=st.dictionaries(
        NAMES | st.sampled_from(["usage_percent", "isp", "type", "up"]),
        VALUES,
        min_size=1,
        max_size=6,
    ),
)
def test_a_metric_line_holds_exactly_its_typed_fields(name, instance, fields):
    metric = {"name": name, "fields": fields} | ({"instance": instance} if instance else {})
    report = {
        "schema": 1,
        "school": "s1",
        "device": "pc-01",
        "kind": "lab_pc",
        "seq": 1,
        "ts": TS,
        "metrics": [metric],
    }
    try:
        check_schema(report)
    except Exception:
        return  # the schema refuses it: never converted
    issues: lp.Issues = []
    line = lp.metric_line(metric_types(name), metric, TAG_SET, TS, issues)
    types = metric_types(name)
    want = {}
    for k, v in fields.items():
        e = expected(types.get(k, NUMBER), v)
        if e is not None:
            want[k] = e
    if line is None:
        assert not want
        return
    m, tags, got, ts = parse(line)
    assert (m, ts) == (name, TS)
    assert tags == {**TAGS, **({"instance": _tag(instance)} if instance else {})}
    unescaped = {k: (lp.string_field(v)[1:-1] if isinstance(v, str) else v) for k, v in got.items()}
    assert {k: (_unstring(v)) for k, v in unescaped.items()} == {
        k: _unstring(v) for k, v in want.items()
    }
    assert len(issues) == len(fields) - len(want)


@settings(max_examples=300, deadline=None)
@given(
    event_type=st.one_of(st.sampled_from(["uplink_changed", "lan_host_unknown"]), NAMES),
    data=st.dictionaries(st.text(max_size=30), VALUES, max_size=6),
    message=TEXT,
)
def test_an_event_line_holds_its_data_and_nothing_else(event_type, data, message):
    event = {"type": event_type, "data": data, "message": message}
    report = {
        "schema": 1,
        "school": "s1",
        "device": "pc-01",
        "kind": "lab_pc",
        "seq": 1,
        "ts": TS,
        "events": [event],
    }
    try:
        check_schema(report)
    except Exception:
        return
    issues: lp.Issues = []
    (line,) = lp.event_lines(report, TAG_SET, issues)
    m, tags, got, ts = parse(line)
    assert (m, ts) == ("event", TS)
    assert tags == {**TAGS, "type": event_type}
    keys = {k for k in data if lp.KEY_RE.match(k)}
    assert set(got) == {"severity", "message"} | {f"data_{k}" for k in keys}
    assert all(
        isinstance(got[f"data_{k}"], str)
        for k in keys
        if event_data_types(event_type).get(k, "text") == "text"
    )
    assert len(issues) == len(data) - len(keys)


def _tag(value: str) -> str:
    return lp.tag_value(value).replace("\\ ", " ").replace("\\,", ",").replace("\\=", "=")


def _unstring(value: object) -> object:
    return value.replace("\\\\", "\\").replace('\\"', '"') if isinstance(value, str) else value
