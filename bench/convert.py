"""``bench/convert.py``: the collector's conversion of a report to line protocol, in-process.

The part of ingest's CPU per report that the declared data model adds to: topic, size,
JSON, schema, ``ts`` window, kind, budgets, typed line protocol (``Converter.convert``), on
the lab-PC reports of ``bench/ingest.py``, without broker, threads or InfluxDB, so it is far
less noisy than ``make bench-ingest``. The floor measured in the same run is what no
converter can skip: ``orjson.loads`` and the schema check of the same payloads. Prints one
JSON line: the best of ``--repeat`` passes of each, in µs a report, and their ratio.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
import ingest as base

from schoolnet_collector.ingest.convert import Converter, SchoolTags
from schoolnet_collector.ingest.rejects import RejectLog
from schoolnet_collector.ingest.schema_check import check_schema
from schoolnet_collector.registry.devices import DeviceTracker


def best_us(fn, items: list[tuple[str, bytes]], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        for topic, payload in items:
            fn(topic, payload)
        best = min(best, time.process_time() - start)
    return round(best / len(items) * 1e6, 1)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", "--reports", type=int, default=20_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    now = int(time.time() * 1000)
    items = list(base.messages(0, 1, args.reports, now - args.reports * 1000))
    schools = {s: SchoolTags("bench", "c", "commune", "thcs") for s in base.SCHOOLS}
    conv = Converter(schools, DeviceTracker(), 256 * 1024, reject=RejectLog().reject)
    for topic, payload in items:  # every device seen once: the steady state
        conv.convert(topic, payload, now)
    convert = best_us(lambda t, p: conv.convert(t, p, now), items, args.repeat)
    floor = best_us(lambda t, p: check_schema(orjson.loads(p)), items, args.repeat)
    print(
        json.dumps(
            {
                "reports": args.reports,
                "convert_us_per_report": convert,
                "parse_and_schema_us_per_report": floor,
                "ratio_to_parse_and_schema": round(convert / floor, 2),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
