"""The pages: province overview by commune, commune, school, planning reports, login/logout.

Each page reads through the same functions as the API routes (``views``), so what a person
sees is what a script gets. Pages are left out of
the OpenAPI schema: they are for browsers, the API is for programs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import parse_qs, quote, urlencode

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import iter_route_contexts
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm import Session

from schoolnet_collector.api.auth import SESSION_COOKIE, Caller, ClockDep, optional_caller
from schoolnet_collector.api.deps import RuntimeDep, SessionDep
from schoolnet_collector.api.report_limits import too_large
from schoolnet_collector.core.access import LEGACY_SCOPE_KINDS, LEGACY_SCOPE_MESSAGE
from schoolnet_collector.planning.files import PlanningFileError
from schoolnet_collector.planning.grouping import AXES, UNASSIGNED, parse_group_by
from schoolnet_collector.planning.labels import GROUP_KINDS, word
from schoolnet_collector.planning.period import ReportArgumentError, parse_period
from schoolnet_collector.planning.plans import PlanAreaError, load_plans
from schoolnet_collector.planning.reports.base import Inputs
from schoolnet_collector.registry.tokens import close_web_session, find_token, open_web_session
from schoolnet_collector.storage.influx import StorageError
from schoolnet_collector.views.incidents import IncidentOut, incident_page
from schoolnet_collector.views.overview import uplink_history
from schoolnet_collector.views.schools import devices_of, schools_page
from schoolnet_collector.views.units import commune_summaries
from schoolnet_collector.web import csrf, i18n

if TYPE_CHECKING:
    from schoolnet_collector.planning.reports.base import Report
    from schoolnet_collector.planning.tables import Table
    from schoolnet_collector.runtime import Runtime

HERE = Path(__file__).resolve().parent
log = logging.getLogger(__name__)
SESSION_HOURS = 12
"""A working day: long enough not to interrupt, short enough that a forgotten browser on a
shared school PC does not stay signed in overnight."""

router = APIRouter(include_in_schema=False)


def mount(app: FastAPI) -> None:
    """Add the pages and their static files (CSS) to the application."""
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")


def language(request: Request) -> str:
    lang = request.query_params.get("lang") or request.cookies.get(i18n.LANG_COOKIE)
    return lang if lang in i18n.LANGUAGES else i18n.DEFAULT_LANGUAGE


def page_caller(
    request: Request, caller: Annotated[Caller | None, Depends(optional_caller)]
) -> Caller:
    """The signed-in caller; a browser without a valid session is sent to the login form."""
    if caller is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise HTTPException(
            303, "sign in first", headers={"Location": f"/login?next={quote(target)}"}
        )
    if caller.scope_kind in LEGACY_SCOPE_KINDS:
        raise HTTPException(403, LEGACY_SCOPE_MESSAGE)
    return caller


PageCaller = Annotated[Caller, Depends(page_caller)]


def render(
    request: Request,
    name: str,
    status: int = 200,
    caller: Caller | None = None,
    **context: object,
) -> HTMLResponse:
    lang = language(request)
    other = "en" if lang == "vi" else "vi"
    # The switch keeps the login form's next page; pages take no other parameters.
    kept = {k: v for k, v in request.query_params.items() if k == "next"}
    switch = request.url.path + "?" + urlencode({**kept, "lang": other})
    token, new_token = csrf.browser_token(request)  # for the page's forms (sign in, sign out)
    response = i18n.templates(lang).TemplateResponse(
        request,
        name,
        {
            **i18n.page_words(lang),
            "lang": lang,
            "other_lang_name": i18n.LANGUAGE_NAMES[other],
            "caller": caller,
            "other_lang": other,
            "switch_url": switch,
            "csrf_field": csrf.CSRF_FIELD,
            "csrf_token": token,
            **context,
        },
        status_code=status,
    )
    if new_token:
        csrf.remember(request, response, token)
    if request.query_params.get("lang") in i18n.LANGUAGES:
        response.set_cookie(i18n.LANG_COOKIE, lang, max_age=365 * 86400, samesite="strict")
    return response


def guarded(request: Request, caller: Caller, check: Callable[[], object]) -> HTMLResponse | None:
    """Run a scope check; a refusal becomes an error page with the same status as the API's."""
    try:
        check()
    except HTTPException as exc:
        key = "not_found" if exc.status_code == 404 else "forbidden"
        return render(request, "error.html", exc.status_code, caller, message_key=key)
    return None


@router.get("/", response_class=HTMLResponse)
def province_page(
    request: Request, caller: PageCaller, session: SessionDep, runtime: RuntimeDep, clock: ClockDep
) -> Response:
    """The province table by commune; a commune or school token lands on its own page."""
    if caller.scope_kind in ("commune", "school"):
        assert caller.scope_id is not None  # a commune or school token names its unit
        return RedirectResponse(f"/{caller.scope_kind}s/{quote(caller.scope_id)}", 303)
    communes = commune_summaries(
        session,
        caller.school_ids_filter(),
        clock(),
        runtime.settings.ingest.offline_after_intervals,
        language(request),
    )
    totals = {
        k: sum(getattr(c, k) for c in communes)
        for k in ("schools", "online_now", "devices", "devices_online")
    }
    return render(request, "province.html", caller=caller, communes=communes, totals=totals)


