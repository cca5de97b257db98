"""Who is calling, and what they may see.

Every API route except ``/health`` depends on ``current_caller``: a token in
``Authorization: Bearer <token>`` (scripts, Grafana, other services) or the browser's session
cookie (web pages; see ``schoolnet_collector.web``). The token's scope decides what exists for
the caller:

- ``province``: everything;
- ``commune:<code>``: the schools that commune runs (``registry.units.scope_filter``: standing
  in it and commune-run), and their devices/incidents;
- ``school:<id>``: that school only.

A token stored with a scope from before the 2025 reform (``district:<id>``) is refused with
**403** and a message that says to issue a commune scope: a district became several communes,
and widening it to the province (or guessing one commune) would show someone schools nobody
gave them.

Routes use the helpers so every part answers the same way:

- an object (school, device, incident) outside the scope → **404**, the same answer as for an
  object that does not exist, so a school token cannot probe which ids exist elsewhere;
- a request for a *wider* scope than the caller's (a school token asking for its commune's
  summary, a commune token asking for the province) → **403**;
- list routes filter with ``caller.school_ids_filter()`` instead of failing.

Roles (``viewer`` < ``operator`` < ``admin``) say what a caller may *do* within its scope:
``caller.require_role("operator")`` before changing anything.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session

from schoolnet_collector.api.deps import SessionDep
from schoolnet_collector.api.schemas import InvalidRequest, Problem
from schoolnet_collector.core.access import (
    LEGACY_SCOPE_KINDS,
    LEGACY_SCOPE_MESSAGE,
    ROLES,
    Scope,
    TokenError,
)
from schoolnet_collector.registry.models import School
from schoolnet_collector.registry.tokens import ApiToken, find_token, find_web_session
from schoolnet_collector.registry.units import in_scope, scope_filter

SESSION_COOKIE = "schoolnet_session"
NOT_FOUND = "not found"
"""The one message for both 'does not exist' and 'not yours', so neither can be told apart."""

bearer = HTTPBearer(
    auto_error=False, description="An API token: `schoolnet-collector token create`"
)


def system_clock() -> datetime:
    return datetime.now(timezone.utc)


def get_clock() -> Callable[[], datetime]:
    """The clock token expiry (and "online") is judged by; tests override this dependency."""
    return system_clock


ClockDep = Annotated[Callable[[], datetime], Depends(get_clock)]


@dataclass(frozen=True)
class Caller:
    role: str
    scope_kind: str  # province | commune | school
    scope_id: str | None
    token_name: str
    token_id: int | None = None

    @property
    def scope(self) -> Scope:
        return Scope(self.scope_kind, self.scope_id)

    # --- what the caller may do ------------------------------------------------------------
    def has_role(self, role: str) -> bool:
        return ROLES.index(self.role) >= ROLES.index(role)

    def require_role(self, role: str) -> None:
        if not self.has_role(role):
            raise HTTPException(403, f"this needs the {role} role; the token has {self.role}")

    # --- what the caller may see -----------------------------------------------------------
    def sees_school(self, school: School) -> bool:
        return in_scope(self.scope, school)

    def require_school(self, school: School | None) -> School:
        """The school, if it exists and is in scope; 404 otherwise (the same answer either way)."""
        if school is None or not self.sees_school(school):
            raise HTTPException(404, NOT_FOUND)
        return school

    def require_school_id(self, session: Session, school_id: str) -> School:
        """``require_school`` for routes that have only the id."""
        return self.require_school(session.get(School, school_id))

    def require_commune(self, commune: str) -> None:
        """A commune-wide view: 403 for a school token (wider than its scope), 404 for a
        commune token asking about another commune."""
        if self.scope_kind == "province":
            return
        if self.scope_kind == "school":
            raise HTTPException(403, "a school token cannot see commune-wide data")
        if commune != self.scope_id:
            raise HTTPException(404, NOT_FOUND)

    def require_province(self) -> None:
        """Province-wide data (the procurement plan, dead letters): province tokens only."""
        if self.scope_kind != "province":
            raise HTTPException(
                403, f"this needs a province token; the token's scope is {self.scope}"
            )

    def school_ids_filter(self) -> ColumnElement[bool]:
        """A where-clause on ``School`` for list routes: only the schools in scope."""
        return scope_filter(self.scope)

    def resolve_scope(self, requested: str | None, session: Session | None = None) -> Scope:
        """The scope a report route should use: the caller's own when none is asked for
        (a school token calling ``/api/v1/readiness`` gets its school's); 422 for a malformed
        one, 403 for one the caller does not cover."""
        if not requested:
            return self.scope
        try:
            scope = Scope.parse(requested)
        except TokenError as exc:
            raise HTTPException(422, str(exc)) from None
        if not self.covers_scope(scope, session):
            raise HTTPException(403, f"scope {scope} is outside the token's scope {self.scope}")
        return scope

    def covers_scope(self, scope: Scope | str, session: Session | None = None) -> bool:
        """Whether everything in ``scope`` is within the caller's (e.g. before a commune token
        creates a contact for a school). A commune caller needs ``session`` to check that it
        runs a school; without it the answer is False (never guess wider)."""
        if isinstance(scope, str):
            try:
                scope = Scope.parse(scope)
            except TokenError:
                return False
        if self.scope_kind == "province":
            return True
        if self.scope_kind == "commune":
            if scope.kind == "commune":
                return scope.id == self.scope_id
            if scope.kind == "school" and session is not None:
                school = session.get(School, scope.id)
                return school is not None and self.sees_school(school)
            return False
        return scope.kind == "school" and scope.id == self.scope_id


def caller_of(token: ApiToken) -> Caller:
    return Caller(
        role=token.role,
        scope_kind=token.scope_kind,
        scope_id=token.scope_id,
        token_name=token.name,
        token_id=token.id,
    )


def optional_caller(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Caller | None:
    """The caller from the bearer token, else from the session cookie; None when neither is valid."""
    now = clock()
    if credentials is not None:
        token = find_token(session, credentials.credentials, now)
    else:
        token = find_web_session(session, request.cookies.get(SESSION_COOKIE, ""), now)
    return caller_of(token) if token is not None else None


def current_caller(caller: Annotated[Caller | None, Depends(optional_caller)]) -> Caller:
    if caller is None:
        raise HTTPException(
            401,
            "a valid API token is needed (Authorization: Bearer <token>)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if caller.scope_kind in LEGACY_SCOPE_KINDS:
        raise HTTPException(
            403, f"the token's scope {caller.scope} no longer exists: {LEGACY_SCOPE_MESSAGE}"
        )
    return caller


CallerDep = Annotated[Caller, Depends(current_caller)]

AUTH_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "No token, or an unknown, revoked or expired one"},
    403: {"model": Problem, "description": "The token's role or scope is too narrow for this"},
    404: {"model": Problem, "description": "No such object, or not in the token's scope"},
    422: {"model": InvalidRequest, "description": "A parameter or the body is wrong"},
}
"""Pass as ``APIRouter(responses=AUTH_RESPONSES)`` so the OpenAPI schema documents them.
422 is declared here because routes also raise it themselves with one sentence, which
FastAPI's default (a list of field errors) would not describe."""
