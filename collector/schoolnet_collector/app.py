"""The HTTP application: the API's routers and the web pages, mounted on one shared runtime.

It sits above both: the pages use the API's caller checks, and neither the API nor the pages
need to know about each other to be served together.
"""

from __future__ import annotations

from fastapi import FastAPI

from schoolnet_collector import __version__
from schoolnet_collector.api.routes import (
    calendar,
    contacts,
    dead_letters,
    districts,
    health,
    incidents,
    maintenance,
    metrics,
    procurement,
    readiness,
    reports,
    schools,
    speedtest,
    units,
)
from schoolnet_collector.runtime import Runtime
from schoolnet_collector.web import act as web_act, routes as web


def create_app(runtime: Runtime) -> FastAPI:
    app = FastAPI(
        title="schoolnet collector API",
        version=__version__,
        description="Schools, devices and health of the schoolnet monitoring system.",
    )
    app.state.runtime = runtime
    app.include_router(health.router)
    app.include_router(metrics.router)
    app.include_router(schools.router)
    app.include_router(dead_letters.router)
    app.include_router(districts.router)
    app.include_router(units.router)
    app.include_router(speedtest.router)
    app.include_router(incidents.router)
    app.include_router(contacts.router)
    app.include_router(maintenance.router)
    app.include_router(calendar.router)
    app.include_router(readiness.router)
    app.include_router(procurement.router)
    app.include_router(reports.router)
    web.mount(app)
    app.include_router(web_act.router)
    return app
