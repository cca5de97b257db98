"""Reports of one lab PC with known sequence numbers, published as a device would, and what
of them InfluxDB holds: for the at-least-once tests of the collector's ingest."""

from __future__ import annotations

from schoolnet_agent.protocol import Sample, build_report, encode
from tests.support.collector import device_client

T0 = 1_764_000_000_000


TOPIC = "schoolnet/v1/lc-test-01/pc-01/telemetry"


def report(seq: int, device: str = "pc-01", ts: int | None = None, **fields):
    samples = [Sample("cpu", {"usage_percent": 10.0 + seq % 7, **fields})]
    return encode(
        build_report(
            "lc-test-01",
            device,
            "lab_pc",
            seq,
            samples,
            ts_ms=ts if ts is not None else T0 + seq * 1000,
            interval=60,
        )
    )


def gateway(broker):
    return device_client(broker, "lc-test-01", "gw-secret-01")


def publish_all(client, payloads, topic=TOPIC):
    infos = [client.publish(topic, p, qos=1) for p in payloads]
    for info in infos:
        info.wait_for_publish(10)


def stored_seqs(store, device="pc-01") -> list[int]:
    return [
        int(r["seq"]) for r in store.rows(f"SELECT seq FROM \"report\" WHERE device = '{device}'")
    ]
