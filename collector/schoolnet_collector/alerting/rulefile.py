"""The rule file: which problems open incidents, after how long, at which thresholds.

A YAML file (packaged default: ``rules/default.yaml``) validated by pydantic against the
registered rules (``alerting.rules.RULES``): each entry under ``rules:`` by its rule's own
settings model, so an unknown rule or a misspelt key is named like any other mistake. A wrong
file is refused as a whole with one line per mistake naming the line in the file and the
reason (``rules.yaml:42: rules.disk_full.threshold: Input should be a valid number``), because
a rule file half-applied would silence alerts nobody knows are silenced.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from schoolnet_collector.alerting.rules import RULES
from schoolnet_collector.alerting.rules.base import Rule, Strict
from schoolnet_collector.core import yamlfile

Presence = Literal["always", "school_hours", "optional"]
DEFAULT_RULES = "default.yaml"


class RuleFileError(ValueError):
    """The rule file cannot be used; the message names each mistake with its line."""


@cache
def rules_model() -> type[BaseModel]:
    """The ``rules:`` mapping: one field per registered rule, typed by its settings model;
    required when the model has a setting without a default (a threshold), else defaulted."""
    fields: dict[str, Any] = {}
    for name, cls in RULES.classes().items():
        required = any(f.is_required() for f in cls.model_fields.values())
        fields[name] = (cls, ...) if required else (cls, Field(default_factory=cls))
    model: type[BaseModel] = create_model("Rules", __config__=ConfigDict(extra="forbid"), **fields)
    return model


class Flapping(Strict):
    window_minutes: float = Field(60, gt=0)
    max_openings: int = Field(3, ge=2)
    calm_minutes: float = Field(30, ge=0)


class RuleSet(Strict):
    evaluate_every_seconds: float = Field(10, gt=0, le=600)
    flapping: Flapping = Flapping()
    presence: dict[str, Presence] = Field(default_factory=dict)
    rules: BaseModel  # rule_file_model() types it: one field per registered rule

    def presence_of(self, kind: str, own: str | None) -> str:
        return own or self.presence.get(kind) or self.presence.get("other", "optional")

    def rule(self, name: str) -> Rule | None:
        """The settings of rule ``name``; None for one this version does not have (an incident
        opened by another version)."""
        rule = getattr(self.rules, name, None)
        return rule if isinstance(rule, Rule) else None

    def in_order(self) -> list[tuple[str, Rule]]:
        """Every registered rule's settings, in the registry's order."""
        return [(name, getattr(self.rules, name)) for name in RULES.names()]


@cache
def rule_file_model() -> type[RuleSet]:
    """``RuleSet`` with its ``rules`` typed by the registered rules."""
    model: type[RuleSet] = create_model("RuleFile", __base__=RuleSet, rules=(rules_model(), ...))
    return model


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
        return rule_file_model().model_validate(data)
    except ValidationError as exc:
        lines = yamlfile.describe(exc, node, name)
        known = ", ".join(RULES.names())
        for i, err in enumerate(exc.errors()):
            if (
                err["type"] == "extra_forbidden"
                and len(err["loc"]) == 2
                and err["loc"][0] == "rules"
            ):
                lines[i] = lines[i].replace(": unknown key", f": unknown rule (known: {known})")
        raise RuleFileError("\n".join(lines)) from None
