"""Which problems exist right now, from one snapshot of the registry.

A pure function of the snapshot, the rules and the keys already active (for value hysteresis),
so it is tested without a clock or a database and costs one pass over the fleet. It answers
three things: the conditions that hold (keyed like the incidents they would open), the keys it
cannot judge now (a lab PC outside school hours, a reading of a device that is offline), and
the schools that are offline as a whole (their per-device problems are not judged: the school
incident covers them).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from schoolnet_collector.alerting.rules import RuleSet
from schoolnet_collector.registry.alerting_models import DeviceReading, MaintenanceWindow
from schoolnet_collector.registry.calendar import Calendar
from schoolnet_collector.registry.devices import utc
from schoolnet_collector.registry.models import Device, School

GATEWAY_KINDS = ("gateway",)
DEVICE_COLUMNS = (
    Device.school_id,
    Device.device_id,
    Device.kind,
    Device.last_seen,
    Device.interval_seconds,
    Device.available,
    Device.available_changed,
    Device.expected_presence,
)
READING_COLUMNS = (
    DeviceReading.school_id,
    DeviceReading.device_id,
    DeviceReading.name,
    DeviceReading.value,
    DeviceReading.text_value,
    DeviceReading.at,
)
DEFAULT_INTERVAL = 60.0
DeviceRow = Row[str, str, str, datetime, float | None, bool | None, datetime | None, str | None]
"""A device as ``DEVICE_COLUMNS`` select it (plain rows: see ``Snapshot.load``)."""
ReadingRow = Row[str, str, str, float | None, str | None, datetime]
"""A reading as ``READING_COLUMNS`` select it."""

# Short texts for a phone screen: (Vietnamese, English); {school}, {device} and details fill in.
TEXTS = {
    "device_offline": ("Thiết bị {device} mất kết nối", "Device {device} is offline"),
    "school_offline": (
        "Trường mất kết nối: không nhận được dữ liệu từ gateway và thiết bị",
        "School offline: no report from its gateway or any device",
    ),
    "uplink_failover": (
        "Đường truyền chính lỗi, đang chạy đường dự phòng ({type})",
        "Main line down, running on the backup line ({type})",
    ),
    "no_internet": (
        "Mất Internet: gateway hoạt động nhưng không ra được Internet",
        "No internet: the gateway is up but cannot reach the internet",
    ),
    "uplink_loss": (
        "Mất gói cao trên đường truyền: {value:.0f}%",
        "High packet loss on the uplink: {value:.0f}%",
    ),
    "uplink_latency": (
        "Độ trễ đường truyền cao: {value:.0f} ms",
        "High uplink latency: {value:.0f} ms",
    ),
    "disk_full": (
        "Ổ đĩa {device} sắp đầy: {value:.0f}%",
        "Disk of {device} nearly full: {value:.0f}%",
    ),
    "smart_failing": (
        "Ổ cứng {device} báo lỗi SMART, cần thay",
        "A disk of {device} fails SMART: replace it",
    ),
    "projector_lamp": (
        "Bóng đèn máy chiếu {device} sắp hết tuổi thọ ({value:.0%})",
        "Projector {device} lamp near end of life ({value:.0%})",
    ),
    "projector_error": ("Máy chiếu {device} báo lỗi", "Projector {device} reports an error"),
    "lab_pcs_low": (
        "Phòng máy chỉ còn {value:.0f} máy hoạt động",
        "Only {value:.0f} lab PCs working",
    ),
    "lan_host_unknown": (
        "Thiết bị lạ trong mạng trường: {mac}",
        "Unknown device on the school LAN: {mac}",
    ),
}


@dataclass(frozen=True)
class Condition:
    key: str
    rule: str
    school_id: str
    device_id: str | None
    severity: str
    summary: str
    details: dict[str, Any]  # the incident's details (JSON): figures, both summaries
    since: datetime | None = None  # when the data says it began (presence); None: when first seen


@dataclass
class Found:
    conditions: dict[str, Condition] = field(default_factory=dict)
    unknown: set[str] = field(default_factory=set)
    offline_schools: set[str] = field(default_factory=set)

    def judged(self, key: str) -> bool:
        """False for keys that cannot be judged now (their state is kept as it is)."""
        if key in self.unknown:
            return False
        school = key.split(":", 1)[1].split("/", 1)[0]
        return not (school in self.offline_schools and not key.startswith("school_offline:"))


@dataclass
class Snapshot:
    now: datetime
    devices: dict[str, list[DeviceRow]]  # by school
    readings: dict[tuple[str, str], dict[str, ReadingRow]]  # by (school, device), then name
    calendar: Calendar
    maintenance: set[tuple[str, str | None]]

    @classmethod
    def load(cls, session: Session, now: datetime) -> Snapshot:
        # Plain rows, not ORM objects: a pass reads ~15,000 devices and ~35,000 readings, and
        # building mapped instances for them took most of its time (measured: 0.85 of 1.2 s).
        devices: dict[str, list[DeviceRow]] = {}
        for d in session.execute(
            select(*DEVICE_COLUMNS).join(School, School.id == Device.school_id)
        ):
            devices.setdefault(d.school_id, []).append(d)
        readings: dict[tuple[str, str], dict[str, ReadingRow]] = {}
        for r in session.execute(select(*READING_COLUMNS)):
            readings.setdefault((r.school_id, r.device_id), {})[r.name] = r
        maintenance = {
            (w.school_id, w.device_id)
            for w in session.scalars(
                select(MaintenanceWindow).where(
                    MaintenanceWindow.starts_at <= now, MaintenanceWindow.ends_at > now
                )
            )
        }
        return cls(now, devices, readings, Calendar.load(session), maintenance)

    def in_maintenance(self, school_id: str, device_id: str | None) -> bool:
        return (school_id, None) in self.maintenance or (
            device_id is not None and (school_id, device_id) in self.maintenance
        )


def offline_since(device: DeviceRow, now: datetime, after_intervals: float) -> datetime | None:
    """When the device went offline (its Will, or the end of its allowed silence), or None."""
    candidates: list[datetime] = []
    if device.available is False:
        candidates.append(utc(device.available_changed) or utc(device.last_seen))
    limit = timedelta(seconds=after_intervals * (device.interval_seconds or DEFAULT_INTERVAL))
    if now - utc(device.last_seen) > limit:
        candidates.append(utc(device.last_seen) + limit)
    return min(candidates) if candidates else None


def find_conditions(snap: Snapshot, rules: RuleSet, active: set[str]) -> Found:
    found = Found()
    r = rules.rules
    now = snap.now
    after = r.device_offline.offline_after_intervals

    def add(
        rule_name: str,
        school: str,
        device: str | None,
        key_tail: str,
        value: float | None = None,
        since: datetime | None = None,
        **details: object,
    ) -> None:
        rule = getattr(r, rule_name)
        key = f"{rule_name}:{school}" + (f"/{key_tail}" if key_tail else "")
        fill = dict(details, device=device or "", school=school, value=value or 0.0)
        for k in ("type", "mac"):
            fill.setdefault(k, "")
        vi, en = TEXTS[rule_name]
        found.conditions[key] = Condition(
            key,
            rule_name,
            school,
            device,
            rule.severity,
            vi.format(**fill),
            dict(details, value=value, summary_vi=vi.format(**fill), summary_en=en.format(**fill)),
            since,
        )

    def unknown(rule_name: str, school: str, key_tail: str = "") -> None:
        found.unknown.add(f"{rule_name}:{school}" + (f"/{key_tail}" if key_tail else ""))

    def above(rule_name: str, key: str, value: float, threshold: float, clear_level: float) -> bool:
        """Value hysteresis: opens at the threshold, an active key clears only below clear_level."""
        return value >= threshold or (key in active and value > clear_level)

    for school, devices in snap.devices.items():
        gone = {d.device_id: offline_since(d, now, after) for d in devices}

        # -- the school as a whole --------------------------------------------------------
        gateways = [d for d in devices if d.kind in GATEWAY_KINDS]
        if (
            r.school_offline.enabled
            and devices
            and all(gone.values())
            and (
                gateways
                or any(rules.presence_of(d.kind, d.expected_presence) == "always" for d in devices)
            )
        ):
            found.offline_schools.add(school)
            went = [t for t in gone.values() if t is not None]  # all of them, as checked above
            add("school_offline", school, None, "", since=max(went), devices=len(devices))
            continue  # nothing beneath it is judged while the school is away

        # -- presence of each device ------------------------------------------------------
        school_time = None
        for d in devices:
            presence = rules.presence_of(d.kind, d.expected_presence)
            if not r.device_offline.enabled or presence == "optional":
                continue
            if presence == "school_hours":
                if school_time is None:
                    school_time = snap.calendar.is_school_time(school, now)
                if not school_time:
                    unknown("device_offline", school, d.device_id)
                    continue
            if gone[d.device_id]:
                add(
                    "device_offline",
                    school,
                    d.device_id,
                    d.device_id,
                    since=gone[d.device_id] if presence == "always" else None,
                    kind=d.kind,
                )

        # -- the uplink, as its gateway reports it -----------------------------------------
        for gw in gateways:
            _uplink(snap, rules, school, gw, gone[gw.device_id], add, unknown, above)

        # -- per-device readings ---------------------------------------------------------
        for d in devices:
            values = snap.readings.get((school, d.device_id), {})
            if not values:
                continue
            online = gone[d.device_id] is None
            disks = [
                v.value
                for n, v in values.items()
                if n.startswith("disk.used_percent:") and v.value is not None
            ]
            if r.disk_full.enabled and disks:
                key = f"disk_full:{school}/{d.device_id}"
                if not online:
                    unknown("disk_full", school, d.device_id)
                elif above(
                    "disk_full", key, max(disks), r.disk_full.threshold, r.disk_full.clear_level
                ):
                    add("disk_full", school, d.device_id, d.device_id, max(disks))
            smart = values.get("inventory.smart_failed_count")
            if r.smart_failing.enabled and smart is not None and smart.value is not None:
                key = f"smart_failing:{school}/{d.device_id}"
                if above(
                    "smart_failing",
                    key,
                    smart.value,
                    r.smart_failing.threshold,
                    r.smart_failing.clear_level,
                ):
                    add("smart_failing", school, d.device_id, d.device_id, smart.value)
            hours, rated = (
                values.get("projector.lamp_hours"),
                values.get("projector.lamp_rated_hours"),
            )
            if (
                r.projector_lamp.enabled
                and hours
                and rated
                and rated.value
                and hours.value is not None
            ):
                ratio = hours.value / rated.value
                key = f"projector_lamp:{school}/{d.device_id}"
                if above(
                    "projector_lamp",
                    key,
                    ratio,
                    r.projector_lamp.threshold,
                    r.projector_lamp.clear_level,
                ):
                    add(
                        "projector_lamp",
                        school,
                        d.device_id,
                        d.device_id,
                        ratio,
                        lamp_hours=hours.value,
                        lamp_rated_hours=rated.value,
                    )
            error = values.get("projector.error")
            if r.projector_error.enabled and error is not None:
                if not online:
                    unknown("projector_error", school, d.device_id)
                elif error.value == 1:
                    add("projector_error", school, d.device_id, d.device_id)
            if r.lan_host_unknown.enabled:
                for name, v in values.items():
                    if name.startswith("event.lan_host_unknown:") and now - utc(v.at) <= timedelta(
                        hours=1
                    ):
                        mac = name.split(":", 1)[1]
                        add(
                            "lan_host_unknown",
                            school,
                            None,
                            mac,
                            mac=mac,
                            seen_by=d.device_id,
                            hint=v.text_value,
                        )

        # -- the lab as a whole -------------------------------------------------------------
        lab = [d for d in devices if d.kind == "lab_pc"]
        rule = r.lab_pcs_low
        if rule.enabled and len(lab) >= rule.min_working:
            recent = now - timedelta(days=rule.seen_within_days)
            working = sum(1 for d in lab if utc(d.last_seen) >= recent)
            if working < rule.min_working:
                add("lab_pcs_low", school, None, "", working, registered=len(lab))
    return found


class _Add(Protocol):
    """``find_conditions``' own ``add``, handed to the helpers that judge part of a school."""

    def __call__(
        self,
        rule_name: str,
        school: str,
        device: str | None,
        key_tail: str,
        value: float | None = None,
        since: datetime | None = None,
        **details: object,
    ) -> None: ...


