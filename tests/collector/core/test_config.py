"""Collector settings: every wrong value is named by its key (in the file, in the environment,
and by ``schoolnet-collector run``, exit 2 and no traceback); the environment overrides the
file; the ``[notify]`` defaults are quiet and Vietnamese; the at-least-once settings are held
to what the broker and the spool can honour."""

from __future__ import annotations

import pytest

from schoolnet_collector.core.config import ConfigError, load_settings
from tests.support.collector import cli


@pytest.mark.slow  # runs a collector process (about 0.4 s): make test-fast has no room for it
@pytest.mark.parametrize(
    "toml,expected",
    [
        ("[influx]\nbatch_size = 0\n", "influx.batch_size: Input should be greater than 0"),
        ('[mqtt]\nport = "abc"\n', "mqtt.port: Input should be a valid integer"),
        ('[mqtt]\nhots = "x"\n', "mqtt.hots: unknown key"),
        ('[influx]\napi = "v3"\n', "influx.api: Input should be 'auto', 'v1' or 'v2'"),
        ("[mqtt\nport = 1\n", "not valid TOML"),
    ],
)
def test_bad_config_file_named_by_key(tmp_path, toml, expected):
    conf = tmp_path / "collector.toml"
    conf.write_text(toml)
    with pytest.raises(ConfigError) as err:
        load_settings(conf)
    assert expected in str(err.value)
    result = cli("run", "--config", conf)
    assert result.returncode == 2
    assert expected in result.stderr and "Traceback" not in result.stderr


@pytest.mark.slow  # runs a collector process (about 0.4 s): make test-fast has no room for it
def test_environment_overrides_file_and_is_checked(tmp_path, monkeypatch):
    conf = tmp_path / "collector.toml"
    conf.write_text('[influx]\nurl = "http://127.0.0.1:1"\ndatabase = "from_file"\n')
    monkeypatch.setenv("SCHOOLNET_INFLUX__DATABASE", "from_env")
    settings = load_settings(conf)
    assert (settings.influx.url, settings.influx.database) == ("http://127.0.0.1:1", "from_env")
    result = cli("run", "--config", conf, env={"SCHOOLNET_MQTT__PORT": "70000"})
    assert (
        result.returncode == 2
        and "mqtt.port: Input should be less than or equal to 65535" in result.stderr
    )


@pytest.mark.slow  # runs a collector process (about 0.4 s): make test-fast has no room for it
def test_missing_config_file_is_one_line(tmp_path):
    result = cli("run", "--config", tmp_path / "nope.toml")
    assert result.returncode == 2
    assert "nope.toml: cannot read" in result.stderr and "Traceback" not in result.stderr


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


@pytest.mark.slow  # runs a collector process (about 0.4 s): make test-fast has no room for it
def test_run_stops_with_the_key_named(tmp_path):
    conf = tmp_path / "collector.toml"
    conf.write_text('[notify]\ntimezone = "UTC+7"\n')
    result = cli("run", "--config", conf)
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


@pytest.mark.slow  # runs a collector process (about 0.4 s): make test-fast has no room for it
@pytest.mark.parametrize(
    "conf, message",
    [
        (
            "[mqtt]\nreceive_maximum = 0\n",
            "mqtt.receive_maximum: Input should be greater than or equal to 1",
        ),
        (
            "[mqtt]\nreceive_maximum = 70000\n",
            "mqtt.receive_maximum: Input should be less than or equal to 65535",
        ),
        (
            "[mqtt]\nreceive_maximum = 5000\n[ingest]\nqueue_size = 1000\n",
            "mqtt.receive_maximum (5000) must not exceed ingest.queue_size (1000)",
        ),
        (
            "[mqtt]\nsession_expiry_seconds = 5\n",
            "mqtt.session_expiry_seconds: Input should be greater than or equal to 60",
        ),
        (
            "[mqtt]\nreplay_margin_seconds = -1\n",
            "mqtt.replay_margin_seconds: Input should be greater than or equal to 0",
        ),
        (
            "[ingest]\nspool_max_bytes = 10\n",
            "ingest.spool_max_bytes: Input should be greater than or equal to 1048576",
        ),
    ],
)
def test_wrong_at_least_once_settings_are_named(tmp_path, conf, message):
    path = tmp_path / "collector.toml"
    path.write_text(conf)
    with pytest.raises(ConfigError, match=_escape(message)):
        load_settings(path)
    result = cli("run", "--config", path)
    assert result.returncode == 2 and message in result.stderr


def test_data_dir_that_is_a_file_is_named(tmp_path):
    afile = tmp_path / "not-a-dir"
    afile.write_text("x")
    with pytest.raises(ConfigError, match=r"ingest.data_dir: .*exists and is not a directory"):
        load_settings(None, ingest={"data_dir": str(afile)})


def _escape(text: str) -> str:
    import re

    return re.escape(text)
