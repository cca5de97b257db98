"""Collector settings: a TOML file, overridden by ``SCHOOLNET_<SECTION>__<KEY>`` variables.

pydantic-settings validates every value; ``load_settings`` turns its errors into one line per
wrong key (``influx.batch_size: Input should be greater than 0``) for ``schoolnet-collector``.
"""

from __future__ import annotations

from ipaddress import ip_network
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import tomllib
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    IPvAnyNetwork,
    SecretStr,
    ValidationError,
    create_model,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from schoolnet_collector.channels import REGISTRY, ChannelSettings, ChannelUnit

S = TypeVar("S", bound=ChannelSettings)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MqttConfig(Strict):
    host: str = "127.0.0.1"
    port: int = Field(1883, ge=1, le=65535)
    username: str = "collector"
    password: str | None = None
    tls: bool = False
    ca_file: Path | None = None
    client_id: str = Field("schoolnet-collector", min_length=1, max_length=64)
    share_group: str | None = Field(
        "collectors", description="None: plain subscription (one collector)"
    )
    keepalive: int = Field(20, ge=5, le=600)
    # MQTT v5 Receive Maximum: how many unacknowledged QoS 1 messages the broker may send us.
    # Acks wait until a message is stored (~0.2-0.4 s), so Mosquitto's default of 20 in flight
    # would cap ingest near 100 messages/s; Mosquitto honours a v5 client's own value instead.
    receive_maximum: int = Field(10_000, ge=1, le=65_535)
    session_expiry_seconds: int = Field(
        30 * 86_400,
        ge=60,
        le=4_294_967_295,
        description="how long the broker keeps our session while we are away",
    )
    replay_margin_seconds: float = Field(
        120.0,
        ge=0,
        le=86_400,
        description="subtracted from the checkpoint in replay requests "
        "(agents' clock skew, delivery lag)",
    )


class InfluxConfig(Strict):
    url: str = "http://127.0.0.1:8086"
    database: str = "schoolnet"
    retention_policy: str | None = None
    username: str | None = None
    password: str | None = None
    token: str | None = Field(None, description="InfluxDB 2.x/3.x token (v2 write API)")
    org: str = "schoolnet"
    api: Literal["auto", "v1", "v2"] = "auto"
    create_database: bool = True
    batch_size: int = Field(5000, gt=0, le=100_000)
    flush_interval: float = Field(0.2, gt=0, le=60)
    timeout: float = Field(10.0, gt=0)


class RegistryConfig(Strict):
    url: str = "sqlite:///schoolnet-registry.sqlite3"
    units_file: Path | None = Field(
        None,
        description="units file (CSV or XLSX, as 'units import' takes) imported at start, "
        "before schools_file; a wrong one stops the start",
    )
    schools_file: Path | None = Field(None, description="CSV or YAML imported at start")
    refresh_seconds: float = Field(30.0, gt=0)


class IngestConfig(Strict):
    # One converting thread is fastest: the work is CPU-bound Python, so more threads only
    # contend for the GIL (measured: 123 vs 145 µs of CPU per report). Scale with processes.
    workers: int = Field(1, ge=1, le=64)
    queue_size: int = Field(100_000, ge=100)
    max_payload_bytes: int = Field(256 * 1024, ge=1024)
    dead_letter_keep: int = Field(100_000, ge=0, description="rows kept in the dead-letter store")
    offline_after_intervals: float = Field(3.0, gt=1)
    data_dir: Path = Field(
        Path("collector-data"),
        description="the durable spool (while InfluxDB is down) and the checkpoint",
    )
    spool_max_bytes: int = Field(1024**3, ge=1024**2, description="beyond this, stop acknowledging")
    # The time window of a report's ``ts`` around the collector's clock: a point far in the
    # future would open an InfluxDB shard whose field types one device then decides.
    max_future_seconds: float = Field(300.0, ge=0, le=86400)
    # An agent's spool is bounded by size, not age: a lab closed over the summer break (three
    # months) sends its spool when it reopens.
    max_age_days: float = Field(120.0, gt=0, le=3660, description="a spool's oldest report")
    # Budgets per device and day (docs/protocol.md, "Budgets"): past one, the excess is refused.
    max_series_per_device: int = Field(512, ge=1, description="measurement + instance pairs")
    max_fields_per_device: int = Field(2048, ge=1, description="measurement + field pairs")
    max_event_types_per_device: int = Field(32, ge=1)
    max_new_devices_per_school: int = Field(200, ge=1, description="ids first heard in a day")
    dead_letter_examples: int = Field(3, ge=1, le=100, description="kept per device and reason")
    dead_letter_bytes: int = Field(
        4 * 1024 * 1024, ge=64 * 1024, description="payload bytes kept per registry flush"
    )

    @field_validator("data_dir")
    @classmethod
    def _data_dir_is_a_directory(cls, value: Path) -> Path:
        if value.exists() and not value.is_dir():
            raise ValueError(f"{value} exists and is not a directory")
        return value


