"""Property tests of payload → line protocol: for any report the schema accepts, the lines
parse back to exactly the fields and tags the sender had a right to write, each field as its
declared type, and nothing else (no second line, no other device, no other measurement)."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st

from schoolnet_collector.ingest import lineprotocol as lp
from schoolnet_collector.ingest.model import BOOL, FLAG, NUMBER, event_data_types, metric_types
from schoolnet_collector.ingest.schema_check import check_schema
from tests.support.lineproto import parse

TAGS = {
    "province": "lao-cai",
    "commune": "08044",
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
    if kind == NUMBER:  # a bool is not a number: its shard holds floats
        return None if isinstance(value, (str, bool)) else float(value)  # type: ignore[arg-type]
    if kind == BOOL:
        return value if isinstance(value, bool) else None
    if kind == FLAG:
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


def _as_main_wrote(value: object) -> str:
    """A field as the collector wrote it before the declared model: by its JSON type."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(float(value))
    return lp.string_field(str(value))


# What the agent sends for each declared type (devenv/declared_model.py: a bool field the
# probe sends as int(...) is declared a number).
AGENT_SENDS = {BOOL: True, NUMBER: 1, FLAG: 1, "text": "x"}


def test_upgraded_points_fit_the_shards_written_before(influxdb, influx_db_name):
    """InfluxDB 1.x fixes a field's type per shard: every declared field, written first as the
    collector stored it before (a bool as ``true``, an int as ``1.0``) and then as it stores it
    now, into the same shard, is accepted both times."""
    from schoolnet_collector.core.config import InfluxConfig
    from schoolnet_collector.ingest.model import INVENTORY, METRICS, inventory_type
    from schoolnet_collector.storage.influx import InfluxStore

    store = InfluxStore(InfluxConfig(url=influxdb.url, database=influx_db_name)).connect()
    ts = TS
    before, after = [], []
    issues: lp.Issues = []
    for name, types in sorted(METRICS.items()):
        fields = {k: AGENT_SENDS[kind] for k, kind in types.items()}
        before.append(
            f"{name}{TAG_SET} {','.join(f'{k}={_as_main_wrote(v)}' for k, v in fields.items())} {ts}"
        )
        line = lp.metric_line(types, {"name": name, "fields": fields}, TAG_SET, ts + 1, issues)
        assert line is not None
        after.append(line)
    inventory = {k: AGENT_SENDS[inventory_type(k)] for k in INVENTORY}
    before.append(
        f"inventory{TAG_SET} {','.join(f'{k}={_as_main_wrote(v)}' for k, v in inventory.items())} {ts}"
    )
    line = lp.inventory_line({"inventory": inventory, "ts": ts + 1}, TAG_SET, issues)
    assert line is not None
    after.append(line)
    assert issues == []
    assert "up=1.0" in next(x for x in after if x.startswith("uplink,"))
    assert "up=true" in next(x for x in after if x.startswith("net,"))
    assert store.write(before).rejected == []
    result = store.write(after)
    assert (result.written, result.rejected) == (len(after), [])
    rows = store.rows("SELECT count(up) AS n FROM uplink")
    assert rows == [{"time": 0, "n": 2}]


def test_numbers_no_float_can_hold_are_wrong_type():
    """The fast path for numbers still leaves out what a float cannot be (and InfluxDB
    would refuse the whole batch for: ``inf``), and a bool where a number is declared."""
    issues: lp.Issues = []
    text = lp.fields_text(
        {}, {"a": 10**400, "b": float("inf"), "c": 1, "d": 0.5, "e": True}, issues, "m"
    )
    assert text == "c=1.0,d=0.5"
    assert [reason for reason, _ in issues] == ["wrong_type"] * 3
