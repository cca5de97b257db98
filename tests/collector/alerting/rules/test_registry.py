"""The registry of rules: every line points at a rule class with a summary of the catalogue
and a docstring; a name is registered once; the rule file's model has one field per rule."""

from __future__ import annotations

import pytest

from schoolnet_collector import i18n
from schoolnet_collector.alerting.rulefile import rules_model
from schoolnet_collector.alerting.rules import RULES
from schoolnet_collector.alerting.rules.base import Rule
from schoolnet_collector.alerting.rules.registry import Registration, Registry


def test_every_registered_rule_is_a_documented_rule_with_a_translated_summary():
    for name, cls in RULES.classes().items():
        assert issubclass(cls, Rule) and cls.__doc__, name
        message = cls.summary.message
        assert i18n.translations("vi").gettext(message) != message, f"{name}: no Vietnamese"
    assert list(rules_model().model_fields) == list(RULES.names())


def test_school_offline_is_judged_first():
    assert RULES.names()[0] == "school_offline"


def test_a_name_registered_twice_or_unknown_or_not_a_rule_is_refused():
    with pytest.raises(ValueError, match="registered twice"):
        Registry([Registration("a", ".disk_full:DiskFull"), Registration("a", ".x:Y")])
    with pytest.raises(LookupError, match="unknown rule 'nope'; known: school_offline"):
        RULES.rule_class("nope")
    with pytest.raises(TypeError, match="not an alert rule"):
        Registry([Registration("odd", ".base:Condition")]).rule_class("odd")