class AlertingConfig(Strict):
    enabled: bool = True
    rules_file: Path | None = Field(
        None,
        description="YAML rule file; None: the packaged default "
        "(schoolnet_collector/rules/default.yaml)",
    )


class PlanningConfig(Strict):
    """``[planning]``: the Sở's plans. Each file is a targets file with a ``plan:`` section
    (id, name, area: the province or a former province); the readiness report measures each
    plan on its own area and the province as a whole (``planning.plans``)."""

    plans: list[Path] = Field(
        default_factory=list,
        description="plan target files (YAML); none: the packaged targets, for the whole province",
    )


class ReportLimit(Strict):
    """How much one report request may ask of InfluxDB: its period, and its schools times its
    days (a province for a month is ~20,000 school-days; each costs InfluxDB a few series)."""

    period_days: int = Field(ge=1, le=400)
    school_days: int = Field(ge=1)


RoleName = Literal["viewer", "operator", "admin"]  # core.access.ROLES


def default_report_limits() -> dict[RoleName, ReportLimit]:
    return {
        "viewer": ReportLimit(period_days=31, school_days=40_000),
        "operator": ReportLimit(period_days=92, school_days=120_000),
        "admin": ReportLimit(period_days=400, school_days=600_000),
    }


PRIVATE_NETWORKS = ["127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]


class MetricsConfig(Strict):
    """``[api.metrics]``: who may scrape ``/metrics``. It shows counts only (no school, device,
    address or person), so it takes no API token; it is still not for the internet, hence the
    address list, and a shared scrape token for when the port is reachable from further away
    (Prometheus sends it with ``authorization: {credentials: ...}``)."""

    enabled: bool = True
    allow_from: list[IPvAnyNetwork] = Field(
        default_factory=lambda: [ip_network(n) for n in PRIVATE_NETWORKS],
        description="source networks a scrape may come from (default: loopback and RFC 1918)",
    )
    token: SecretStr | None = Field(
        None, min_length=16, description="if set, a scrape must bear it (Authorization: Bearer)"
    )


class ApiConfig(Strict):
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)
    enabled: bool = True
    metrics: MetricsConfig = MetricsConfig()
    report_limits: dict[RoleName, ReportLimit] = Field(
        default_factory=default_report_limits,
        description="per role: the longest report period and the most school-days a "
        "report from the API or the pages may cover (the report command has no limit)",
    )


class ActionsConfig(Strict):
    """``[notify.actions]``: acting on an incident from the message itself (``notify.actions``).
    Telegram buttons need nothing here; e-mail links need the address people open the pages
    at and a key to sign the links with (the same on every collector of one registry)."""

    base_url: str | None = Field(
        None,
        pattern=r"^https?://[^\s/?#]+(/[^\s?#]*)?$",
        description="the pages' public address, e.g. https://schoolnet.sogddt.example.vn; "
        "none: e-mails carry no links",
    )
    secret: SecretStr | None = Field(
        None, min_length=32, description="signs the e-mail links (32+ random characters)"
    )
    link_hours: float = Field(72.0, gt=0, le=24 * 30, description="how long a link works")
    telegram_buttons: bool = Field(True, description="Telegram pages carry ack/resolve buttons")


