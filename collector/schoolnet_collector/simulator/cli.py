"""``schoolnet-collector simulate``: a province's schools as virtual devices on the broker.

``register(subparsers)`` adds the subcommand to the collector's command line; ``run(args)``
does the work and returns the exit code: 0 done, 1 no connection to the broker, 2 bad input
(argument, profile file, password file), each with a message that names what is wrong.
A worker that fails also ends the run with 1.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from schoolnet_collector.simulator.cli_args import add_arguments, mqtt_settings

if TYPE_CHECKING:
    from schoolnet_agent.settings.mqtt import MqttSettings
    from schoolnet_collector.simulator.model import School
    from schoolnet_collector.simulator.profile import Profile

PROG = "schoolnet-collector simulate"


def register(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "simulate",
        help="publish plausible reports for every school of a province profile",
        description="Create virtual devices for every school in a province profile and "
        "publish their reports to the MQTT broker through the agent's transport.",
    )
    add_arguments(parser)
    parser.set_defaults(func=run)
    return parser


def _error(message: str) -> int:
    print(f"{PROG}: error: {message}", file=sys.stderr)
    return 2


def run(args: argparse.Namespace) -> int:
    # Imported here, not above: ``schoolnet-collector --help`` registers this command without
    # loading the fleet generator, YAML and the agent's transport.
    from schoolnet_collector.simulator.devices import count_devices
    from schoolnet_collector.simulator.export import (
        check_units_path,
        export_format,
        write_devices,
        write_plans,
        write_schools,
        write_units,
    )
    from schoolnet_collector.simulator.fleet import generate_fleet
    from schoolnet_collector.simulator.profile_file import load_profile, resolve_profile
    from schoolnet_collector.simulator.schema_reader import ProfileError

    try:
        profile_path = resolve_profile(args.profile)
        profile = load_profile(str(profile_path))
    except ProfileError as exc:
        return _error(f"profile {args.profile}: {exc}")
    try:
        if args.export_schools:
            export_format(args.export_schools)
        if args.export_devices and not args.export_devices.lower().endswith(".csv"):
            raise ValueError(
                f"--export-devices {args.export_devices}: the file name must end in .csv"
            )
        if args.export_units:
            check_units_path(args.export_units)
            if not profile.two_tier:
                raise ValueError(
                    f"--export-units: profile {args.profile} is format 1 and has no communes"
                )
        settings = mqtt_settings(args)
    except ValueError as exc:
        return _error(str(exc))
    schools = generate_fleet(profile, args.scale, args.seed)
    devices = count_devices(schools)
    online = sum(s.online for s in schools)
    print(
        f"{profile.province_name} ({profile.province_id}), scale {args.scale:g}: "
        f"{len(schools)} schools, {online} with internet; "
        f"{sum(v for k, v in devices.items() if k != 'reporting')} devices, "
        f"{devices['reporting']} reporting (others broken or offline)",
        flush=True,
    )
    if profile.two_tier:
        print(_units_line(profile, schools), flush=True)
    if args.export_units:
        try:
            count = write_units(args.export_units, profile)
        except OSError as exc:
            return _error(f"--export-units {args.export_units}: {exc.strerror or exc}")
        print(f"{count} units written to {args.export_units}", flush=True)
    if args.export_schools:
        try:
            write_schools(args.export_schools, schools, two_tier=bool(args.export_units))
        except OSError as exc:
            return _error(f"--export-schools {args.export_schools}: {exc.strerror or exc}")
        print(f"schools written to {args.export_schools}", flush=True)
    if args.export_plans:
        try:
            plans = write_plans(args.export_plans, profile)
        except OSError as exc:
            return _error(f"--export-plans {args.export_plans}: {exc.strerror or exc}")
        print(f"{len(plans)} plans written to {args.export_plans}", flush=True)
    if args.export_devices:
        try:
            write_devices(args.export_devices, schools)
        except OSError as exc:
            return _error(f"--export-devices {args.export_devices}: {exc.strerror or exc}")
        print(f"devices written to {args.export_devices}", flush=True)
    if args.no_publish:
        return 0
    return _simulate(str(profile_path.resolve()), online, settings, args)


def _units_line(profile: Profile, schools: list[School]) -> str:
    communes = [c for part in profile.fleets() for d in part.districts for c in d.communes]
    made_up = sum(c.made_up for c in communes)
    legacy = ", ".join(
        lp.id + (" (made up)" if lp.made_up else "") for lp in profile.legacy_provinces()
    )
    return (
        f"{len(communes)} communes ({made_up} with made-up names), "
        f"{sum(bool(s.commune) for s in schools)} schools placed; old provinces: {legacy}"
    )


def _simulate(
    profile_ref: str, online: int, settings: MqttSettings, args: argparse.Namespace
) -> int:
    from schoolnet_collector.simulator.runner import RunOptions
    from schoolnet_collector.simulator.supervisor import supervise
    from schoolnet_collector.simulator.worker import WorkerSpec

    options = RunOptions(
        interval=args.interval,
        duration=args.duration,
        seed=args.seed,
        incidents=not args.no_incidents,
        window=args.window,
        connect_timeout=args.connect_timeout,
    )
    spec = WorkerSpec(profile_ref, args.scale, 0, 1, settings, options)
    stop = threading.Event()
    restore = _on_signals(stop)
    try:
        return supervise(spec, online, args.schools_per_process, stop)
    finally:
        restore()


def _on_signals(stop: threading.Event) -> Callable[[], None]:
    """SIGINT/SIGTERM end the run cleanly (devices marked offline); returns an undo."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    for sig in previous:
        signal.signal(sig, lambda *_: stop.set())

    def restore() -> None:
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    return restore
