"""The agent's parts built from its configuration: the probes, each with its own settings, and
the spooled delivery.

A probe is told only what concerns it: the configured settings of its ``settings_model`` and a
``ProbeContext`` (the device, the broker's address, the probes beside it), never the whole
configuration, which sits above it. The delivery gets its sections the same way; on a metered
link it also changes two values others read (the report interval, the keepalive).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from schoolnet_agent.delivery.spool import Spool
from schoolnet_agent.delivery.spooled import SpooledDelivery
from schoolnet_agent.probes import PROBES
from schoolnet_agent.probes.base import Probe, ProbeContext

if TYPE_CHECKING:
    from schoolnet_agent.config import AgentConfig
    from schoolnet_agent.delivery.transport import MqttTransport

log = logging.getLogger(__name__)


def probe_context(config: AgentConfig) -> ProbeContext:
    return ProbeContext(
        config.device, config.mqtt.host, config.mqtt.port, tuple(config.probes.active)
    )


def load_probes(config: AgentConfig, names: Iterable[str] | None = None) -> list[Probe]:
    """The enabled probes (or ``names``) that loaded, each set up with its settings; a probe that
    fails to load or start is logged and left out (``probes/registry.py``)."""
    context = probe_context(config)

    def make(cls: type[Probe]) -> Probe:
        model = cls.settings_model
        return cls.from_settings(None if model is None else config.section(model), context)

    return PROBES.load(config.probes.active if names is None else names, make)


def open_delivery(
    config: AgentConfig, transport: MqttTransport, classify: Callable[[], object] | None = None
) -> SpooledDelivery | None:
    """The spooled delivery ``config`` asks for (None: ``spool.enabled = false``).

    On a metered link this also lengthens ``device.interval_seconds`` and, on a PC,
    ``mqtt.keepalive`` (see ``delivery/budget.py``): both are read when the runner and
    transport start.
    """
    from schoolnet_agent.delivery.budget import Budget, detect_metered

    if not config.spool.enabled:
        return None
    spool = Spool(
        config.spool.path(config.state.directory),
        int(config.spool.max_mb * 1024 * 1024),
        sync=config.spool.sync,
    )
    b = config.budget
    metered = detect_metered(b.metered, classify)
    if metered:
        config.device.interval_seconds = max(config.device.interval_seconds, b.interval_seconds)
        keepalive = b.gateway_keepalive if config.device.kind == "gateway" else b.keepalive
        config.mqtt.keepalive = max(config.mqtt.keepalive, keepalive)
        log.info(
            "metered link: a report every %g s, batches of %d or every %g s, keepalive %d s",
            config.device.interval_seconds,
            b.batch_reports,
            b.batch_seconds,
            config.mqtt.keepalive,
        )
    budget = Budget(b, metered=metered, keepalive=config.mqtt.keepalive, spool=spool)
    return SpooledDelivery(spool, transport, config.spool, budget=budget)
