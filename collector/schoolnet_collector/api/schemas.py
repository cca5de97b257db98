"""Response models: what the API promises, and what its OpenAPI schema documents."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field


class ComponentHealth(BaseModel):
    ok: bool
    detail: str = Field(description="What was checked, or why it failed")


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    broker: ComponentHealth | None = Field(None, description="Only for a province token")
    influxdb: ComponentHealth | None = Field(None, description="Only for a province token")
    registry: ComponentHealth | None = Field(None, description="Only for a province token")
    ingest: dict[str, Any] = Field(
        default_factory=dict, description="Ingest counters since start (only for a province token)"
    )


class Problem(BaseModel):
    detail: str


class InvalidRequest(BaseModel):
    """A 422: FastAPI's own list of field errors, or one sentence from a route's own check
    (e.g. "scope 'x': expected province, commune:<code> or school:<id>")."""

    detail: str | list[dict[str, Any]] = Field(
        description="What is wrong: a sentence, or a list of {loc, msg, type} for each bad field"
    )


class DeadLetterOut(BaseModel):
    id: int
    received_at: datetime
    topic: str
    reason: str = Field(
        description="Why it was rejected: see docs/protocol.md, 'Rejected messages'"
    )
    detail: str
    payload_preview: str = Field(description="The first 500 bytes of the payload, as UTF-8 text")
    payload_bytes: int


class DistrictOut(BaseModel):
    id: str = Field(examples=["bat-xat"])
    name: str | None = Field(None, examples=["Bát Xát"])
    schools: int
    devices: int = Field(description="Devices registered so far in the district's schools")
    devices_online: int


class UnitOut(BaseModel):
    """A unit of local government (``registry.units``): today's province and communes, and
    the districts and provinces abolished on 1 July 2025 that old plans still name."""

    code: str = Field(examples=["08044"], description="Official 5-digit commune code, or ours")
    name: str = Field(examples=["Xã Bát Xát"])
    type: str = Field(
        examples=["xa"],
        description="tinh, thanh_pho; xa, phuong, dac_khu; huyen, thi_xa, "
        "thanh_pho_thuoc_tinh, tinh_cu (legacy)",
    )
    type_name: str = Field(examples=["Xã"], description="The type in the asked language")
    parent: str | None = None
    valid_from: date | None = None
    valid_to: date | None = None


class BodyCount(BaseModel):
    id: str = Field(examples=["province"], description="province (the Sở) or commune")
    schools: int


class CommuneOut(BaseModel):
    """A commune with its schools in the caller's scope; ``unassigned``: the schools with no
    commune yet (type null). Sites of units (``site_of`` in the school list) count in none."""

    id: str = Field(examples=["08044"])
    name: str = Field(examples=["Xã Bát Xát"])
    type: str | None = Field(None, examples=["xa"])
    schools: int
    managing_bodies: list[BodyCount] = Field(
        description="Its schools by the body that runs them (the Sở for THPT and GDTX)"
    )
    online_now: int = Field(description="Schools with at least one device online now")
    devices: int
    devices_online: int


class UplinkHour(BaseModel):
    time: datetime = Field(description="Start of the hour (UTC)")
    up: float | None = Field(None, description="Share of the hour's reports with the link up (0–1)")
    rtt_ms: float | None = None
    loss_percent: float | None = None
    failover: float | None = Field(None, description="Share of the hour on the backup line")
    cellular: float | None = Field(None, description="Share of the hour on a cellular modem")


class ReportOut(BaseModel):
    """A planners' report the API serves (``planning.reports``)."""

    name: str = Field(description="Its name in /api/v1/reports/{report} and the CLI")
    title: str
    description: str
    url: str = Field(description="Where to get it: JSON, or format=csv|xlsx for a download")
    uses_prices: bool = Field(description="It costs devices at the configured unit prices")
