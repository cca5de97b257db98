"""``/health``: can this collector reach its broker, InfluxDB and registry right now?

503 when any of the three is down, so a load balancer or systemd watchdog can act on it.
Without a token (monitoring probes) the answer is the status only; what was checked, the
addresses and the ingest counters are shown to province tokens, as they describe the
installation rather than any school.
"""

from __future__ import annotations

import socket
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.security import HTTPAuthorizationCredentials
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from schoolnet_collector.api.auth import Caller, ClockDep, bearer, optional_caller
from schoolnet_collector.api.deps import RuntimeDep
from schoolnet_collector.api.schemas import ComponentHealth, Health
from schoolnet_collector.runtime import Runtime
from schoolnet_collector.storage.influx import StorageError

router = APIRouter(tags=["health"])


def check_broker(runtime: Runtime) -> ComponentHealth:
    cfg = runtime.settings.mqtt
    if runtime.ingest is not None:
        sub = runtime.ingest.subscriber
        if sub.connected:
            return ComponentHealth(ok=True, detail=f"subscribed at {cfg.host}:{cfg.port}")
        return ComponentHealth(
            ok=False, detail=sub.last_error or f"not connected to {cfg.host}:{cfg.port}"
        )
    try:
        socket.create_connection((cfg.host, cfg.port), timeout=2).close()
        return ComponentHealth(
            ok=True, detail=f"{cfg.host}:{cfg.port} accepts connections (ingest off)"
        )
    except OSError as exc:
        return ComponentHealth(ok=False, detail=f"{cfg.host}:{cfg.port}: {exc.strerror or exc}")


def check_influx(runtime: Runtime) -> ComponentHealth:
    try:
        version = runtime.store.ping()
    except StorageError as exc:
        return ComponentHealth(ok=False, detail=str(exc))
    if runtime.ingest is not None and runtime.ingest.last_write_error:
        return ComponentHealth(
            ok=False, detail="writes failing: " + runtime.ingest.last_write_error
        )
    return ComponentHealth(
        ok=True,
        detail=f"{runtime.store.url} version {version or 'unknown'}, {runtime.store.api} write API",
    )


def check_registry(runtime: Runtime) -> ComponentHealth:
    try:
        with runtime.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return ComponentHealth(ok=True, detail=runtime.engine.dialect.name)
    except Exception as exc:  # any driver error means "down" here
        return ComponentHealth(ok=False, detail=f"{type(exc).__name__}: {exc}"[:300])


def health_caller(
    request: Request,
    runtime: RuntimeDep,
    clock: ClockDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Caller | None:
    """The caller if the registry can tell; a registry that is down must still give a 503
    with a status, not a 500, so an unreadable token counts as no token here."""
    try:
        with runtime.sessions() as session:
            return optional_caller(request, session, clock, credentials)
    except SQLAlchemyError:
        return None


@router.get("/health", response_model=Health, responses={503: {"model": Health}})
def health(
    runtime: RuntimeDep,
    response: Response,
    caller: Annotated[Caller | None, Depends(health_caller)],
) -> Health:
    parts = {
        "broker": check_broker(runtime),
        "influxdb": check_influx(runtime),
        "registry": check_registry(runtime),
    }
    ok = all(p.ok for p in parts.values())
    if not ok:
        response.status_code = 503
    status = "ok" if ok else "degraded"
    if caller is None or caller.scope_kind != "province":
        return Health(status=status)
    ingest = runtime.ingest.snapshot() if runtime.ingest else {}
    return Health(status=status, ingest=ingest, **parts)
