"""``/api/v1/units`` and ``/api/v1/communes``: the two tiers of local government since 1 July
2025 (``registry.units``) and the communes' schools, within the caller's scope
(``views.units``): a token that does not cover the province sees the units its schools are
in, and a commune's counts only of the schools it may see."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path, Query

from schoolnet_collector.api.auth import AUTH_RESPONSES, NOT_FOUND, CallerDep, ClockDep
from schoolnet_collector.api.deps import RuntimeDep, SessionDep
from schoolnet_collector.api.schemas import BodyCount, CommuneOut, UnitOut
from schoolnet_collector.registry.units import TYPE_LABELS
from schoolnet_collector.views.units import CommuneSummary, commune_summaries, units_in_scope

router = APIRouter(prefix="/api/v1", tags=["units"], responses=AUTH_RESPONSES)

UnitType = Literal[
    "tinh",
    "thanh_pho",
    "xa",
    "phuong",
    "dac_khu",
    "huyen",
    "thi_xa",
    "thanh_pho_thuoc_tinh",
    "tinh_cu",
]  # registry.units.UNIT_TYPES (a test keeps them equal)
Lang = Annotated[Literal["vi", "en"], Query(description="language of names and types")]


@router.get("/units", response_model=list[UnitOut], summary="Units of local government")
def list_units(
    session: SessionDep,
    caller: CallerDep,
    type: Annotated[UnitType | None, Query(description="only units of this type")] = None,
    lang: Lang = "vi",
) -> list[UnitOut]:
    """The registry's units, by code (a token below the province: those of its schools)."""
    return [
        UnitOut(
            code=u.code,
            name=u.name,
            type=u.type,
            type_name=TYPE_LABELS[u.type].translate(lang) if u.type in TYPE_LABELS else u.type,
            parent=u.parent,
            valid_from=u.valid_from,
            valid_to=u.valid_to,
        )
        for u in units_in_scope(
            session, caller.school_ids_filter(), caller.scope_kind == "province", type
        )
    ]


@router.get("/communes", response_model=list[CommuneOut], summary="Communes and their schools")
def list_communes(
    session: SessionDep, runtime: RuntimeDep, caller: CallerDep, clock: ClockDep, lang: Lang = "vi"
) -> list[CommuneOut]:
    """Each commune with schools in the caller's scope: its schools, how many each managing
    body runs, how many have a device online now; the schools with no commune yet are the
    entry ``unassigned`` ("Chưa gán xã"), never left out."""
    return [
        commune_out(c)
        for c in commune_summaries(
            session,
            caller.school_ids_filter(),
            clock(),
            runtime.settings.ingest.offline_after_intervals,
            lang,
        )
    ]


@router.get("/communes/{commune_id}", response_model=CommuneOut, summary="One commune")
def get_commune(
    commune_id: Annotated[str, Path(max_length=63)],
    session: SessionDep,
    runtime: RuntimeDep,
    caller: CallerDep,
    clock: ClockDep,
    lang: Lang = "vi",
) -> CommuneOut:
    """One commune as in the list: 403 for a school token (wider than its scope), 404 for a
    commune the caller does not cover or that has no school in its scope."""
    caller.require_commune(commune_id)
    found = [
        c
        for c in commune_summaries(
            session,
            caller.school_ids_filter(),
            clock(),
            runtime.settings.ingest.offline_after_intervals,
            lang,
        )
        if c.id == commune_id
    ]
    if not found:
        raise HTTPException(404, NOT_FOUND)
    return commune_out(found[0])


def commune_out(c: CommuneSummary) -> CommuneOut:
    return CommuneOut(
        id=c.id,
        name=c.name,
        type=c.type,
        schools=c.schools,
        managing_bodies=[BodyCount.model_validate(b) for b in c.managing_bodies],
        online_now=c.online_now,
        devices=c.devices,
        devices_online=c.devices_online,
    )
