"""The agent's configuration: a TOML file, overridden by ``SCHOOLNET_AGENT_<SECTION>_<KEY>``.

Environment overrides let one image or one Ansible template serve every PC of a lab while the
device id and the password come from the machine. Every value is checked at start: a wrong
value stops the agent with one line naming the key, what was expected and what was found
(``config error: mqtt.port: expected an integer 1-65535, got "abc"``), never a traceback
and never a half-working agent. Unknown keys are errors too: a typo silently ignored would
leave a setting at its default.

This is the top of the agent: each section's model, with the checks of its keys (``KEYS``),
lives with the unit it configures (``settings/``, ``delivery/settings.py``, a probe's module);
here they are put together into :class:`AgentConfig`, with the checks that span sections.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from schoolnet_agent.delivery.settings import BudgetSettings, SpoolSettings
from schoolnet_agent.probes import PROBES
from schoolnet_agent.settings.checks import Check, Invalid, Names, did_you_mean, shown
from schoolnet_agent.settings.device import (
    DeviceSettings,
    StateSettings,
    default_state_dir,
    hostname_id,
)
from schoolnet_agent.settings.gateway import GatewaySettings
from schoolnet_agent.settings.mqtt import MqttSettings
from schoolnet_agent.subdevice_config import SubdeviceConfigError, read_subdevices

ENV_PREFIX = "SCHOOLNET_AGENT_"


class ConfigError(Exception):
    """A configuration the agent cannot run with; ``str()`` is the whole message for the user."""


@dataclass
class ProbeSettings:
    enabled: list[str] = field(default_factory=lambda: PROBES.defaults("lab_pc"))
    disabled: list[str] = field(default_factory=list)

    KEYS: ClassVar[dict[str, Check]] = {
        "enabled": Names(PROBES.own()),
        "disabled": Names(PROBES.own()),
    }

    @property
    def active(self) -> list[str]:
        return [name for name in self.enabled if name not in self.disabled]


# Section → its model, in the order error messages list them; AgentConfig has a field of each.
MODELS: dict[str, type[Any]] = {
    "device": DeviceSettings,
    "mqtt": MqttSettings,
    "probes": ProbeSettings,
    "state": StateSettings,
    "gateway": GatewaySettings,
    "spool": SpoolSettings,
    "budget": BudgetSettings,
}
SECTIONS: dict[str, dict[str, Check]] = {section: m.KEYS for section, m in MODELS.items()}


@dataclass
class AgentConfig:
    device: DeviceSettings
    mqtt: MqttSettings
    probes: ProbeSettings
    state: StateSettings
    gateway: GatewaySettings = field(default_factory=GatewaySettings)
    # Sub-device section ([[projectors]]...) → the settings of each entry (subdevice_config.py).
    subdevices: dict[str, list[Any]] = field(default_factory=dict)
    spool: SpoolSettings = field(default_factory=SpoolSettings)
    budget: BudgetSettings = field(default_factory=BudgetSettings)

    def section(self, model: type[Any]) -> Any:
        """The configured settings of a section's model (a probe's ``settings_model``)."""
        for name, m in MODELS.items():
            if m is model:
                return getattr(self, name)
        raise LookupError(f"{model.__name__} is not the model of a configuration section")


def load_config(
    path: str | None = None, env: Mapping[str, str] | None = None, *, require_school: bool = True
) -> AgentConfig:
    """Read ``path`` (None: no file) and the environment; raise ConfigError on the first fault.

    ``require_school=False`` is for one-off local use (``once --print``): school ``local``.
    """
    raw = _read_toml(path) if path else {}
    subdevices = {s: raw.pop(s) for s in PROBES.sections() if s in raw}
    values = _from_env(os.environ if env is None else env, raw)
    device = values["device"]
    if "school" not in device:
        if require_school:
            raise ConfigError(
                "config error: device.school: required key missing (set it in "
                f"[device] or {ENV_PREFIX}DEVICE_SCHOOL)"
            )
        device["school"] = "local"
    device.setdefault("id", hostname_id())
    mqtt = values["mqtt"]
    if "username" not in mqtt:  # the broker's ACL expects exactly this login
        kind = device.get("kind", "lab_pc")
        mqtt["username"] = (
            device["school"] if kind == "gateway" else f"{device['school']}/{device['id']}"
        )
    settings = MqttSettings(**mqtt)
    if settings.reconnect_min_delay > settings.reconnect_max_delay:
        raise ConfigError(
            "config error: mqtt.reconnect_min_delay: expected at most "
            f"mqtt.reconnect_max_delay ({settings.reconnect_max_delay:g}), "
            f"got {settings.reconnect_min_delay:g}"
        )
    if settings.tls_insecure and not settings.tls:
        raise ConfigError("config error: mqtt.tls_insecure: only meaningful with mqtt.tls = true")
    if settings.tls:
        _check_tls_files(settings)
    state = StateSettings(values["state"].get("directory", default_state_dir()))
    probes = values["probes"]
    probes.setdefault("enabled", PROBES.defaults(device.get("kind", "lab_pc")))
    config = AgentConfig(
        DeviceSettings(**device),
        settings,
        ProbeSettings(**probes),
        state,
        GatewaySettings(**values["gateway"]),
    )
    try:
        config.subdevices = read_subdevices(subdevices, device["id"], device.get("kind", "lab_pc"))
    except SubdeviceConfigError as exc:
        raise ConfigError(f"config error: {exc}") from None
    config.spool, config.budget = _spool_and_budget(values, settings)
    return config


def _spool_and_budget(
    values: dict[str, dict[str, Any]], mqtt: MqttSettings
) -> tuple[SpoolSettings, BudgetSettings]:
    spool = SpoolSettings(**values["spool"])
    if spool.replay_inflight > mqtt.max_inflight:
        raise ConfigError(
            f"config error: spool.replay_inflight: expected at most "
            f"mqtt.max_inflight ({mqtt.max_inflight}), got {spool.replay_inflight}"
            " (live reports need free slots)"
        )
    return spool, BudgetSettings(**values["budget"])


def _check_tls_files(s: MqttSettings) -> None:
    """Load the TLS files now, so a wrong file is a config error and not a retry loop."""
    import ssl

    from schoolnet_agent.util.tls import tls_context

    try:
        tls_context(s.ca_file, None, None)
    except (ssl.SSLError, OSError) as exc:
        raise ConfigError(
            f"config error: mqtt.ca_file: {s.ca_file} is not a usable TLS file: "
            f"{getattr(exc, 'reason', None) or exc}"
        ) from None
    try:
        tls_context(None, s.cert_file, s.key_file)
    except (ssl.SSLError, OSError) as exc:
        raise ConfigError(
            f"config error: mqtt.cert_file: {s.cert_file} (key {s.key_file}) is "
            f"not a usable certificate and key: {getattr(exc, 'reason', None) or exc}"
        ) from None


def _read_toml(path: str) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10 lab images
        import tomli as tomllib
    try:
        with open(path, "rb") as f:
            raw = tomllib.load(f)
    except OSError as exc:
        raise ConfigError(f"config error: cannot read {path}: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config error: {path} is not valid TOML: {exc}") from None
    subdevice_sections = PROBES.sections()
    for section, body in raw.items():
        if section in subdevice_sections:  # arrays of tables, checked by read_subdevices
            continue
        if section not in SECTIONS:
            raise ConfigError(
                f"config error: unknown section [{section}]"
                f"{did_you_mean(section, SECTIONS)}; known: {', '.join(SECTIONS)}"
            )
        if not isinstance(body, dict):
            raise ConfigError(
                f"config error: {section}: expected a table [{section}], got {shown(body)}"
            )
        for key in body:
            if key not in SECTIONS[section]:
                raise ConfigError(
                    f"config error: {section}.{key}: unknown key"
                    f"{did_you_mean(key, SECTIONS[section])}; known: "
                    f"{', '.join(SECTIONS[section])}"
                )
    return raw


def _from_env(env: Mapping[str, str], raw: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Merge environment overrides into the file's values and check every value."""
    values: dict[str, dict[str, Any]] = {s: {} for s in SECTIONS}
    sources: dict[tuple[str, str], tuple[str, Any]] = {
        (s, k): (f"{s}.{k}", v) for s, body in raw.items() for k, v in body.items()
    }
    known_vars = {
        f"{ENV_PREFIX}{s.upper()}_{k.upper()}": (s, k) for s in SECTIONS for k in SECTIONS[s]
    }
    for var, text in env.items():
        if not var.startswith(ENV_PREFIX):
            continue
        if var not in known_vars:
            raise ConfigError(
                f"config error: unknown environment variable {var}{did_you_mean(var, known_vars)}"
            )
        section, key = known_vars[var]
        sources[(section, key)] = (
            f"{var} ({section}.{key})",
            SECTIONS[section][key].parse_env(text),
        )
    for (section, key), (where, value) in sources.items():
        check = SECTIONS[section][key]
        try:
            values[section][key] = check.check(value)
        except Invalid as exc:
            raise ConfigError(
                f"config error: {where}: expected {check.expected}, got {shown(value)}{exc}"
            ) from None
    return values
