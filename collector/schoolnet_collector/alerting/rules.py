"""The rule file: which problems open incidents, after how long, at which thresholds.

A YAML file (packaged default: ``rules/default.yaml``) validated by pydantic. A wrong file is
refused as a whole with one line per mistake naming the line in the file and the reason
(``rules.yaml:42: rules.disk_full.threshold: Input should be a valid number``), because a rule
file half-applied would silence alerts nobody knows are silenced.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from schoolnet_collector.core import yamlfile

UPLINK_TYPES = ("fibre", "dsl", "ethernet", "cellular", "other")
Presence = Literal["always", "school_hours", "optional"]
Severity = Literal["info", "warning", "critical"]
DEFAULT_RULES = "default.yaml"


class RuleFileError(ValueError):
    """The rule file cannot be used; the message names each mistake with its line."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PerUplink(Strict):
    """A threshold for each uplink type (``other`` for types without their own value)."""

    fibre: float
    dsl: float
    ethernet: float
    cellular: float
    other: float

    def for_type(self, uplink_type: str | None) -> float:
        return getattr(self, uplink_type) if uplink_type in UPLINK_TYPES else self.other


class Rule(Strict):
    enabled: bool = True
    severity: Severity = "warning"
    for_minutes: float = Field(5, ge=0, description="the condition must hold this long to open")
    clear_minutes: float = Field(5, ge=0, description="and be gone this long to resolve")

    @property
    def for_seconds(self) -> float:
        return self.for_minutes * 60

    @property
    def clear_seconds(self) -> float:
        return self.clear_minutes * 60


class DeviceOfflineRule(Rule):
    offline_after_intervals: float = Field(3, gt=1)


class UplinkRule(Rule):
    threshold: PerUplink
    clear_below: PerUplink

    @model_validator(mode="after")
    def _clear_below_threshold(self) -> UplinkRule:
        for t in UPLINK_TYPES:
            if getattr(self.clear_below, t) > getattr(self.threshold, t):
                raise ValueError(f"clear_below.{t} must not exceed threshold.{t}")
        return self


class ValueRule(Rule):
    threshold: float
    clear_below: float | None = None

    @model_validator(mode="after")
    def _clear_below_threshold(self) -> ValueRule:
        if self.clear_below is not None and self.clear_below > self.threshold:
            raise ValueError("clear_below must not exceed threshold")
        return self

    @property
    def clear_level(self) -> float:
        return self.threshold if self.clear_below is None else self.clear_below


class LabRule(Rule):
    min_working: int = Field(5, ge=1)
    seen_within_days: float = Field(7, gt=0)


class Rules(Strict):
    device_offline: DeviceOfflineRule = DeviceOfflineRule()
    school_offline: Rule = Rule(severity="critical")
    uplink_failover: Rule = Rule(severity="info")
    no_internet: Rule = Rule(severity="critical")
    uplink_loss: UplinkRule
    uplink_latency: UplinkRule
    disk_full: ValueRule
    smart_failing: ValueRule = ValueRule(threshold=1, for_minutes=0, clear_minutes=60)
    projector_lamp: ValueRule
    projector_error: Rule = Rule()
    lab_pcs_low: LabRule = LabRule()
    lan_host_unknown: Rule = Rule(enabled=False, severity="info", for_minutes=0, clear_minutes=1440)


class Flapping(Strict):
    window_minutes: float = Field(60, gt=0)
    max_openings: int = Field(3, ge=2)
    calm_minutes: float = Field(30, ge=0)


class RuleSet(Strict):
    evaluate_every_seconds: float = Field(10, gt=0, le=600)
    flapping: Flapping = Flapping()
    presence: dict[str, Presence] = {}
    rules: Rules

    def presence_of(self, kind: str, own: str | None) -> str:
        return own or self.presence.get(kind) or self.presence.get("other", "optional")


def load_rules(path: Path | None = None) -> RuleSet:
    """The rule set in ``path``, or the packaged default."""
    if path is None:
        text = (
            resources.files("schoolnet_collector.rules").joinpath(DEFAULT_RULES).read_text("utf-8")
        )
        return parse_rules(text, DEFAULT_RULES)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise RuleFileError(f"{path}: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise RuleFileError(f"{path}: not UTF-8 text") from None
    return parse_rules(text, str(path))


def parse_rules(text: str, name: str = "rules.yaml") -> RuleSet:
    try:
        data, node = yamlfile.load(text, name)
    except yamlfile.YamlFileError as exc:
        raise RuleFileError(str(exc)) from None
    if not isinstance(data, dict):
        raise RuleFileError(f"{name}:1: expected a mapping with 'rules'")
    try:
        return RuleSet.model_validate(data)
    except ValidationError as exc:
        raise RuleFileError("\n".join(yamlfile.describe(exc, node, name))) from None
