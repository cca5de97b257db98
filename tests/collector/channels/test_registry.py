"""The channel registry: every unit loads, brings its settings to ``[notify]``, and a broken
registration is named."""

from __future__ import annotations

import pytest

from schoolnet_collector.channels import REGISTRY, Registration, Registry
from schoolnet_collector.channels.registry import ChannelLoadError
from schoolnet_collector.core.config import ConfigError, NotifyConfig, load_settings


def test_every_channel_has_its_notify_section_and_its_own_settings_model():
    cfg = NotifyConfig()
    for unit in REGISTRY:
        assert isinstance(cfg.channel(unit.name), unit.settings)
        assert cfg.settings_of(unit) is getattr(cfg, unit.section)
    assert not cfg.ready("email") and not cfg.ready("telegram") and not cfg.ready("mqtt")
    assert cfg.ready("webhook")  # a contact's URL is all a webhook needs


def test_a_wrong_channel_setting_is_named_by_its_key(tmp_path):
    path = tmp_path / "collector.toml"
    path.write_text('[notify.smtp]\nport = 0\nsurprise = 1\n[notify.zalo]\ntoken = "x"\n')
    with pytest.raises(ConfigError) as err:
        load_settings(path)
    text = str(err.value)
    assert "notify.smtp.port" in text and "notify.smtp.surprise: unknown key" in text
    assert "notify.zalo: unknown key" in text


@pytest.mark.parametrize(
    ("registrations", "problem"),
    [
        ([Registration("email", ".nope:UNIT")], "cannot|No module"),
        ([Registration("email", ".telegram:UNIT")], "not a ChannelUnit named 'email'"),
        ([Registration("x", ".smtp:SmtpConfig")], "not a ChannelUnit"),
    ],
)
def test_a_broken_registration_is_named(registrations, problem):
    with pytest.raises(ChannelLoadError, match=problem):
        list(Registry(registrations))


def test_a_channel_registered_twice_is_refused():
    with pytest.raises(ValueError, match="twice"):
        Registry([Registration("email", ".smtp:UNIT"), Registration("email", ".smtp:UNIT")])
    with pytest.raises(KeyError, match="unknown channel 'zalo'"):
        REGISTRY["zalo"]
