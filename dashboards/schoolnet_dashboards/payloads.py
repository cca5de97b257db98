"""Grafana HTTP API payloads built from the same files that file provisioning reads.

One source of truth: the data source and folder come from ``provisioning/*/schoolnet.yaml``,
the dashboards from the JSON files, so a pushed Grafana and a provisioned one are alike.
Only what differs between sites is given on the command line (InfluxDB URL, password).
"""

from __future__ import annotations

import copy
from pathlib import Path

import yaml

from schoolnet_dashboards.dashboard_model import DASHBOARD_DIR, Json, load

DATASOURCE_FILE = DASHBOARD_DIR / "provisioning" / "datasources" / "schoolnet.yaml"
PROVIDER_FILE = DASHBOARD_DIR / "provisioning" / "dashboards" / "schoolnet.yaml"
# Keys of a provisioning entry that the /api/datasources body accepts as they are.
API_KEYS = (
    "name",
    "type",
    "uid",
    "access",
    "url",
    "database",
    "user",
    "basicAuth",
    "basicAuthUser",
    "isDefault",
    "jsonData",
    "secureJsonData",
)


class ProvisioningError(ValueError):
    """A provisioning file is missing or does not have the expected shape."""


def _read_yaml(path: Path, key: str) -> Json:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ProvisioningError(f"{path}: cannot read: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ProvisioningError(f"{path}: not valid YAML: {exc}") from None
    entries = data.get(key) if isinstance(data, dict) else None
    if not entries or not isinstance(entries[0], dict):
        raise ProvisioningError(f"{path}: expected a non-empty '{key}' list")
    return entries[0]


def datasource_payload(
    url: str | None = None,
    database: str | None = None,
    user: str | None = None,
    password: str | None = None,
    path: Path = DATASOURCE_FILE,
) -> Json:
    """Body for POST /api/datasources (and PUT /api/datasources/uid/<uid>)."""
    entry = _read_yaml(path, "datasources")
    body = {k: copy.deepcopy(entry[k]) for k in API_KEYS if k in entry}
    body.setdefault("access", "proxy")
    json_data = body.setdefault("jsonData", {})
    if url:
        body["url"] = url
    if database:
        body["database"] = json_data["dbName"] = database
    if user:
        body["user"] = user
    if password:
        body.setdefault("secureJsonData", {})["password"] = password
    return body


def folder_spec(path: Path = PROVIDER_FILE) -> tuple[str, str]:
    """(title, uid) of the folder the dashboards go to."""
    entry = _read_yaml(path, "providers")
    title = entry.get("folder")
    if not title:
        raise ProvisioningError(f"{path}: the provider names no folder")
    return title, entry.get("folderUid") or title.lower()


def dashboard_files(directory: Path = DASHBOARD_DIR) -> list[Path]:
    return sorted(Path(directory).glob("*.json"))


def dashboard_payload(path: Path, folder_uid: str, message: str) -> Json:
    """Body for POST /api/dashboards/db: create or replace the dashboard with the same uid."""
    dashboard = load(path)
    if not dashboard.get("uid"):
        raise ProvisioningError(f"{path}: a dashboard needs a fixed uid to be updated in place")
    dashboard["id"] = None  # Grafana finds the existing one by uid
    return {"dashboard": dashboard, "folderUid": folder_uid, "overwrite": True, "message": message}
