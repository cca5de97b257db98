"""``python dashboards/push.py``: push schoolnet's folder, data source and dashboards to Grafana.

Exit status: 0 pushed (or printed with ``--dry-run``), 1 Grafana refused or could not be
reached, 2 bad input (argument, token file, provisioning or dashboard file), always with one
message naming what is wrong.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from urllib.parse import urlparse

from schoolnet_dashboards import payloads
from schoolnet_dashboards.dashboard_model import Json
from schoolnet_dashboards.grafana_push import PushPlan

PROG = "push.py"
TOKEN_ENV = "GRAFANA_TOKEN"


def http_url(text: str) -> str:
    parsed = urlparse(text)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise argparse.ArgumentTypeError(
            f"must be an http(s) URL (scheme, host, optional port), got {text!r}"
        )
    return text.rstrip("/")


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be a number of seconds > 0, got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    p.add_argument(
        "--url",
        type=http_url,
        default="http://127.0.0.1:3000",
        help="Grafana's base URL (default: %(default)s)",
    )
    p.add_argument(
        "--token-file",
        type=Path,
        help=f"file holding a service-account token (or set ${TOKEN_ENV})",
    )
    p.add_argument(
        "--influx-url",
        type=http_url,
        help="InfluxDB URL as Grafana's server reaches it (default: the provisioning file's)",
    )
    p.add_argument("--influx-database", help="database name (default: schoolnet)")
    p.add_argument("--influx-user", help="InfluxDB user, if authentication is on")
    p.add_argument("--influx-password-file", type=Path, help="file holding that user's password")
    p.add_argument(
        "--dashboard",
        type=Path,
        action="append",
        dest="dashboards",
        help="dashboard JSON to push (repeatable; default: every dashboards/*.json)",
    )
    p.add_argument("--timeout", type=positive_float, default=10.0, help="seconds per request")
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="print the API requests' bodies as JSON and contact nothing",
    )
    return p


def _read_secret(path: Path | None, option: str) -> str | None:
    if path is None:
        return None
    try:
        secret = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ValueError(f"{option} {path}: {exc.strerror or exc}") from None
    if not secret:
        raise ValueError(f"{option} {path}: the file is empty")
    return secret


def build_plan(args: argparse.Namespace) -> PushPlan:
    """Everything to send, from the files and the arguments; ValueError names a bad one."""
    password = _read_secret(args.influx_password_file, "--influx-password-file")
    if password and not args.influx_user:
        raise ValueError("--influx-password-file needs --influx-user")
    title, uid = payloads.folder_spec()
    datasource = payloads.datasource_payload(
        args.influx_url, args.influx_database, args.influx_user, password
    )
    files = args.dashboards or payloads.dashboard_files()
    if not files:
        raise ValueError("no dashboard JSON found")
    plan = PushPlan(title, uid, datasource)
    for path in files:
        try:
            plan.dashboards.append(payloads.dashboard_payload(path, uid, "pushed by push.py"))
        except OSError as exc:
            raise ValueError(f"--dashboard {path}: {exc.strerror or exc}") from None
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}: not valid JSON: {exc}") from None
    return plan


def token(args: argparse.Namespace) -> str | None:
    """From --token-file, else $GRAFANA_TOKEN; None only if the URL carries user:password."""
    secret = _read_secret(args.token_file, "--token-file") or os.environ.get(TOKEN_ENV) or None
    if secret is None and not urlparse(args.url).password:
        raise ValueError(
            f"no credentials: give --token-file, set ${TOKEN_ENV}, or put user:password@ in --url"
        )
    return secret


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        plan = build_plan(args)
        if args.dry_run:
            print(
                json.dumps(
                    {
                        "folder": {"title": plan.folder_title, "uid": plan.folder_uid},
                        "datasource": _redacted(plan.datasource),
                        "dashboards": plan.dashboards,
                    },
                    ensure_ascii=False,
                    indent=2,
                )
            )
            return 0
        secret = token(args)
    except (ValueError, payloads.ProvisioningError) as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    return _push(args, plan, secret)


def _push(args: argparse.Namespace, plan: PushPlan, secret: str | None) -> int:
    from grafana_client.client import GrafanaException

    from schoolnet_dashboards.grafana_push import connect, push

    try:
        for line in push(connect(args.url, secret, args.timeout), plan):
            print(line)
    except GrafanaException as exc:
        print(f"{PROG}: Grafana at {args.url} refused: {exc.message}", file=sys.stderr)
        return 1
    except OSError as exc:  # connection refused, DNS, TLS (niquests errors are OSErrors)
        print(f"{PROG}: cannot reach Grafana at {args.url}: {exc}", file=sys.stderr)
        return 1
    return 0


def _redacted(datasource: Json) -> Json:
    shown = dict(datasource)
    if "secureJsonData" in shown:
        shown["secureJsonData"] = dict.fromkeys(shown["secureJsonData"], "***")
    return shown
