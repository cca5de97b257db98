"""``/act/<token>``: the page an e-mail's "I'm on it" / "Fixed" link opens (``notify.actions``).

No sign-in: the signed link is the credential, and it names one incident, one contact and one
action. ``GET`` only shows what the link would do, with a button: mail scanners and link
previews fetch every link in a message, and must not acknowledge anything. The button posts
the page's form (Origin and CSRF token checked as on the login form), and the link acts once:
its id is stored in the same transaction as the transition. Answers: 200 done, 404 a link that
is not ours (changed, or signed with another key), 410 expired or already used, 409 the
incident is no longer in a state to act on (someone acknowledged it, or it came back).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from schoolnet_collector.alerting.incidents import IncidentStateError, act
from schoolnet_collector.api.auth import ClockDep
from schoolnet_collector.api.deps import RuntimeDep, SessionDep
from schoolnet_collector.notify import actions
from schoolnet_collector.notify.actions import LinkClaim, LinkError
from schoolnet_collector.registry.alerting_models import Contact, Incident, UsedActionLink
from schoolnet_collector.registry.models import School
from schoolnet_collector.web import csrf
from schoolnet_collector.web.routes import language, render, small_form

if TYPE_CHECKING:
    from schoolnet_collector.runtime import Runtime

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)
STATUS = {"invalid": 404, "expired": 410, "used": 410, "state": 409, "off": 404}


def _claim(
    session: Session, runtime: Runtime, token: str, now: datetime
) -> tuple[LinkClaim, Incident, Contact]:
    secret = runtime.settings.notify.actions.secret
    if secret is None:
        raise LinkError("off")
    claim = actions.verify(secret.get_secret_value(), token, now)
    incident = session.get(Incident, claim.incident_id)
    contact = session.get(Contact, claim.contact_id)
    if incident is None or contact is None or not contact.active:
        raise LinkError("invalid")
    if session.get(UsedActionLink, claim.jti) is not None:
        raise LinkError("used")
    return claim, incident, contact


def _refused(request: Request, reason: str) -> HTMLResponse:
    return render(request, "act.html", STATUS[reason], refused=reason)


def _page(
    request: Request, session: Session, claim: LinkClaim, incident: Incident, **more: object
) -> HTMLResponse:
    lang = language(request)
    school = session.get(School, incident.school_id)
    return render(
        request,
        "act.html",
        200,
        None,
        action=claim.action,
        label=actions.LABELS[claim.action].translate(lang),
        summary=incident.summary_text(lang),
        school=school.name if school else incident.school_id,
        **more,
    )


@router.get("/act/{token}", response_class=HTMLResponse)
def confirm_page(
    token: str, request: Request, session: SessionDep, runtime: RuntimeDep, clock: ClockDep
) -> Response:
    try:
        claim, incident, _ = _claim(session, runtime, token, clock())
    except LinkError as exc:
        return _refused(request, exc.reason)
    return _page(request, session, claim, incident, token=token)


@router.post("/act/{token}", response_class=HTMLResponse)
async def act_page(
    token: str, request: Request, session: SessionDep, runtime: RuntimeDep, clock: ClockDep
) -> Response:
    refused = csrf.refusal(request, await small_form(request))
    if refused:
        log.warning("action link form refused: %s", refused)
        return render(request, "error.html", 403, message_key="forged")
    now = clock()
    try:
        claim, incident, contact = _claim(session, runtime, token, now)
    except LinkError as exc:
        return _refused(request, exc.reason)
    session.add(
        UsedActionLink(
            jti=claim.jti,
            incident_id=claim.incident_id,
            contact_id=claim.contact_id,
            action=claim.action,
            used_at=now,
        )
    )
    try:
        session.flush()  # a second post of the same link stops here
        incident = act(
            session,
            claim.incident_id,
            claim.action,
            actor=actions.actor(contact, "email"),
            note=None,
            now=now,
        )
    except IntegrityError:
        session.rollback()
        return _refused(request, "used")
    except IncidentStateError:
        session.rollback()
        return _refused(request, "state")
    log.info(
        "incident %s: %s from an e-mail link by contact %s", incident.id, claim.action, contact.id
    )
    return _page(request, session, claim, incident, done=True)