@router.get("/communes/{commune_id}", response_class=HTMLResponse)
def commune_page(
    commune_id: str,
    request: Request,
    caller: PageCaller,
    session: SessionDep,
    runtime: RuntimeDep,
    clock: ClockDep,
) -> Response:
    """A commune's schools in the caller's scope (for the province: the Sở's schools standing
    in the commune too, marked by who runs them)."""
    refused = guarded(request, caller, lambda: caller.require_commune(commune_id))
    if refused:
        return refused
    offline_after = runtime.settings.ingest.offline_after_intervals
    found = [
        c
        for c in commune_summaries(
            session, caller.school_ids_filter(), clock(), offline_after, language(request)
        )
        if c.id == commune_id
    ]
    if not found:
        return render(request, "error.html", 404, caller, message_key="not_found")
    schools = schools_page(
        session,
        caller.school_ids_filter(),
        clock(),
        offline_after,
        commune=None if commune_id == UNASSIGNED else commune_id,
        limit=1000,
    )
    items = [s for s in schools.items if (s.commune or UNASSIGNED) == commune_id]
    return render(request, "commune.html", caller=caller, commune=found[0], schools=items)


@router.get("/schools/{school_id}", response_class=HTMLResponse)
def school_page(
    school_id: str,
    request: Request,
    caller: PageCaller,
    session: SessionDep,
    runtime: RuntimeDep,
    clock: ClockDep,
) -> Response:
    refused = guarded(request, caller, lambda: caller.require_school_id(session, school_id))
    if refused:
        return refused
    school = caller.require_school_id(session, school_id)
    try:
        uplink = uplink_history(runtime.store, school_id, 24)
        uplink_error = None
    except StorageError as exc:  # InfluxDB down: the rest of the page is still useful
        uplink, uplink_error = [], str(exc)
    return render(
        request,
        "school.html",
        caller=caller,
        school=school,
        devices=devices_of(
            session, school_id, clock(), runtime.settings.ingest.offline_after_intervals
        ),
        uplink=uplink,
        uplink_error=uplink_error,
        incidents=open_incidents(session, caller, school_id, language(request)),
    )


def open_incidents(
    session: Session, caller: Caller, school_id: str, lang: str
) -> list[IncidentOut]:
    """Incidents not yet resolved, newest first, summaries in the page's language: the
    incidents API's own answer."""
    page = incident_page(
        session,
        caller.school_ids_filter(),
        school=school_id,
        state="active",
        limit=1000,
        lang=lang,
    )
    return page.items


REPORTS_API = "/api/v1/reports"
"""The planning API (``/api/v1/reports/<name>``); it serves each report as JSON, CSV and XLSX
for the caller's scope."""


@dataclass
class PlanReport:
    """A report as the /plan page lists it: its words in the reader's language, its downloads."""

    name: str
    title: str
    description: str
    xlsx: str
    csv: str


PLAN_PERIOD = "30d"  # the API's default period: the page shows what the downloads contain


@dataclass
class PlanChoice:
    """The grouping and plan a reader picked on /plan (the API's ``group_by=`` and ``plan=``):
    checked as the API checks them, so a hand-made URL gets the same 422 as a script."""

    group_by: tuple[str, ...] | None = None
    plan: str | None = None

    def query(self) -> str:
        """The choice as the downloads' extra query parameters ("" when nothing is picked)."""
        params = {"group_by": ",".join(self.group_by or ()), "plan": self.plan or ""}
        kept = {k: v for k, v in params.items() if v}
        return "&" + urlencode(kept) if kept else ""


def plan_choice(request: Request) -> PlanChoice:
    """``group_by`` (one select per axis, or the API's comma form) and ``plan`` from the URL;
    ReportArgumentError for an axis that is not one of ``grouping.AXES``."""
    asked = [v for v in request.query_params.getlist("group_by") if v]
    plan = request.query_params.get("plan") or None
    if plan is not None and len(plan) > 63:
        raise ReportArgumentError("plan: at most 63 characters")
    return PlanChoice(parse_group_by(asked) if asked else None, plan)


