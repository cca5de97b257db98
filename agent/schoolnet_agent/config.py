"""The agent's configuration: a TOML file, overridden by ``SCHOOLNET_AGENT_<SECTION>_<KEY>``.

Environment overrides let one image or one Ansible template serve every PC of a lab while the
device id and the password come from the machine. Every value is checked at start: a wrong
value stops the agent with one line naming the key, what was expected and what was found
(``config error: mqtt.port: expected an integer 1-65535, got "abc"``), never a traceback
and never a half-working agent. Unknown keys are errors too: a typo silently ignored would
leave a setting at its default.
"""

from __future__ import annotations

import os
import socket
import sys
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from schoolnet_agent.delivery.budget import BudgetSettings, MeteredMode
from schoolnet_agent.delivery.spooled import SpoolSettings
from schoolnet_agent.delivery.transport import MqttSettings
from schoolnet_agent.probes import BUILTIN_PROBES, GATEWAY_PROBES
from schoolnet_agent.protocol.payload import schema
from schoolnet_agent.settings.checks import (
    Boolean,
    Choice,
    Ident,
    Integer,
    Invalid,
    Names,
    Number,
    ReadableFile,
    Text,
    did_you_mean,
    shown,
)
from schoolnet_agent.settings.gateway import GATEWAY_KEYS, GatewaySettings
from schoolnet_agent.subdevice_settings import (
    SECTIONS as SUBDEVICE_SECTIONS,
    SubdeviceConfigError,
    read_subdevices,
)

ENV_PREFIX = "SCHOOLNET_AGENT_"
KINDS = tuple(schema()["properties"]["kind"]["enum"])
PROBE_NAMES = tuple(BUILTIN_PROBES)

SECTIONS: dict[str, dict[str, Any]] = {
    "device": {
        "school": Ident(),
        "id": Ident(),
        "kind": Choice(KINDS),
        "interval_seconds": Number(1, 86400),
    },
    "mqtt": {
        "host": Text(),
        "port": Integer(1, 65535),
        "username": Text(),
        "password": Text(),
        "tls": Boolean(),
        "ca_file": ReadableFile(),
        "cert_file": ReadableFile(),
        "key_file": ReadableFile(),
        "tls_insecure": Boolean(),
        "keepalive": Integer(1, 3600),
        "qos": Integer(0, 1),
        "reconnect_min_delay": Number(0.1, 3600),
        "reconnect_max_delay": Number(0.1, 86400),
        "max_inflight": Integer(1, 65535),
    },
    "probes": {"enabled": Names(PROBE_NAMES), "disabled": Names(PROBE_NAMES)},
    "state": {"directory": Text()},
    "gateway": GATEWAY_KEYS,
    "spool": {
        "enabled": Boolean(),
        "file": Text(),
        "max_mb": Number(0.01, 1e6, "megabytes"),
        "sync": Choice(("full", "normal")),
        "replay_rate": Number(0.1, 1e5, "messages a second"),
        "replay_inflight": Integer(1, 65535),
        "keep_acked": Boolean(),
        "resend_window_seconds": Number(0, 31 * 86400),
    },
    "budget": {
        "metered": MeteredMode(),
        "school_monthly_mb": Number(0.1, 1e6, "megabytes"),
        "school_devices": Integer(1, 100000),
        "interval_seconds": Number(1, 86400),
        "batch_reports": Integer(1, 256),
        "batch_seconds": Number(1, 86400),
        "keepalive": Integer(1, 3600),
        "gateway_keepalive": Integer(1, 3600),
        "lean": Boolean(),
    },
}


class ConfigError(Exception):
    """A configuration the agent cannot run with; ``str()`` is the whole message for the user."""


@dataclass
class DeviceSettings:
    school: str
    id: str
    kind: str = "lab_pc"
    interval_seconds: float = 60.0


@dataclass
class ProbeSettings:
    enabled: list[str] = field(default_factory=lambda: default_probes("lab_pc"))
    disabled: list[str] = field(default_factory=list)

    @property
    def active(self) -> list[str]:
        return [name for name in self.enabled if name not in self.disabled]


@dataclass
class StateSettings:
    directory: str


@dataclass
class AgentConfig:
    device: DeviceSettings
    mqtt: MqttSettings
    probes: ProbeSettings
    state: StateSettings
    gateway: GatewaySettings = field(default_factory=GatewaySettings)
    projectors: list = field(default_factory=list)  # ProjectorSettings of [[projectors]]
    boards: list = field(default_factory=list)  # BoardSettings of [[boards]]
    spool: SpoolSettings = field(default_factory=SpoolSettings)
    budget: BudgetSettings = field(default_factory=BudgetSettings)


def default_probes(kind: str) -> list[str]:
    """Every probe, except that the gateway probes run only on a gateway unless enabled."""
    return [n for n in PROBE_NAMES if kind == "gateway" or n not in GATEWAY_PROBES]


def load_config(
    path: str | None = None, env: Mapping[str, str] | None = None, *, require_school: bool = True
) -> AgentConfig:
    """Read ``path`` (None: no file) and the environment; raise ConfigError on the first fault.

    ``require_school=False`` is for one-off local use (``once --print``): school ``local``.
    """
    raw = _read_toml(path) if path else {}
    subdevices = {s: raw.pop(s) for s in SUBDEVICE_SECTIONS if s in raw}
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
    probes.setdefault("enabled", default_probes(device.get("kind", "lab_pc")))
    config = AgentConfig(
        DeviceSettings(**device),
        settings,
        ProbeSettings(**probes),
        state,
        GatewaySettings(**values["gateway"]),
    )
    try:
        config.projectors, config.boards = read_subdevices(
            subdevices, device["id"], device.get("kind", "lab_pc")
        )
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
    for section, body in raw.items():
        if section in SUBDEVICE_SECTIONS:  # arrays of tables, checked by read_subdevices
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


def hostname_id(name: str | None = None) -> str:
    """The machine's hostname made into a valid device id (``PC-07.lab.local`` → ``pc-07``,
    ``Máy-Tính-3`` → ``may-tinh-3``: Vietnamese diacritics dropped, ``đ`` → ``d``)."""
    host = (name or socket.gethostname()).split(".")[0].lower().replace("đ", "d")
    host = "".join(c for c in unicodedata.normalize("NFKD", host) if not unicodedata.combining(c))
    cleaned = "".join(c if c.isascii() and (c.isalnum() or c in "-_") else "-" for c in host)
    cleaned = cleaned.lstrip("-_")[:63]
    return cleaned or "device"


def default_state_dir() -> str:
    """Where the sequence counter lives unless ``[state] directory`` says otherwise."""
    if os.name == "nt":
        return os.path.join(os.environ.get("PROGRAMDATA", r"C:\ProgramData"), "schoolnet-agent")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        return "/var/lib/schoolnet-agent"
    base = os.environ.get("XDG_STATE_HOME") or os.path.expanduser("~/.local/state")
    return os.path.join(base, "schoolnet-agent")
