"""Every wrong [spool] and [budget] value stops the agent with one line naming the key; a spool
file the agent cannot open at all is a clear error, not a crash loop."""

from __future__ import annotations

import subprocess

import pytest

from schoolnet_agent.config import ConfigError, load_config
from tests.support.agent_process import AGENT, write_config

ENV = {"SCHOOLNET_AGENT_DEVICE_SCHOOL": "lc-test-01"}


@pytest.mark.parametrize(
    "var, value, message",
    [
        ("SPOOL_ENABLED", "maybe", "spool.enabled): expected true or false"),
        ("SPOOL_FILE", " ", "spool.file): expected a non-empty string"),
        ("SPOOL_MAX_MB", "lots", "spool.max_mb): expected a number of megabytes 0.01-1e+06"),
        ("SPOOL_MAX_MB", "0", "spool.max_mb): expected a number of megabytes"),
        ("SPOOL_SYNC", "always", "spool.sync): expected one of full, normal"),
        ("SPOOL_REPLAY_RATE", "0", "spool.replay_rate): expected a number of messages a second"),
        ("SPOOL_REPLAY_INFLIGHT", "0", "spool.replay_inflight): expected an integer 1-65535"),
        (
            "SPOOL_REPLAY_INFLIGHT",
            "30",
            "spool.replay_inflight: expected at most mqtt.max_inflight (20)",
        ),
        ("SPOOL_KEEP_ACKED", "2", "spool.keep_acked): expected true or false"),
        (
            "SPOOL_RESEND_WINDOW_SECONDS",
            "-1",
            "spool.resend_window_seconds): expected a number of seconds",
        ),
        ("BUDGET_METERED", "sometimes", 'budget.metered): expected "auto", true or false'),
        (
            "BUDGET_SCHOOL_MONTHLY_MB",
            "0",
            "budget.school_monthly_mb): expected a number of megabytes",
        ),
        ("BUDGET_SCHOOL_DEVICES", "0", "budget.school_devices): expected an integer 1-100000"),
        (
            "BUDGET_INTERVAL_SECONDS",
            "0.5",
            "budget.interval_seconds): expected a number of seconds 1-86400",
        ),
        ("BUDGET_BATCH_REPORTS", "300", "budget.batch_reports): expected an integer 1-256"),
        ("BUDGET_BATCH_SECONDS", "x", "budget.batch_seconds): expected a number of seconds"),
        ("BUDGET_KEEPALIVE", "0", "budget.keepalive): expected an integer 1-3600"),
        (
            "BUDGET_GATEWAY_KEEPALIVE",
            "7200",
            "budget.gateway_keepalive): expected an integer 1-3600",
        ),
        ("BUDGET_LEAN", "perhaps", "budget.lean): expected true or false"),
    ],
)
def test_each_wrong_value_names_its_key(var, value, message):
    with pytest.raises(ConfigError) as exc:
        load_config(None, {**ENV, f"SCHOOLNET_AGENT_{var}": value})
    assert message in str(exc.value), str(exc.value)


def test_good_values_from_file_and_environment(tmp_path):
    path = write_config(
        tmp_path,
        1883,
        spool={"max_mb": 2.5, "sync": "normal"},
        budget={"metered": "auto", "school_monthly_mb": 60},
    )
    config = load_config(
        str(path),
        {"SCHOOLNET_AGENT_BUDGET_METERED": "yes", "SCHOOLNET_AGENT_SPOOL_KEEP_ACKED": "false"},
    )
    assert (config.spool.max_mb, config.spool.sync, config.spool.keep_acked) == (
        2.5,
        "normal",
        False,
    )
    assert config.budget.metered is True and config.budget.school_monthly_mb == 60
    assert config.budget.device_share_bytes == 60 * 1024 * 1024 // 30
    assert load_config(str(path), {}).budget.metered == "auto"


def test_a_typo_in_a_spool_key_is_refused_with_a_suggestion(tmp_path):
    path = write_config(tmp_path, 1883, spool={"max_mbytes": 5})
    with pytest.raises(
        ConfigError, match=r"spool.max_mbytes: unknown key \(did you mean 'max_mb'\?\)"
    ):
        load_config(str(path), {})


def test_run_with_a_wrong_value_exits_2_with_one_line(tmp_path):
    path = write_config(tmp_path, 1883, budget={"metered": "often"})
    done = subprocess.run(
        [AGENT, "run", "--config", str(path)], capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        'config error: budget.metered: expected "auto", true or false, got "often"'
    ]


def test_a_spool_that_cannot_be_opened_exits_1_naming_it(tmp_path):
    (tmp_path / "spool-is-a-dir").mkdir()
    path = write_config(tmp_path, 1883, spool={"file": str(tmp_path / "spool-is-a-dir")})
    done = subprocess.run(
        [AGENT, "run", "--config", str(path)], capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 1
    assert f"error: cannot open spool {tmp_path / 'spool-is-a-dir'}" in done.stderr
    assert "Traceback" not in done.stderr
