"""Put the schoolnet folder, data source and dashboards into a running Grafana (HTTP API).

Idempotent: run it again after changing a dashboard and the same objects are updated, found
by their fixed uids. Uses ``grafana-client``; each step reports what it did, and a refusal by
Grafana stops the push with Grafana's own message (wrong token, missing permission).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from grafana_client.api import GrafanaApi
from grafana_client.client import GrafanaClientError

from schoolnet_dashboards.dashboard_model import Json


@dataclass
class PushPlan:
    """Everything to send: built by ``payloads`` from the files, sent by ``push``."""

    folder_title: str
    folder_uid: str
    datasource: Json
    dashboards: list[Json] = field(default_factory=list)


def connect(url: str, token: str | None, timeout: float) -> GrafanaApi:
    """A client for ``url``; without a token, ``user:password@`` in the URL is used."""
    api: GrafanaApi = GrafanaApi.from_url(url, credential=token, timeout=timeout)
    return api


def _missing(exc: GrafanaClientError) -> bool:
    return bool(exc.status_code == 404)


def ensure_folder(api: GrafanaApi, title: str, uid: str) -> str:
    try:
        api.folder.get_folder(uid)
        return f"folder {title!r} ({uid}) exists"
    except GrafanaClientError as exc:
        if not _missing(exc):
            raise
    api.folder.create_folder(title, uid=uid)
    return f"folder {title!r} ({uid}) created"


def ensure_datasource(api: GrafanaApi, body: Json) -> str:
    uid = body["uid"]
    try:
        api.datasource.get_datasource_by_uid(uid)
    except GrafanaClientError as exc:
        if not _missing(exc):
            raise
        api.datasource.create_datasource(body)
        return f"data source {body['name']!r} ({uid}) created, {body['url']}"
    api.datasource.update_datasource_by_uid(uid, body)
    return f"data source {body['name']!r} ({uid}) updated, {body['url']}"


def push_dashboard(api: GrafanaApi, payload: Json) -> str:
    result = api.dashboard.update_dashboard(payload) or {}
    dash = payload["dashboard"]
    return f"dashboard {dash['title']!r} ({dash['uid']}) saved: {result.get('url', '?')}"


def push(api: GrafanaApi, plan: PushPlan) -> list[str]:
    """Folder first (the dashboards go in it), then the data source they query, then them."""
    done = [
        ensure_folder(api, plan.folder_title, plan.folder_uid),
        ensure_datasource(api, plan.datasource),
    ]
    done.extend(push_dashboard(api, payload) for payload in plan.dashboards)
    return done
