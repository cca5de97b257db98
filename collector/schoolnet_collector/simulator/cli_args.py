"""Arguments of ``simulate`` and their checks: a wrong value stops at once, naming the option.

argparse reports a rejected value as ``argument --scale: must be a number > 0, got 0`` and
exits with status 2, before any school is generated or any connection is made.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from schoolnet_agent.settings.mqtt import MqttSettings


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number > 0, got {text!r}") from None
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"must be a number > 0, got {text}")
    return value


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number > 0, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a whole number > 0, got {text}")
    return value


def broker_address(text: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:1883`` for IPv6) or ``HOST`` with port 1883."""
    host, sep, port = text.rpartition(":")
    if not sep or "]" in port:
        host, port = text, "1883"
    host = host.strip("[]")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise argparse.ArgumentTypeError(f"must be HOST:PORT with a port 1-65535, got {text!r}")
    return host, int(port)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--profile",
        default="lao-cai-2018",
        help="built-in profile name or path to a profile YAML (default: %(default)s)",
    )
    p.add_argument(
        "--scale",
        type=positive_float,
        default=1.0,
        help="schools per level x F (at least 1 each); figures exact only at 1",
    )
    p.add_argument(
        "--interval",
        type=positive_float,
        default=60.0,
        help="seconds between two reports of a device (default: %(default)s)",
    )
    p.add_argument(
        "--broker",
        type=broker_address,
        default=("127.0.0.1", 1883),
        metavar="HOST:PORT",
        help="MQTT broker (default: 127.0.0.1:1883)",
    )
    p.add_argument("--username", help="MQTT login allowed to write schoolnet/v1/#")
    p.add_argument("--password", help="password of --username")
    p.add_argument("--password-file", type=Path, help="read the password from this file")
    p.add_argument("--tls", action="store_true", help="connect with TLS")
    p.add_argument("--ca-file", help="CA certificate for --tls")
    p.add_argument("--duration", type=positive_float, help="stop after this many seconds")
    p.add_argument("--seed", type=int, default=0, help="fleet and values seed (default: 0)")
    p.add_argument(
        "--export-schools", metavar="FILE.csv|FILE.yaml", help="write the registry's school file"
    )
    p.add_argument(
        "--export-devices",
        metavar="FILE.csv",
        help="write the registry's equipment file (purchase years, lab rooms)",
    )
    p.add_argument(
        "--export-units",
        metavar="FILE.csv",
        help="write the registry's units file (province, communes, former districts and "
        "provinces; format 2 profiles); the school file then names each school's commune",
    )
    p.add_argument(
        "--export-plans",
        metavar="DIR",
        help="write the profile's plans as targets files into DIR, with DIR/plans.toml "
        "(the collector's [planning] section)",
    )
    p.add_argument(
        "--no-publish", action="store_true", help="generate (and export) the fleet, publish nothing"
    )
    p.add_argument("--no-incidents", action="store_true", help="no random failovers or outages")
    p.add_argument(
        "--window",
        type=positive_int,
        default=100,
        help="unacknowledged messages per school before reports are spooled",
    )
    p.add_argument(
        "--schools-per-process",
        type=positive_int,
        default=250,
        help="schools a worker process connects (paho's select() caps a process "
        "near 300 connections; default: %(default)s)",
    )
    p.add_argument(
        "--connect-timeout",
        type=positive_float,
        default=30.0,
        help="seconds to wait for the schools' connections (default: %(default)s)",
    )


def mqtt_settings(args: argparse.Namespace) -> MqttSettings:
    """The transport settings; ValueError naming the option for an inconsistent login."""
    if args.password is not None and args.password_file is not None:
        raise ValueError("give --password or --password-file, not both")
    password = args.password
    if args.password_file is not None:
        try:
            password = args.password_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ValueError(
                f"--password-file {args.password_file}: {exc.strerror or exc}"
            ) from None
    if password is not None and not args.username:
        raise ValueError("--password or --password-file needs --username")
    from schoolnet_agent.settings.mqtt import MqttSettings  # with the protocol: not for --help

    host, port = args.broker
    return MqttSettings(
        host=host,
        port=port,
        username=args.username,
        password=password,
        tls=args.tls,
        ca_file=args.ca_file,
    )
