"""The collector's own numbers in Prometheus' text format, read from the runtime when scraped.

The Sở's network staff already run Prometheus and Grafana for their routers; this lets them
watch the watcher with the same tools. Everything is read at scrape time from counters the
collector keeps anyway (ingest's stats, the reject log, the inbox, the alert thread), so the
ingest hot path pays nothing for a scrape and only a dictionary update per converted batch of
messages for the per-channel intake. Labels are bounded: channels (5), reject reasons (a fixed
list, docs/protocol.md), notification channels (registered units); never a school or device.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, PlatformCollector, ProcessCollector
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from schoolnet_collector.channels import REGISTRY as CHANNELS
from schoolnet_collector.notify.outbox import Notification
from schoolnet_collector.runtime import Runtime

log = logging.getLogger("schoolnet.api.metrics")

BACKLOG_STATES = ("pending", "sending")


def metrics_registry(runtime: Runtime) -> CollectorRegistry:
    """One registry per application (tests run several collectors in one process)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(RuntimeCollector(runtime))
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    return registry


def _counter(name: str, doc: str, label: str, values: dict[str, int]) -> CounterMetricFamily:
    family = CounterMetricFamily(name, doc, labels=[label])
    for key, value in sorted(values.items()):
        family.add_metric([key], value)
    return family


class RuntimeCollector(Collector):
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def collect(self) -> Iterator[Metric]:
        yield from self._ingest()
        yield from self._alerting()
        yield from self._outbox()

    def _ingest(self) -> Iterator[Metric]:
        ingest = self.runtime.ingest
        if ingest is None:  # ``run --no-ingest``: the API alone
            return
        stats, intake = ingest.counters()
        yield _counter(
            "schoolnet_ingest_messages",
            "Messages accepted from the broker, by channel",
            "channel",
            intake,
        )
        rejects = ingest.rejects
        yield _counter(
            "schoolnet_ingest_rejected",
            "Messages (or reports inside a batch) rejected, by reason",
            "reason",
            dict(rejects.counts),
        )
        yield _counter(
            "schoolnet_ingest_dead_letters",
            "Rejected messages committed to the dead-letter store, by reason",
            "reason",
            dict(rejects.stored),
        )
        for name, doc in (
            ("lines_written", "Line-protocol lines InfluxDB took"),
            ("lines_spooled", "Lines put in the durable spool while InfluxDB was down"),
            ("lines_unspooled", "Spooled lines written back to InfluxDB"),
            ("write_retries", "InfluxDB writes that failed and will be retried"),
        ):
            yield CounterMetricFamily(f"schoolnet_ingest_{name}", doc, value=stats.get(name, 0))
        yield from ingest.write_seconds.collect()
        for name, doc, value in (
            ("queue_depth", "Messages received, waiting to be converted", len(ingest.inbox)),
            ("converted_batches", "Converted batches waiting for the writer", ingest.lines.qsize()),
            ("unacknowledged", "Messages received and not yet acknowledged", ingest.acks.owed),
            ("spooled_lines", "Lines in the spool now", ingest.spool.lines),
            ("dead_letters_pending", "Dead letters not yet in the registry", rejects.pending()),
            (
                "mqtt_connected",
                "1 while subscribed to the broker",
                int(ingest.subscriber.connected),
            ),
        ):
            yield GaugeMetricFamily(f"schoolnet_ingest_{name}", doc, value=value)

    def _alerting(self) -> Iterator[Metric]:
        alerts = self.runtime.alerts
        if alerts is None:
            return
        yield from alerts.pass_seconds.collect()
        yield CounterMetricFamily(
            "schoolnet_rules_evaluation_failures", "Passes that failed", value=alerts.failures
        )
        if alerts.last is not None:
            yield GaugeMetricFamily(
                "schoolnet_rules_conditions",
                "Conditions holding at the last pass",
                value=alerts.last.conditions,
            )
        if alerts.readings is not None:
            yield CounterMetricFamily(
                "schoolnet_rules_readings_errors",
                "Accepted messages whose readings could not be noted",
                value=alerts.readings.errors,
            )

    def _outbox(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("schoolnet_registry_up", "1 when the registry answered the scrape")
        backlog = GaugeMetricFamily(
            "schoolnet_outbox_backlog",
            "Notifications waiting to be sent or being sent, by channel",
            labels=["channel"],
        )
        try:
            with self.runtime.sessions() as s:
                rows = s.execute(
                    select(Notification.channel, func.count())
                    .where(Notification.state.in_(BACKLOG_STATES))
                    .group_by(Notification.channel)
                ).all()
        except Exception as exc:  # a registry that is down is itself a reading
            log.debug("outbox backlog not read: %s", exc)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        counts = dict.fromkeys(CHANNELS.names(), 0) | {str(c): int(n) for c, n in rows}
        for channel, count in sorted(counts.items()):
            backlog.add_metric([channel], count)
        yield up
        yield backlog
