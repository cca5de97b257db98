"""``make demo``: the whole system on this machine, with its data under ``.demo/``.

Starts, all on 127.0.0.1: Mosquitto (password file + ACL), InfluxDB, the collector (API on
:8080), this machine's own agent, and the simulated Lào Cai province at --scale 1 (or any
profile: ``--profile``, ``make demo PROFILE=path/to/file.yaml``). A format 2 profile's units
(province, communes, former districts and provinces) and plans go to the collector with its
schools. Prints what runs where, then waits; Ctrl-C stops everything in reverse order.
"""

from __future__ import annotations

import argparse
import csv
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path

from devenv.services import (
    InfluxDB1,
    Mosquitto,
    MqttAccount,
    Service,
    free_port,
    wait_for_port,
)

Processes = list[tuple[str, "subprocess.Popen[bytes] | Service"]]
"""What the demo started, by name: our own processes and the services of devenv.services."""

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
LOCAL_SCHOOL = "so-gddt-lab"  # this machine's agent reports as a lab of the provincial Sở


def add_local_site(schools: Path, province: str) -> None:
    """This machine's agent reports as the Sở's own lab: a site of the province, watched and
    alerted like a school but never counted as one (the province has its 646 schools)."""
    with schools.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        rows, columns = list(reader), [*(reader.fieldnames or ()), "site_of"]
    rows.append(
        {
            "id": LOCAL_SCHOOL,
            "name": "Phòng máy thử nghiệm Sở GDĐT",
            "province": province,
            "district": province,
            "level": "other",
            "site_of": province,
        }
    )
    with schools.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)


def secret(path: Path, nbytes: int = 18) -> str:
    """A password kept across demo runs, so persistent MQTT sessions (and mailed links) stay
    valid."""
    if not path.exists():
        path.write_text(secrets.token_urlsafe(nbytes))
        path.chmod(0o600)
    return path.read_text().strip()


def local_device_id() -> str:
    name = "".join(c if c.isalnum() else "-" for c in socket.gethostname().lower()).strip("-")
    return (name or "this-pc")[:63]