def _uplink(
    snap: Snapshot,
    rules: RuleSet,
    school: str,
    gw: DeviceRow,
    gone: datetime | None,
    add: _Add,
    unknown: Callable[[str, str], None],
    above: Callable[[str, str, float, float, float], bool],
) -> None:
    r = rules.rules
    values = snap.readings.get((school, gw.device_id), {})
    fresh_after = snap.now - timedelta(
        seconds=r.device_offline.offline_after_intervals * (gw.interval_seconds or DEFAULT_INTERVAL)
    )

    def fresh(name: str) -> ReadingRow | None:
        v = values.get(name)
        return v if v is not None and utc(v.at) >= fresh_after else None

    names = ("uplink_failover", "no_internet", "uplink_loss", "uplink_latency")
    if gone is not None:  # the gateway is offline: device_offline / school_offline speak
        for name in names:
            unknown(name, school)
        return
    uplink_type = fresh("uplink.type")
    type_ = uplink_type.text_value if uplink_type else None
    up = fresh("uplink.up")
    if r.no_internet.enabled and up is not None and up.value is not None and up.value == 0:
        add("no_internet", school, gw.device_id, "", type=type_ or "")
    failover, changed = fresh("uplink.failover"), values.get("event.uplink_changed")
    if r.uplink_failover.enabled:
        state = failover.value if failover is not None else None
        if changed is not None and (failover is None or utc(changed.at) > utc(failover.at)):
            state = changed.value  # the event arrives before the next report
        if state == 1:
            add(
                "uplink_failover",
                school,
                gw.device_id,
                "",
                type=type_ or "backup",
                isp=(values["uplink.isp"].text_value if "uplink.isp" in values else None),
            )
    if up is not None and up.value == 0:  # no internet: loss and latency say nothing more
        unknown("uplink_loss", school)
        unknown("uplink_latency", school)
        return
    for rule_name, field_name in (
        ("uplink_loss", "uplink.loss_percent"),
        ("uplink_latency", "uplink.rtt_ms"),
    ):
        rule, v = getattr(r, rule_name), fresh(field_name)
        if not rule.enabled or v is None or v.value is None:
            continue
        key = f"{rule_name}:{school}"
        if above(
            rule_name,
            key,
            v.value,
            rule.threshold.for_type(type_),
            rule.clear_below.for_type(type_),
        ):
            add(
                rule_name,
                school,
                gw.device_id,
                "",
                v.value,
                type=type_ or "other",
                threshold=rule.threshold.for_type(type_),
            )
