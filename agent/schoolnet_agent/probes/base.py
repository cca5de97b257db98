"""What every probe is: a name, its fields declared once as data, and ``collect()``.

Declaring fields as data (as Glances' ``fields_description`` does) gives three things from one
place: the documentation table (``schoolnet-agent probes``), a check that a probe only emits
what it documents, and the unit of every field, which is also the suffix of its name.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from schoolnet_agent.protocol import Event, Sample

if TYPE_CHECKING:
    from schoolnet_agent.config import AgentConfig

# Units that a field name must carry as its suffix (before ``_total`` for a counter).
SUFFIX_UNITS = ("bytes", "percent", "seconds", "celsius", "bps", "ms", "hours")


@dataclass(frozen=True)
class Field:
    """One field of a probe's sample.

    A name ending in ``_total`` is a monotonic counter. With a unit from SUFFIX_UNITS the name
    ends with it (``used_bytes``, ``read_bytes_total``); ``count`` goes with ``_count``; other
    units (``bool``, ``number``, ``packets``...) name what is counted and need no suffix.
    """

    name: str
    unit: str
    description: str


class Probe(ABC):
    """A source of samples. Subclasses set the class attributes and implement ``collect``.

    ``collect`` may return no sample at all (nothing to report on this machine); it may raise,
    and the agent then logs the error and carries on with the other probes.
    """

    name: ClassVar[str]
    description: ClassVar[str]
    instance: ClassVar[str | None] = None  # what the instance tag names, e.g. "mount point"
    fields: ClassVar[tuple[Field, ...]]

    @classmethod
    def from_config(cls, config: AgentConfig | None) -> Probe:
        """The probe set up for this agent; most probes need no settings (gateway ones do)."""
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
