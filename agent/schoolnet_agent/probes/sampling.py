"""Run every loaded probe once and keep only well-formed samples.

A probe may raise (the error is logged, rate-limited, and the other probes still report) or
return a value the wire contract refuses (NaN, an undeclared field, an over-long string). One
bad field must not get the whole report rejected by the collector, so such fields are dropped
here, one warning per kind of mistake, and the rest of the sample is kept.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterable

from schoolnet_agent.probes.base import Probe
from schoolnet_agent.protocol import Event, Sample
from schoolnet_agent.util.logonce import LogLimiter

log = logging.getLogger(__name__)

NAME_RE = re.compile(r"\A[a-z][a-z0-9_]{0,63}\Z")  # \Z: "$" allows a trailing newline
MAX_METRICS = 256
MAX_STRING = 256
MAX_INSTANCE = 128
MAX_EVENTS = 64  # the schema's limit per report
MAX_EVENT_DATA = 32


class ProbeSet:
    def __init__(self, probes: Iterable[Probe], limiter: LogLimiter | None = None):
        self.probes = list(probes)
        self._limiter = limiter or LogLimiter(log)

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.probes]

    def optional_fields(self) -> dict[str, frozenset[str]]:
        """Probe name → the fields a lean report leaves out, as each probe declares them."""
        return {p.name: p.optional_fields() for p in self.probes}

    def collect(self) -> list[Sample]:
        samples: list[Sample] = []
        for probe in self.probes:
            try:
                raw = probe.collect()
            except Exception as exc:
                self._limiter.log(
                    f"{probe.name}:{type(exc).__name__}",
                    logging.ERROR,
                    "probe %r failed: %r; its values are left out",
                    probe.name,
                    exc,
                    exc_info=True,
                )
                continue
            samples.extend(s for s in (self._clean(probe, s) for s in raw) if s is not None)
        if len(samples) > MAX_METRICS:
            self._limiter.log(
                "too-many",
                logging.WARNING,
                "%d samples, keeping the first %d",
                len(samples),
                MAX_METRICS,
            )
            del samples[MAX_METRICS:]
        return samples

    def events(self) -> list[Event]:
        """Every probe's pending events, well-formed ones only (a bad one is logged and dropped).

        Call after ``collect``; a probe that raises here loses its events, not the others'.
        """
        events: list[Event] = []
        for probe in self.probes:
            try:
                raw = probe.events()
            except Exception as exc:
                self._limiter.log(
                    f"{probe.name}:events:{type(exc).__name__}",
                    logging.ERROR,
                    "probe %r failed to give its events: %r",
                    probe.name,
                    exc,
                    exc_info=True,
                )
                continue
            for event in raw:
                if _valid_event(event):
                    events.append(event)
                else:
                    self._drop(probe, "event", f"malformed event {event!r:.120}")
        if len(events) > MAX_EVENTS:
            self._limiter.log(
                "too-many-events",
                logging.WARNING,
                "%d events, keeping the first %d",
                len(events),
                MAX_EVENTS,
            )
            del events[MAX_EVENTS:]
        return events

    def _clean(self, probe: Probe, sample: Sample) -> Sample | None:
        declared = probe.field_names()
        inst = sample.instance
        if (
            sample.name != probe.name
            or not NAME_RE.match(sample.name)
            or (inst is not None and not (isinstance(inst, str) and 0 < len(inst) <= MAX_INSTANCE))
        ):
            self._drop(probe, "sample", f"sample {sample.name!r} instance {inst!r}")
            return None
        fields = {}
        for key, value in sample.fields.items():
            if key not in declared:
                self._drop(probe, key, f"undeclared field {key!r}")
            elif not _valid_value(value):
                self._drop(probe, key, f"field {key!r} has unusable value {value!r:.60}")
            else:
                fields[key] = value
        return Sample(sample.name, fields, inst) if fields else None

    def _drop(self, probe: Probe, what: str, detail: str) -> None:
        self._limiter.log(
            f"{probe.name}:drop:{what}",
            logging.WARNING,
            "probe %r: %s, left out",
            probe.name,
            detail,
        )


def _valid_event(event: object) -> bool:
    return (
        isinstance(event, Event)
        and isinstance(event.type, str)
        and bool(NAME_RE.match(event.type))
        and event.severity in ("info", "warning", "critical")
        and (
            event.message is None or (isinstance(event.message, str) and len(event.message) <= 512)
        )
        and isinstance(event.data, dict)
        and len(event.data) <= MAX_EVENT_DATA
        and all(isinstance(k, str) and _valid_value(v) for k, v in event.data.items())
    )


def _valid_value(value: object) -> bool:
    if isinstance(value, bool):
        return True
    if isinstance(value, (int, float)):
        return math.isfinite(value)
    return isinstance(value, str) and len(value) <= MAX_STRING