class NotifyBase(Strict):
    """``[notify]`` without its channels' tables; ``NotifyConfig`` adds one per registered
    channel (``channels.REGISTRY``: ``[notify.smtp]``, ``[notify.telegram]``…), so a new
    channel brings its settings with it."""

    enabled: bool = True
    language: Literal["vi", "en"] = "vi"
    timezone: str = "Asia/Ho_Chi_Minh"
    templates_dir: Path | None = Field(
        None,
        description="own <lang>/<rule>.<transition>.j2 files, searched before the packaged ones",
    )
    delay_seconds: float = Field(0.0, ge=0, le=3600, description="hold a new page this long first")
    respect_school_time: bool = Field(True, description="hold pages outside school hours/holidays")
    page_anytime_severities: list[Literal["info", "warning", "critical"]] = Field(
        default_factory=list
    )
    repeat_minutes: float = Field(120.0, gt=0)
    max_repeats: int = Field(2, ge=0, le=100)
    escalate_minutes: float | None = Field(60.0, ge=0, description="0: never escalate")
    digest_at: str | None = Field(
        "07:00",
        pattern=r"^(([01][0-9]|2[0-3]):[0-5][0-9])?$",
        description='local HH:MM; "": no digest',
    )
    retry_seconds: float = Field(30.0, gt=0)
    retry_max_seconds: float = Field(3600.0, gt=0)
    max_attempts: int = Field(12, ge=1, le=1000)
    poll_seconds: float = Field(1.0, gt=0, le=60)
    actions: ActionsConfig = ActionsConfig()

    def channel(self, name: str) -> ChannelSettings:
        """The settings of the channel called ``name`` (``email`` → ``[notify.smtp]``)."""
        settings: ChannelSettings = getattr(self, REGISTRY[name].section)
        return settings

    def settings_of(self, unit: ChannelUnit[S]) -> S:
        """A channel's settings, typed as its unit's model."""
        settings = getattr(self, unit.section)
        assert isinstance(settings, unit.settings)
        return settings

    def ready(self, name: str) -> bool:
        """Whether the channel's settings let it send at all."""
        unit = REGISTRY[name]
        return bool(unit.ready(getattr(self, unit.section)))

    @model_validator(mode="after")
    def _retry_ceiling(self) -> NotifyBase:
        if self.retry_max_seconds < self.retry_seconds:
            raise ValueError("retry_max_seconds is below retry_seconds")
        return self

    @field_validator("templates_dir")
    @classmethod
    def _existing_dir(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_dir():
            raise ValueError(f"{value} is not a directory")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (e.g. Asia/Ho_Chi_Minh)") from None
        return value


if TYPE_CHECKING:
    NotifyConfig = NotifyBase
else:
    NotifyConfig = create_model(
        "NotifyConfig",
        __base__=NotifyBase,
        __module__=__name__,
        **{u.section: (u.settings, Field(default_factory=u.settings)) for u in REGISTRY},
    )


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SCHOOLNET_", env_nested_delimiter="__", extra="forbid"
    )

    province: str = "lao-cai"
    mqtt: MqttConfig = MqttConfig()
    influx: InfluxConfig = InfluxConfig()
    registry: RegistryConfig = RegistryConfig()
    ingest: IngestConfig = IngestConfig()
    api: ApiConfig = ApiConfig()
    notify: NotifyConfig = NotifyConfig()
    alerting: AlertingConfig = AlertingConfig()
    planning: PlanningConfig = PlanningConfig()

    @model_validator(mode="after")
    def _inbox_holds_what_the_broker_may_send(self) -> Settings:
        # Unacknowledged messages wait in the inbox; if the broker may send more than it holds,
        # paho's thread blocks on a full inbox while the acks it should send queue behind it.
        if self.mqtt.receive_maximum > self.ingest.queue_size:
            raise ValueError(
                f"mqtt.receive_maximum ({self.mqtt.receive_maximum}) must not exceed "
                f"ingest.queue_size ({self.ingest.queue_size})"
            )
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Environment beats the file (passed as init kwargs), so the file comes after it.
        return (env_settings, init_settings)


class ConfigError(ValueError):
    """A config file or environment value is wrong; the message names each bad key."""


def _describe(err: ValidationError) -> str:
    lines = []
    for e in err.errors():
        key = ".".join(str(p) for p in e["loc"]) or "(top level)"
        msg = "unknown key" if e["type"] == "extra_forbidden" else e["msg"]
        lines.append(
            f"{key}: {msg}"
            + (
                f" (got {e['input']!r})"
                if e["type"] != "extra_forbidden" and not isinstance(e.get("input"), dict)
                else ""
            )
        )
    return "\n".join(lines)


def load_settings(path: Path | None = None, **overrides: object) -> Settings:
    data: dict[str, Any] = {}  # TOML as parsed: pydantic checks every value below
    if path is not None:
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    for section, values in overrides.items():
        if isinstance(values, dict):
            data.setdefault(section, {}).update(values)
        else:
            data[section] = values
    try:
        return Settings(**data)
    except ValidationError as exc:
        where = f"{path}: " if path else ""
        raise ConfigError(where + "invalid configuration\n" + _describe(exc)) from None
