"""``/metrics``: the collector's own numbers for the Sở's Prometheus (api/metrics.py).

No API token: Prometheus scrapes with one shared credential, not a person's, and the page
holds counts only. It is still no page for the internet, so a network team's two usual
guards apply (``[api.metrics]``): the scrape must come from an allowed network (loopback and
RFC 1918 by default) and, once a scrape token is set, bear it. A collector behind a reverse
proxy sees every caller as the proxy: set the token there, or do not proxy ``/metrics``.
"""

from __future__ import annotations

import hmac
from ipaddress import ip_address

from fastapi import APIRouter, HTTPException, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from schoolnet_collector.api.deps import RuntimeDep
from schoolnet_collector.api.metrics import metrics_registry

router = APIRouter(tags=["health"])


def _allowed(request: Request, runtime: RuntimeDep) -> None:
    cfg = runtime.settings.api.metrics
    if not cfg.enabled:
        raise HTTPException(404, "Not Found")
    host = request.client.host if request.client else ""
    try:
        source = ip_address(host)
    except ValueError:
        source = None
    if source is None or not any(source in net for net in cfg.allow_from):
        raise HTTPException(403, f"scrapes from {host or 'an unknown address'} are not allowed")
    if cfg.token is not None:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        expected = cfg.token.get_secret_value().encode()
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), expected):
            raise HTTPException(
                401, "a scrape token is required", headers={"WWW-Authenticate": "Bearer"}
            )


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request, runtime: RuntimeDep) -> Response:
    _allowed(request, runtime)
    registry: CollectorRegistry | None = getattr(request.app.state, "metrics", None)
    if registry is None:
        registry = request.app.state.metrics = metrics_registry(runtime)
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