@router.get("/plan", response_class=HTMLResponse)
def plan_page(
    request: Request, caller: PageCaller, session: SessionDep, runtime: RuntimeDep, clock: ClockDep
) -> Response:
    """Every registered report with its downloads for the caller's scope, and the summary of
    the one shown on the page (the procurement plan: the first sheet of its XLSX), grouped and
    measured as the reader picks (the same groupings and plans as the CLI and the API)."""
    from schoolnet_collector.planning.reports import REPORTS

    ready = f"{REPORTS_API}/{{report}}" in {
        ctx.path_format for ctx in iter_route_contexts(request.app.routes)
    }
    lang, scope = language(request), quote(str(caller.scope))
    try:
        choice = plan_choice(request)
    except ReportArgumentError as exc:
        return render(
            request, "error.html", 422, caller, message_key="bad_request", detail=str(exc)
        )
    try:
        plans = load_plans(runtime.settings.planning.plans)
    except PlanningFileError:
        plans = []  # the summary below says what is wrong with the configuration
    listed = [
        PlanReport(
            r.name,
            r.title.translate(lang),
            r.description.translate(lang),
            f"{REPORTS_API}/{r.name}?format=xlsx&scope={scope}{choice.query()}",
            f"{REPORTS_API}/{r.name}?format=csv&scope={scope}{choice.query()}",
        )
        for r in REPORTS
    ]
    shown = next((r for r in REPORTS if r.summary_on_page), None)
    summary, plan_error = None, None
    refused = too_large(
        session,
        caller.role,
        caller.scope,
        parse_period(PLAN_PERIOD, clock()),
        runtime.settings.api,
    )
    if refused:  # the API's own limit, as a page: what it says and what to ask instead
        return render(request, "error.html", 400, caller, message_key="too_large")
    if ready and shown is not None:
        try:
            summary = report_summary(shown, runtime, session, caller, clock(), lang, choice)
        except StorageError as exc:  # InfluxDB down: the downloads will say so too
            plan_error = str(exc)
        except (PlanningFileError, PlanAreaError) as exc:  # the API's 503, said on the page
            plan_error = f"planning configuration: {exc}"
        except ReportArgumentError as exc:  # an unknown plan, or one outside the scope: 422
            return render(
                request, "error.html", 422, caller, message_key="bad_request", detail=str(exc)
            )
    featured = next((p for p in listed if shown is not None and p.name == shown.name), None)
    return render(
        request,
        "plan.html",
        caller=caller,
        ready=ready,
        featured=featured,
        reports=listed,
        summary=summary,
        plan_error=plan_error,
        axes=[(axis, word(GROUP_KINDS, axis, lang)) for axis in AXES],
        chosen_axes=choice.group_by or (),
        plans=[(p.id, p.name) for p in plans],
        chosen_plan=choice.plan,
    )


def report_summary(
    unit: Report[Any],
    runtime: Runtime,
    session: Session,
    caller: Caller,
    now: datetime,
    lang: str,
    choice: PlanChoice,
) -> Table:
    """The report's own summary table, computed as the API computes it (default period, the
    plans of ``[planning] plans``, the grouping and plan picked), so the page shows what the
    downloads hold."""
    plans = load_plans(runtime.settings.planning.plans)
    report = unit.compute(
        runtime.store,
        session,
        caller.scope,
        parse_period(PLAN_PERIOD, now),
        inputs=Inputs(plans=plans),
        plan=choice.plan,
        group_by=choice.group_by,
    )
    return unit.tables(report, lang)[0]


# --- login / logout ------------------------------------------------------------------------
def safe_next(target: str | None) -> str:
    """Only a path on this site (no //host, no scheme): the login form is not an open redirect."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


async def small_form(request: Request) -> dict[str, list[str]]:
    """The posted form's fields; a body over 4 KiB (no form of ours is) reads as empty."""
    body = await request.body()
    return parse_qs(body.decode("utf-8", "replace")) if len(body) <= 4096 else {}


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/") -> Response:
    return render(request, "login.html", next=safe_next(next))


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request, session: SessionDep, clock: ClockDep) -> Response:
    """Token in a form post → an HttpOnly, SameSite=Strict session cookie (never the token)."""
    form = await small_form(request)
    target = safe_next((form.get("next") or ["/"])[0])
    refused = csrf.refusal(request, form)
    if refused:
        log.warning("login form refused: %s", refused)
        return render(request, "login.html", 403, next=target, forged=True)
    now = clock()
    token = find_token(session, (form.get("token") or [""])[0].strip(), now)
    if token is None:
        return render(request, "login.html", 401, next=target, failed=True)
    if token.scope_kind in LEGACY_SCOPE_KINDS:  # never widened to a guess: see api.auth
        return render(request, "login.html", 403, next=target, legacy_scope=True)
    value = open_web_session(session, token, now, now + timedelta(hours=SESSION_HOURS))
    response = RedirectResponse(target, 303)
    response.set_cookie(
        SESSION_COOKIE,
        value,
        max_age=SESSION_HOURS * 3600,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


@router.post("/logout")
async def logout(request: Request, session: SessionDep) -> Response:
    refused = csrf.refusal(request, await small_form(request))
    if refused:
        log.warning("logout form refused: %s", refused)
        return render(request, "error.html", 403, message_key="forged")
    if request.cookies.get(SESSION_COOKIE):
        close_web_session(session, request.cookies[SESSION_COOKIE])
    response = RedirectResponse("/login", 303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
