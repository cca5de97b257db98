"""The ``[notify]`` section: every wrong value is named by its key, in the file, in the
environment, and by ``schoolnet-collector run`` (exit 2, no traceback)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from schoolnet_collector.core.config import ConfigError, load_settings

BIN = Path(sys.executable).parent / "schoolnet-collector"


@pytest.mark.parametrize(
    "toml,expected",
    [
        (
            '[notify]\ntimezone = "Asia/Hanoi_City"\n',
            "notify.timezone: Value error, unknown time zone 'Asia/Hanoi_City'",
        ),
        ('[notify]\ndigest_at = "7h"\n', "notify.digest_at: String should match pattern"),
        ('[notify]\nlanguage = "fr"\n', "notify.language: Input should be 'vi' or 'en'"),
        (
            "[notify]\nmax_repeats = -1\n",
            "notify.max_repeats: Input should be greater than or equal to 0",
        ),
        ("[notify]\nrepeat_minutes = 0\n", "notify.repeat_minutes: Input should be greater than 0"),
        (
            '[notify]\npage_anytime_severities = ["urgent"]\n',
            "notify.page_anytime_severities.0: Input should be",
        ),
        (
            "[notify]\nretry_seconds = 600\nretry_max_seconds = 60\n",
            "retry_max_seconds is below retry_seconds",
        ),
        (
            '[notify]\ntemplates_dir = "/nonexistent/templates"\n',
            "notify.templates_dir: Value error, /nonexistent/templates is not a directory",
        ),
        (
            '[notify.smtp]\nsecurity = "tls"\n',
            "notify.smtp.security: Input should be 'starttls', 'ssl' or 'none'",
        ),
        (
            "[notify.smtp]\nport = 0\n",
            "notify.smtp.port: Input should be greater than or equal to 1",
        ),
        ('[notify.smtp]\nhots = "mail"\n', "notify.smtp.hots: unknown key"),
        (
            '[notify.telegram]\napi_base = "api.telegram.org"\n',
            "notify.telegram.api_base: String should match pattern",
        ),
        (
            "[notify.telegram]\npoll_timeout = 90\n",
            "notify.telegram.poll_timeout: Input should be less than or equal to 50",
        ),
        ('[notify.webhook]\ncontact_secrets = {abc = "k"}\n', "notify.webhook.contact_secrets.abc"),
        (
            '[notify.mqtt]\nprefix = "schoolnet/#"\n',
            "notify.mqtt.prefix: String should match pattern",
        ),
    ],
)
def test_wrong_notify_values_are_named(tmp_path, toml, expected):
    conf = tmp_path / "collector.toml"
    conf.write_text(toml)
    with pytest.raises(ConfigError) as err:
        load_settings(conf)
    assert expected in str(err.value)


def test_run_stops_with_the_key_named(tmp_path):
    conf = tmp_path / "collector.toml"
    conf.write_text('[notify]\ntimezone = "UTC+7"\n')
    result = subprocess.run(
        [BIN, "run", "--config", conf], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "notify.timezone: Value error, unknown time zone 'UTC+7'" in result.stderr
    assert "Traceback" not in result.stderr


def test_environment_overrides_and_is_checked(monkeypatch):
    monkeypatch.setenv("SCHOOLNET_NOTIFY__SMTP__HOST", "mail.so-gddt.test")
    monkeypatch.setenv("SCHOOLNET_NOTIFY__SMTP__PORT", "465")
    monkeypatch.setenv("SCHOOLNET_NOTIFY__SMTP__SECURITY", "ssl")
    smtp = load_settings(None).notify.smtp
    assert (smtp.host, smtp.port, smtp.security) == ("mail.so-gddt.test", 465, "ssl")
    monkeypatch.setenv("SCHOOLNET_NOTIFY__SMTP__PORT", "smtps")
    with pytest.raises(ConfigError) as err:
        load_settings(None)
    assert "notify.smtp.port: Input should be a valid integer" in str(err.value)


def test_escalation_and_digest_can_be_switched_off_in_the_file(tmp_path):
    conf = tmp_path / "collector.toml"
    conf.write_text('[notify]\nescalate_minutes = 0\ndigest_at = ""\n')
    n = load_settings(conf).notify
    assert n.escalate_minutes == 0 and n.digest_at == ""


def test_defaults_are_quiet_and_vietnamese():
    n = load_settings(None).notify
    assert (n.language, n.timezone, n.respect_school_time) == ("vi", "Asia/Ho_Chi_Minh", True)
    assert n.smtp.host is None and n.telegram.bot_token is None and not n.mqtt.enabled
    assert n.telegram.api_base == "https://api.telegram.org"
