"""What every probe is: a name, its fields declared once as data, and ``collect()``.

Declaring fields as data (as Glances' ``fields_description`` does) gives several things from one
place: the documentation table (``schoolnet-agent probes``), a check that a probe only emits
what it documents, the unit of every field (also the suffix of its name), and which fields a
lean report on a metered link leaves out. A probe class states the rest of its facts too: the
settings it is set up with and whether it spends data itself. Only what must be known before
its module is imported sits on its registration line (``probes/__init__.py``).

A probe is handed its own settings and a :class:`ProbeContext`, never the whole configuration:
the config loader sits above the probes, and a probe must not depend on it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from schoolnet_agent.protocol import Event, Sample

if TYPE_CHECKING:
    from schoolnet_agent.settings.device import DeviceSettings

# Units that a field name must carry as its suffix (before ``_total`` for a counter).
SUFFIX_UNITS = ("bytes", "percent", "seconds", "celsius", "bps", "ms", "hours")


@dataclass(frozen=True)
class Field:
    """One field of a probe's sample.

    A name ending in ``_total`` is a monotonic counter. With a unit from SUFFIX_UNITS the name
    ends with it (``used_bytes``, ``read_bytes_total``); ``count`` goes with ``_count``; other
    units (``bool``, ``number``, ``packets``...) name what is counted and need no suffix.

    ``optional``: left out of the lean reports of a metered link, because no alert, dashboard
    panel or planners' report reads it, or it can be derived from the fields kept.
    """

    name: str
    unit: str
    description: str
    optional: bool = False


@dataclass(frozen=True)
class ProbeContext:
    """What a probe may know of the agent it runs in, besides its own settings: the device, where
    the broker is (the gateway probes measure the way to it) and which probes run beside it."""

    device: DeviceSettings
    broker_host: str
    broker_port: int
    enabled: tuple[str, ...] = ()


class Probe(ABC):
    """A source of samples. Subclasses set the class attributes and implement ``collect``.

    ``collect`` may return no sample at all (nothing to report on this machine); it may raise,
    and the agent then logs the error and carries on with the other probes.
    """

    name: ClassVar[str]
    description: ClassVar[str]
    instance: ClassVar[str | None] = None  # what the instance tag names, e.g. "mount point"
    fields: ClassVar[tuple[Field, ...]]
    # The events it sends: type → its ``data`` fields (docs/protocol.md, "Events"). The
    # collector's declared data model is generated from these and ``fields``, so what a probe
    # may store, and as which type, is written once, here.
    event_data: ClassVar[dict[str, tuple[Field, ...]]] = {}
    # The settings it is set up with: a shared section's model (``GatewaySettings``) or, for a
    # sub-device probe, the model of one entry (with the checks of its keys in ``KEYS``).
    settings_model: ClassVar[type[Any] | None] = None
    # It spends data itself (a throughput test): not run on a metered link.
    uses_data: ClassVar[bool] = False

    @classmethod
    def from_settings(cls, settings: Any, context: ProbeContext) -> Probe:
        """The probe as the config loader sets it up: ``settings`` is the configured instance of
        ``settings_model`` (None without one). Most probes need neither."""
        return cls()

    @abstractmethod
    def collect(self) -> list[Sample]:
        """Read the current values."""

    def events(self) -> list[Event]:
        """Events noticed by ``collect`` since the last call, each handed out once.

        Called right after ``collect``. A change (the uplink failed over, a host left the LAN)
        is seen while collecting, so a probe keeps it until asked; most probes have none.
        """
        return []

    def sample(
        self, values: dict[str, float | int | bool | str | None], instance: str | None = None
    ) -> Sample:
        """A sample of this probe; fields whose value is None (not available here) are left out."""
        return Sample(self.name, {k: v for k, v in values.items() if v is not None}, instance)

    @classmethod
    def field_names(cls) -> frozenset[str]:
        return frozenset(f.name for f in cls.fields)

    @classmethod
    def optional_fields(cls) -> frozenset[str]:
        """The fields a lean report leaves out."""
        return frozenset(f.name for f in cls.fields if f.optional)
