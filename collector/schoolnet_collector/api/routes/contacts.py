"""Contacts: list, create, read, update, delete, within the caller's scope.

A school token manages its school's IT teachers; a commune token also its commune office's
staff; the province token everything, including the Sở's staff and the contacts kept with the
``district`` role from before 1 July 2025 (never paged). Changing needs ``operator``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal, cast

from fastapi import APIRouter, HTTPException, Path, Query, Response
from pydantic import BaseModel, ValidationError, create_model
from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from schoolnet_collector.alerting.contacts import (
    ContactIn,
    address_fields,
    apply,
    check_places,
    describe,
)
from schoolnet_collector.api.auth import AUTH_RESPONSES, NOT_FOUND, Caller, CallerDep
from schoolnet_collector.api.deps import RuntimeDep, SessionDep
from schoolnet_collector.channels import REGISTRY
from schoolnet_collector.channels.webhook import UNIT as WEBHOOK
from schoolnet_collector.registry.alerting_models import Contact
from schoolnet_collector.registry.models import School

if TYPE_CHECKING:
    from schoolnet_collector.runtime import Runtime

router = APIRouter(prefix="/api/v1/contacts", tags=["contacts"], responses=AUTH_RESPONSES)
ContactId = Annotated[int, Path(ge=1, le=2**62)]


class ContactOut(ContactIn):
    id: int


def contact_out(c: Contact) -> ContactOut:
    # model_construct: the row was checked by ContactIn when it was stored. Each channel's
    # field shows the contact's first address on it (the API and the file have one a channel).
    fields: dict[str, Any] = {
        unit.contact_field: next(iter(c.address_list(unit.name)), None)
        for unit in REGISTRY.contact_units()
        if unit.contact_field
    }
    out: dict[str, Any] = {
        "id": c.id,
        "name": c.name,
        "role": c.role,
        "school_id": c.school_id,
        "commune": c.commune,
        "language": c.language,
        "active": c.active,
        **fields,
    }
    return cast(ContactOut, ContactOut.model_construct(None, **out))  # the plugin says Base


def _visible(caller: Caller) -> ColumnElement[bool] | None:
    """Contacts the caller sees: of its schools, of its commune, and (province) everyone."""
    if caller.scope_kind == "province":
        return None
    schools = select(School.id).where(caller.school_ids_filter())
    if caller.scope_kind == "commune":
        return or_(
            Contact.school_id.in_(schools),
            and_(Contact.role == "commune", Contact.commune == caller.scope_id),
        )
    return Contact.school_id == caller.scope_id


def _in_scope(session: Session, caller: Caller, contact_id: int) -> Contact:
    contact = session.get(Contact, contact_id)
    if contact is None or not caller.covers_scope(_scope_of(contact), session):
        raise HTTPException(404, NOT_FOUND)
    return contact


def _scope_of(contact: Contact) -> str:
    if contact.role == "school_it" and contact.school_id:
        return f"school:{contact.school_id}"
    if contact.role == "commune" and contact.commune:
        return f"commune:{contact.commune}"
    return "province"


def _checked(session: Session, caller: Caller, body: ContactIn, runtime: Runtime) -> ContactIn:
    caller.require_role("operator")
    if not caller.covers_scope(body.scope(), session):
        raise HTTPException(403, f"this token cannot manage contacts for {body.scope()}")
    allow = runtime.settings.notify.settings_of(WEBHOOK).allow_networks
    problem = check_places(session, body, allow)
    if problem:
        # a refused address is a bad value (422); a school or commune not there is a 404
        raise HTTPException(422 if problem.startswith("webhook_url:") else 404, problem)
    return body


@router.get("", response_model=list[ContactOut])
def list_contacts(
    session: SessionDep,
    caller: CallerDep,
    school: Annotated[str | None, Query(max_length=63)] = None,
    commune: Annotated[str | None, Query(max_length=63)] = None,
    role: Annotated[Literal["school_it", "commune", "province"] | None, Query()] = None,
) -> list[ContactOut]:
    query = select(Contact).order_by(Contact.id)
    visible = _visible(caller)
    if visible is not None:
        query = query.where(visible)
    if school:
        query = query.where(Contact.school_id == school)
    if commune:
        query = query.where(
            or_(
                Contact.commune == commune,
                Contact.school_id.in_(select(School.id).where(School.commune == commune)),
            )
        )
    if role:
        query = query.where(Contact.role == role)
    return [contact_out(c) for c in session.scalars(query)]


@router.post("", response_model=ContactOut, status_code=201)
def create_contact(
    body: ContactIn, session: SessionDep, caller: CallerDep, runtime: RuntimeDep
) -> ContactOut:
    contact = apply(Contact(), _checked(session, caller, body, runtime))
    session.add(contact)
    session.commit()
    return contact_out(contact)


@router.get("/{contact_id}", response_model=ContactOut)
def get_contact(contact_id: ContactId, session: SessionDep, caller: CallerDep) -> ContactOut:
    return contact_out(_in_scope(session, caller, contact_id))


class ContactPatchBase(BaseModel):
    """Only the fields given change; the result is checked as a whole."""

    name: str | None = None
    role: Literal["school_it", "commune", "province"] | None = None
    school_id: str | None = None
    commune: str | None = None
    language: Literal["vi", "en"] | None = None
    active: bool | None = None


if TYPE_CHECKING:
    ContactPatch = ContactPatchBase
else:  # one optional field per channel a contact can have, as in ContactIn
    ContactPatch = create_model(
        "ContactPatch",
        __base__=ContactPatchBase,
        __module__=__name__,
        **dict.fromkeys(address_fields(), (str | None, None)),
    )


@router.patch("/{contact_id}", response_model=ContactOut)
def update_contact(
    contact_id: ContactId,
    body: ContactPatch,
    session: SessionDep,
    caller: CallerDep,
    runtime: RuntimeDep,
) -> ContactOut:
    contact = _in_scope(session, caller, contact_id)
    merged = contact_out(contact).model_dump(exclude={"id"}) | body.model_dump(exclude_unset=True)
    try:
        data = ContactIn.model_validate(merged)
    except ValidationError as exc:
        raise HTTPException(422, describe(exc)) from None
    apply(contact, _checked(session, caller, data, runtime))
    session.commit()
    return contact_out(contact)


@router.delete("/{contact_id}", status_code=204)
def delete_contact(contact_id: ContactId, session: SessionDep, caller: CallerDep) -> Response:
    contact = _in_scope(session, caller, contact_id)
    caller.require_role("operator")
    session.delete(contact)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise HTTPException(
            409, "notifications refer to this contact: set active to false instead"
        ) from None
    return Response(status_code=204)
