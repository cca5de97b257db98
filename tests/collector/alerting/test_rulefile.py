"""The rule file: the packaged default fits Vietnamese schools; a wrong file is refused with the
line and the reason of each mistake, and the collector does not start on it."""

from __future__ import annotations

import subprocess
import sys

import pytest

from schoolnet_collector.alerting.rulefile import RuleFileError, load_rules, parse_rules
from tests.support.alerting import rules_with


def test_the_default_rules_have_higher_limits_for_3g_schools():
    rules = load_rules()
    for name in ("uplink_loss", "uplink_latency"):
        rule = getattr(rules.rules, name)
        assert rule.threshold.for_type("cellular") > rule.threshold.for_type("fibre")
        assert rule.clear_below.for_type("fibre") < rule.threshold.for_type("fibre")
        assert rule.threshold.for_type("satellite") == rule.threshold.other  # unknown type
    assert rules.rules.lan_host_unknown.enabled is False
    assert rules.presence_of("gateway", None) == "always"
    assert rules.presence_of("lab_pc", None) == "optional"
    assert rules.presence_of("lab_pc", "school_hours") == "school_hours"  # the device's own wins
    assert rules.rules.school_offline.severity == "critical"


def _line(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.mark.parametrize(
    "old, new, needle, reason",
    [
        (
            "threshold: 90",
            "threshold: lots",
            "threshold: lots",
            "rules.disk_full.threshold: Input should be a valid number",
        ),
        (
            "    clear_below: 85\n",
            "    clear_below: 95\n",
            "  disk_full:",
            "rules.disk_full: Value error, clear_below must not exceed threshold",
        ),
        (
            "severity: critical",
            "severity: urgent",
            "severity: urgent",
            "rules.school_offline.severity: Input should be 'info', 'warning' or 'critical'",
        ),
        (
            "    for_minutes: 10\n",
            "    for_minutes: -1\n",
            "for_minutes: -1",
            "rules.uplink_failover.for_minutes: Input should be greater than or equal to 0",
        ),
        (
            "  calm_minutes: 30\n",
            "  calm_minutes: 30\n  max_opening: 3\n",
            "max_opening: 3",
            "flapping.max_opening: unknown key",
        ),
        (
            "  lab_pc: optional ",
            "  lab_pc: sometimes ",
            "lab_pc: sometimes",
            "presence.lab_pc: Input should be 'always', 'school_hours' or 'optional'",
        ),
        (
            "cellular: 20,",
            "cellular: 20, satellite: 30,",
            "satellite",
            "rules.uplink_loss.threshold.satellite: unknown key",
        ),
    ],
)
def test_a_wrong_rule_is_named_with_its_line_and_reason(old, new, needle, reason):
    text = rules_with((old, new))
    with pytest.raises(RuleFileError) as err:
        parse_rules(text, "rules.yaml")
    assert str(err.value).startswith(f"rules.yaml:{_line(text, needle)}: {reason}")


def test_every_mistake_is_listed_not_only_the_first():
    text = rules_with(
        ("threshold: 90", "threshold: lots"), ("severity: critical", "severity: urgent")
    )
    with pytest.raises(RuleFileError) as err:
        parse_rules(text, "rules.yaml")
    assert len(str(err.value).splitlines()) == 2


@pytest.mark.parametrize(
    "text, message",
    [
        ("rules: [1,\n", "rules.yaml:2: not valid YAML"),
        ("- a\n- b\n", "rules.yaml:1: expected a mapping with 'rules'"),
        ("evaluate_every_seconds: 10\n", "rules.yaml:1: rules: Field required"),
    ],
)
def test_a_file_that_is_not_a_rule_file_is_refused(text, message):
    with pytest.raises(RuleFileError) as err:
        parse_rules(text, "rules.yaml")
    assert str(err.value).startswith(message)


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(RuleFileError, match=r"nope.yaml: cannot read"):
        load_rules(tmp_path / "nope.yaml")


@pytest.mark.slow  # the registry is opened and migrated before the rules are read
def test_the_collector_does_not_start_on_a_wrong_rule_file(tmp_path):
    rules = tmp_path / "rules.yaml"
    rules.write_text(rules_with(("threshold: 90", "threshold: lots")), encoding="utf-8")
    config = tmp_path / "collector.toml"
    config.write_text(
        f'[registry]\nurl = "sqlite:///{tmp_path}/r.sqlite3"\n'
        f'[alerting]\nrules_file = "{rules}"\n'
        f'[ingest]\ndata_dir = "{tmp_path}/data"\n'
        '[influx]\nurl = "http://127.0.0.1:9"\n',
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, "-m", "schoolnet_collector.cli", "run", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert (
        f"rules.yaml:{_line(rules.read_text(), 'threshold: lots')}: rules.disk_full.threshold"
        in done.stderr
    )


@pytest.mark.parametrize(
    "old, new, needle, reason",
    [
        (
            "  disk_full: ",
            "  disk_fill: ",
            "disk_fill:",
            "rules.disk_fill: unknown rule (known: school_offline, device_offline,",
        ),
        (
            "    threshold: 90\n",
            "    threshold: -90\n",
            "threshold: -90",
            "rules.disk_full.threshold: Input should be greater than or equal to 0",
        ),
        (
            "cellular: 20,",
            "cellular: -20,",
            "cellular: -20",
            "rules.uplink_loss.threshold.cellular: Input should be greater than or equal to 0",
        ),
        (
            "    min_working: 5\n",
            "    min_working: [5]\n",
            "min_working: [5]",
            "rules.lab_pcs_low.min_working: Input should be a valid integer",
        ),
        (
            "    offline_after_intervals: 3 ",
            "    offline_after_intervals: {a: 1} ",
            "offline_after_intervals:",
            "rules.device_offline.offline_after_intervals: Input should be a valid number",
        ),
        (
            "  smart_failing: ",
            "  smart_failing: \n    thresold: 2\n",
            "thresold: 2",
            "rules.smart_failing.thresold: unknown key",
        ),
        (
            "    enabled: false\n",
            "    enabled: maybe\n",
            "enabled: maybe",
            "rules.lan_host_unknown.enabled: Input should be a valid boolean",
        ),
    ],
)
def test_a_hostile_rule_file_is_refused_naming_the_rule_and_key(old, new, needle, reason):
    """Validated against the registered rules' own models: an unknown rule, a misspelt key, a
    wrong type or a negative threshold is named with its file and line."""
    text = rules_with((old, new))
    with pytest.raises(RuleFileError) as err:
        parse_rules(text, "rules.yaml")
    assert f"rules.yaml:{_line(text, needle)}: {reason}" in str(err.value)


def test_rules_not_in_the_file_take_their_defaults_and_required_ones_are_named():
    rules = parse_rules("rules:\n  uplink_loss: {threshold: {fibre: 5, dsl: 8, ethernet: 5, "
                        "cellular: 20, other: 10}, clear_below: {fibre: 2, dsl: 4, ethernet: 2, "
                        "cellular: 10, other: 5}}\n  uplink_latency: {threshold: {fibre: 1, "
                        "dsl: 1, ethernet: 1, cellular: 1, other: 1}, clear_below: {fibre: 1, "
                        "dsl: 1, ethernet: 1, cellular: 1, other: 1}}\n  disk_full: "
                        "{threshold: 90}\n  projector_lamp: {threshold: 0.9}\n")  # fmt: skip
    assert rules.rule("school_offline").severity == "critical"
    assert rules.rule("smart_failing").threshold == 1
    assert rules.rule("no_such_rule") is None
    with pytest.raises(RuleFileError) as err:
        parse_rules("rules: {}\n", "rules.yaml")
    assert "rules.yaml:1: rules.disk_full: Field required" in str(err.value)


def test_the_command_checks_a_province_rule_file(tmp_path, capsys):
    from schoolnet_collector.cli import main

    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    good.write_text(rules_with(), encoding="utf-8")
    bad.write_text(rules_with(("  disk_full: ", "  disk_fill: ")), encoding="utf-8")
    assert main(["rules", "--check", str(good)]) == 0
    assert "rules enabled: school_offline, device_offline" in capsys.readouterr().out
    assert main(["rules", "--check", str(bad)]) == 2
    assert "bad.yaml:" in capsys.readouterr().err
    assert main(["rules", "--check", str(tmp_path / "none.yaml")]) == 2
    assert "cannot read" in capsys.readouterr().err