def spawn(name: str, argv: list[str], log_dir: Path) -> subprocess.Popen[bytes]:
    log = open(log_dir / f"{name}.log", "ab")
    return subprocess.Popen(
        argv,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        cwd=ROOT,
        start_new_session=True,
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", type=Path, default=ROOT / ".demo")
    ap.add_argument("--api-port", type=int, default=8080)
    ap.add_argument("--scale", type=float, default=1.0, help="province simulator scale (default 1)")
    ap.add_argument("--interval", type=float, default=60.0, help="report interval in seconds")
    ap.add_argument(
        "--profile",
        default="lao-cai-2018",
        help="simulated province: built-in profile name or path to a profile YAML "
        "(default: %(default)s)",
    )
    args = ap.parse_args(argv)
    from schoolnet_collector.simulator.profile_file import load_profile
    from schoolnet_collector.simulator.schema_reader import ProfileError

    try:
        profile = load_profile(args.profile)
    except ProfileError as exc:
        print(f"demo: profile {args.profile}: {exc}", file=sys.stderr)
        return 2

    d = args.dir.resolve()
    for sub in ("logs", "secrets", "state"):
        (d / sub).mkdir(parents=True, exist_ok=True)
    logs = d / "logs"
    device = local_device_id()
    accounts = {
        "collector": MqttAccount("collector", secret(d / "secrets/collector")),
        "simulator": MqttAccount("simulator", secret(d / "secrets/simulator")),
        "agent": MqttAccount(f"{LOCAL_SCHOOL}/{device}", secret(d / "secrets/agent")),
    }

    schools, units, plans = d / "schools.csv", d / "units.csv", d / "plans"
    shutil.rmtree(plans, ignore_errors=True)  # another profile's plans must not linger
    units.unlink(missing_ok=True)
    two_tier = ["--export-units", units, "--export-plans", plans] if profile.two_tier else []
    subprocess.run(
        [
            BIN / "schoolnet-collector",
            "simulate",
            "--profile",
            args.profile,
            "--scale",
            str(args.scale),
            "--export-schools",
            schools,
            *two_tier,
            "--no-publish",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    add_local_site(schools, profile.province_id)

    procs: Processes = []
    try:
        broker = Mosquitto(
            d / "mosquitto",
            list(accounts.values()),
            port=_port(1883),
            collectors=("collector",),
            simulators=("simulator",),
        ).start()
        procs.append(("Mosquitto", broker))
        influx = InfluxDB1(d / "influxdb", port=_port(8086)).start()
        procs.append(("InfluxDB", influx))

        collector_conf = d / "collector.toml"
        units_line = f'units_file = "{units}"\n' if units.exists() else ""
        plans_toml = plans / "plans.toml"
        collector_conf.write_text(
            f'province = "{profile.province_id}"\n[mqtt]\nport = {broker.port}\n'
            f'username = "collector"\npassword = "{accounts["collector"].password}"\n'
            f'[influx]\nurl = "{influx.url}"\ndatabase = "schoolnet"\n'
            f'[registry]\nurl = "sqlite:///{d}/registry.sqlite3"\n{units_line}'
            f'schools_file = "{schools}"\n'
            f'[api]\nport = {args.api_port}\n[ingest]\ndata_dir = "{d}/collector-data"\n'
            # E-mail pages carry "I'm on it" / "Fixed" links to this demo's pages.
            f'[notify.actions]\nbase_url = "http://127.0.0.1:{args.api_port}"\n'
            f'secret = "{secret(d / "secrets/actions", 32)}"\n'
            + (plans_toml.read_text(encoding="utf-8") if plans_toml.exists() else "")
        )
        collector = spawn(
            "collector",
            [str(BIN / "schoolnet-collector"), "run", "--config", str(collector_conf)],
            logs,
        )
        procs.append(("collector", collector))
        wait_for_port(args.api_port, timeout=60, proc=collector)
        token_file = admin_token(collector_conf, d / "admin-token", args.api_port)

        agent_conf = d / "agent.toml"
        agent_conf.write_text(
            f'[device]\nschool = "{LOCAL_SCHOOL}"\nid = "{device}"\nkind = "admin_pc"\n'
            f"interval_seconds = {min(args.interval, 30)}\n"
            f'[mqtt]\nhost = "127.0.0.1"\nport = {broker.port}\n'
            f'username = "{accounts["agent"].username}"\npassword = "{accounts["agent"].password}"\n'
            f'[state]\ndirectory = "{d}/state"\n'
        )
        procs.append(
            (
                "agent",
                spawn(
                    "agent",
                    [str(BIN / "schoolnet-agent"), "run", "--config", str(agent_conf)],
                    logs,
                ),
            )
        )
        procs.append(
            (
                "simulator",
                spawn(
                    "simulator",
                    [
                        str(BIN / "schoolnet-collector"),
                        "simulate",
                        "--profile",
                        args.profile,
                        "--scale",
                        str(args.scale),
                        "--interval",
                        str(args.interval),
                        "--broker",
                        f"127.0.0.1:{broker.port}",
                        "--username",
                        "simulator",
                        "--password-file",
                        str(d / "secrets/simulator"),
                    ],
                    logs,
                ),
            )
        )

        print(
            f"""
schoolnet demo is running (data and logs in {d}):
  MQTT broker   mqtt://127.0.0.1:{broker.port}   (Mosquitto, password file + ACL)
  InfluxDB      {influx.url}   database "schoolnet"  (InfluxQL: /query)
  collector API http://127.0.0.1:{args.api_port}/docs   health: /health   schools: /api/v1/schools
  web pages     http://127.0.0.1:{args.api_port}/   sign in with the province token in {token_file}
                (API: curl -H "Authorization: Bearer $(cat {token_file})" ...)
  this machine  school {LOCAL_SCHOOL}, device {device}: http://127.0.0.1:{args.api_port}/api/v1/schools/{LOCAL_SCHOOL}/devices
  province      {profile.province_name} ({args.profile}) simulated at scale {args.scale}, a report per device every {args.interval:g} s
  Grafana       provision dashboards/provisioning/ against {influx.url} (see dashboards/README.md)
Logs: {logs}/*.log. Press Ctrl-C to stop everything.
""",
            flush=True,
        )
        _wait(procs)
    except KeyboardInterrupt:
        pass
    finally:
        _stop_all(procs)
    return 0


def admin_token(collector_conf: Path, path: Path, api_port: int) -> Path:
    """A province-scope admin token for the person running the demo, kept in ``path``
    across runs while the registry still accepts it (a new one otherwise)."""
    if path.exists():
        request = urllib.request.Request(
            f"http://127.0.0.1:{api_port}/api/v1/districts",
            headers={"Authorization": f"Bearer {path.read_text().strip()}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=10):
                return path
        except urllib.error.HTTPError:
            pass  # revoked, expired, or the registry was reset: make a new one
    token = subprocess.run(
        [
            BIN / "schoolnet-collector",
            "token",
            "create",
            "--config",
            str(collector_conf),
            "--role",
            "admin",
            "--scope",
            "province",
            "--name",
            "demo admin",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    path.write_text(token + "\n")
    path.chmod(0o600)
    return path


def _port(preferred: int) -> int:
    """The usual port if free (easy to remember), else any free one."""
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", preferred))
            return preferred
        except OSError:
            return free_port()


def _wait(procs: Processes) -> None:
    """Until Ctrl-C / SIGTERM, or until a child dies (then the demo is not whole any more)."""
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    while not stop.wait(1):
        for name, p in procs:
            if isinstance(p, subprocess.Popen) and p.poll() is not None:
                print(f"{name} exited with {p.returncode}; see its log. Stopping the demo.")
                return


def _stop_all(procs: Processes) -> None:
    for name, p in reversed(procs):
        if isinstance(p, subprocess.Popen):
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
                try:
                    p.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(p.pid, signal.SIGKILL)
        else:
            p.stop()
        print(f"stopped {name}")


if __name__ == "__main__":
    sys.exit(main())
