"""``schoolnet-collector run``: ingest from MQTT into InfluxDB and serve the HTTP API."""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from schoolnet_collector.commands.common import add_config_option, settings_or_exit

if TYPE_CHECKING:
    from schoolnet_collector.commands.common import Subcommands
    from schoolnet_collector.runtime import Runtime

log = logging.getLogger("schoolnet.collector")


def register(sub: Subcommands) -> None:
    p = sub.add_parser("run", help="run the collector (ingest + API)")
    add_config_option(p)
    p.add_argument(
        "--schools", type=Path, metavar="FILE", help="import this CSV/YAML school list at start"
    )
    p.add_argument(
        "--no-api", action="store_true", help="ingest only (extra collectors under $share)"
    )
    p.add_argument("--no-ingest", action="store_true", help="API only")
    p.add_argument(
        "--log-format",
        choices=["text", "json"],
        default="text",
        help="json: one JSON object a line (time, level, logger, message, extra fields) for "
        "journald, Loki or Vector; default: text",
    )
    p.add_argument(
        "--instance",
        metavar="ID",
        type=_instance_id,
        help="run as one of several collectors on this host: appended to the MQTT client id "
        "(its persistent session), e.g. systemd's %%i",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    overrides = {"registry": {"schools_file": str(args.schools)}} if args.schools else {}
    settings = settings_or_exit(args, **overrides)
    if args.instance:
        settings.mqtt.client_id = f"{settings.mqtt.client_id}-{args.instance}"[:64]
    stop = _stop_on_signal()
    from schoolnet_collector.alerting.rulefile import RuleFileError
    from schoolnet_collector.ingest.spool import SpoolError
    from schoolnet_collector.registry.schools import SchoolFileError
    from schoolnet_collector.runtime import Runtime

    try:
        runtime = Runtime.open(settings)
    except (SchoolFileError, RuleFileError) as exc:
        log.error("%s", exc)
        return 2
    runtime.connect_store()  # InfluxDB down: the collector starts all the same and spools
    if not args.no_ingest:
        try:
            runtime.start_ingest()
        except SpoolError as exc:  # the data directory is not writable, or the file is damaged
            log.error("%s (check ingest.data_dir)", exc)
            runtime.close()
            return 2
    if settings.notify.enabled:
        runtime.start_notify()
    if runtime.rules is not None:
        runtime.start_alerts()
    try:
        if stop.is_set():
            pass  # stopped while starting: close what was opened, nothing more
        elif settings.api.enabled and not args.no_api:
            _serve_api(runtime)  # uvicorn installs its own handlers for the same signals
        else:
            stop.wait()
    finally:
        runtime.close()
        log.info("collector stopped")
    return 0


def _instance_id(value: str) -> str:
    if not value or len(value) > 20 or not all(c.isalnum() or c in "-_" for c in value):
        raise argparse.ArgumentTypeError(f"{value!r}: use up to 20 letters, digits, '-' or '_'")
    return value


def _serve_api(runtime: Runtime) -> None:
    import uvicorn

    from schoolnet_collector.app import create_app

    cfg = runtime.settings.api
    log.info("API on http://%s:%d (docs at /docs)", cfg.host, cfg.port)
    uvicorn.run(create_app(runtime), host=cfg.host, port=cfg.port, log_level="warning")


def _stop_on_signal() -> threading.Event:
    """Handle SIGTERM/SIGINT from the start, not only once running: systemd (or a test) may stop
    a collector while it is still opening the registry or subscribing, and it must then close
    what it opened and exit 0 rather than die half-way with the signal's default action."""
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    return done
