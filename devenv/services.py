"""Start and stop Debian's Mosquitto, InfluxDB 1.x and VictoriaMetrics as child processes.

Each service binds only to 127.0.0.1 on a free port, keeps its data in a directory the
caller owns, and is stopped (SIGTERM, then SIGKILL) by ``stop()``. Nothing is installed
here: ``make deps`` installs the Debian packages.
"""

from __future__ import annotations

import getpass
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypedDict, Unpack

LOOPBACK = "127.0.0.1"
ROOT = Path(__file__).resolve().parent.parent

MOSQUITTO_VERSIONS = {
    "2.0.11": "/usr/sbin/mosquitto",  # Debian bookworm's own package
    "2.0.21": str(ROOT / ".deps/mosquitto-2.0.21/usr/sbin/mosquitto"),  # bookworm-backports
}
"""The brokers the tests run on. 2.0.21 is what a Sở installs today; every release since 2.0.12
refuses a client whose keepalive exceeds ``max_keepalive``, which 2.0.11 lets through."""
MOSQUITTO_ENV = "SCHOOLNET_MOSQUITTO_VERSION"
"""Chooses the default broker (one of MOSQUITTO_VERSIONS) for the demo and the shared test broker."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((LOOPBACK, 0))
        port: int = s.getsockname()[1]
        return port


def wait_for_port(
    port: int, timeout: float = 20.0, proc: subprocess.Popen[bytes] | None = None
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before listening on {port}")
        try:
            with socket.create_connection((LOOPBACK, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listening on {LOOPBACK}:{port} after {timeout}s")


NO_SERVICES_ENV = "SCHOOLNET_TEST_NO_SERVICES"
"""Set by ``make test-fast``: starting a service then fails, naming the marker the test lacks."""


def refuse_if_forbidden(what: str) -> None:
    """Raise when this run promised not to start services (a test marked wrongly)."""
    if os.environ.get(NO_SERVICES_ENV):
        raise RuntimeError(
            f"{what}: this run starts no services ({NO_SERVICES_ENV} is set); "
            "mark the test with @pytest.mark.services (or netns)"
        )


def find_binary(name: str, *candidates: str) -> str:
    for path in (shutil.which(name), *candidates):
        if path and os.path.exists(path):
            return path
    raise FileNotFoundError(f"{name} not found: run `make deps` (installs Debian's package)")


def mosquitto_binary(version: str) -> str:
    """The broker binary of ``version``; FileNotFoundError says how to get it."""
    path = MOSQUITTO_VERSIONS[version]
    if not os.path.exists(path):
        raise FileNotFoundError(
            f"Mosquitto {version} not found at {path}: run `make deps` "
            "(installs Debian's 2.0.11 and fetches 2.0.21 from bookworm-backports)"
        )
    return path


class AsUser(TypedDict, total=False):
    """``subprocess`` arguments that run a server as another OS user (PostgreSQL refuses root)."""

    user: str
    group: str
    extra_groups: list[str]


@dataclass
class Service:
    """One child process with its data directory and log file."""

    name: str
    workdir: Path
    port: int = 0
    proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def log_path(self) -> Path:
        return self.workdir / f"{self.name}.log"

    def _spawn(self, argv: list[str], **popen: Unpack[AsUser]) -> None:
        refuse_if_forbidden(self.name)
        self.workdir.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            argv,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            **popen,
        )
        log.close()
        try:
            wait_for_port(self.port, proc=self.proc)
        except Exception as exc:
            self.stop()
            tail = self.log_path.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"{self.name} did not start: {exc}\n{tail}") from exc

    def kill(self) -> None:
        """SIGKILL, as a power cut would: no clean shutdown."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
        self.proc = None

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


@dataclass
class MqttAccount:
    username: str
    password: str


class Mosquitto(Service):
    """Mosquitto 2.x with anonymous access refused, a password file and the schoolnet ACL.

    The ACL is the one in ``firmware_configs/mosquitto/``: a device may write only under
    ``schoolnet/v1/<its username>/``; collectors (and the province simulator) get wider rights.
    """

    def __init__(
        self,
        workdir: Path,
        accounts: list[MqttAccount],
        port: int = 0,
        collectors: tuple[str, ...] = ("collector",),
        simulators: tuple[str, ...] = (),
        persistence: bool = True,
        max_inflight_messages: int = 0,
        version: str | None = None,
    ):
        super().__init__("mosquitto", Path(workdir), port or free_port())
        self.version = version or os.environ.get(MOSQUITTO_ENV) or "2.0.11"
        if self.version not in MOSQUITTO_VERSIONS:
            raise ValueError(f"Mosquitto {self.version}: known versions {list(MOSQUITTO_VERSIONS)}")
        # 0: no cap on unacknowledged messages sent to a client. Production sets a cap
        # (firmware_configs/mosquitto); an MQTT v5 client's Receive Maximum overrides it.
        self.max_inflight_messages = max_inflight_messages
        # Persistence saves the whole message store every second: right for tests of restarts,
        # but with a deep backlog it costs the broker more than delivering does.
        self.persistence = persistence
        self.accounts = list(accounts)
        self.collectors = collectors
        self.simulators = simulators

    def write_config(self) -> Path:
        from devenv.mqtt_auth import write_acl, write_password_file

        self.workdir.mkdir(parents=True, exist_ok=True)
        passwd = self.workdir / "passwd"
        acl = self.workdir / "acl"
        write_password_file(passwd, self.accounts)
        write_acl(acl, collectors=self.collectors, simulators=self.simulators)
        conf = self.workdir / "mosquitto.conf"
        conf.write_text(
            f"listener {self.port} {LOOPBACK}\n"
            f"user {getpass.getuser()}\n"  # as root, Mosquitto would drop to a user that cannot read our files
            "allow_anonymous false\n"
            f"password_file {passwd}\n"
            f"acl_file {acl}\n"
            + (
                f"persistence true\npersistence_location {self.workdir}/\nautosave_interval 1\n"
                if self.persistence
                else "persistence false\n"
            )
            + "max_queued_messages 1000000\n"
            f"max_inflight_messages {self.max_inflight_messages}\n"
            "log_type error\nlog_type warning\nlog_type notice\n"
            "log_dest stdout\n"
        )
        return conf

    def start(self) -> Mosquitto:
        conf = self.write_config()
        self._spawn([mosquitto_binary(self.version), "-c", str(conf)])
        return self


class InfluxDB1(Service):
    """InfluxDB 1.x (Debian ships 1.6.7): HTTP and RPC ports both on loopback, no phoning home."""

    def __init__(self, workdir: Path, port: int = 0):
        super().__init__("influxdb", Path(workdir), port or free_port())
        self.rpc_port = free_port()

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def start(self) -> InfluxDB1:
        d = self.workdir
        d.mkdir(parents=True, exist_ok=True)
        conf = d / "influxdb.conf"
        conf.write_text(
            "reporting-disabled = true\n"
            f'bind-address = "{LOOPBACK}:{self.rpc_port}"\n'
            f'[meta]\n  dir = "{d}/meta"\n'
            f'[data]\n  dir = "{d}/data"\n  wal-dir = "{d}/wal"\n  query-log-enabled = false\n'
            "[monitor]\n  store-enabled = false\n"
            f'[http]\n  bind-address = "{LOOPBACK}:{self.port}"\n  log-enabled = false\n'
            "  max-body-size = 0\n"
        )
        self._spawn([find_binary("influxd", "/usr/bin/influxd"), "-config", str(conf)])
        self._wait_ping()
        return self

    def _wait_ping(self, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(self.url + "/ping", timeout=1) as r:
                    if r.status == 204:
                        return
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def create_database(self, name: str) -> None:
        data = f'q=CREATE DATABASE "{name}"'.encode()
        urllib.request.urlopen(
            urllib.request.Request(self.url + "/query", data=data), timeout=10
        ).read()


class VictoriaMetrics(Service):
    """Debian's single-node VictoriaMetrics: accepts InfluxDB line protocol on /api/v2/write."""

    def __init__(self, workdir: Path, port: int = 0):
        super().__init__("victoria-metrics", Path(workdir), port or free_port())

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def start(self) -> VictoriaMetrics:
        self._spawn(
            [
                find_binary("victoria-metrics", "/usr/bin/victoria-metrics"),
                f"-httpListenAddr={LOOPBACK}:{self.port}",
                f"-storageDataPath={self.workdir}/data",
                "-retentionPeriod=100y",
                "-search.latencyOffset=0s",
                "-search.disableCache",
            ]
        )
        return self


PG_BIN = Path("/usr/lib/postgresql/15/bin")


class PostgreSQL(Service):
    """PostgreSQL 15: a throw-away cluster (initdb) on a loopback port, socket in its own dir.

    PostgreSQL refuses to run as root, so under root (CI, containers) the cluster lives in a
    fresh directory owned by the ``postgres`` OS user and both initdb and the server run as that
    user; as a normal user it lives in ``workdir``. Authentication is ``trust`` on loopback only:
    the cluster is a test's own and dies with it. fsync is off (test data, not kept).
    """

    SUPERUSER = "schoolnet"

    def __init__(self, workdir: Path, port: int = 0, os_user: str = "postgres"):
        super().__init__("postgresql", Path(workdir), port or free_port())
        self._as_root = os.geteuid() == 0
        self._os_user = os_user
        self._owned_dir: Path | None = None

    @property
    def datadir(self) -> Path:
        return (self._owned_dir or self.workdir) / "data"

    def url(self, database: str = "postgres") -> str:
        """SQLAlchemy URL (psycopg 3 driver)."""
        return f"postgresql+psycopg://{self.SUPERUSER}@{LOOPBACK}:{self.port}/{database}"

    def _popen_user(self) -> AsUser:
        return (
            {"user": self._os_user, "group": self._os_user, "extra_groups": []}
            if self._as_root
            else {}
        )

    def start(self) -> PostgreSQL:
        import tempfile

        self.workdir.mkdir(parents=True, exist_ok=True)
        if self._as_root:
            import pwd

            entry = pwd.getpwnam(self._os_user)
            self._owned_dir = Path(tempfile.mkdtemp(prefix="schoolnet-pg-"))
            os.chown(self._owned_dir, entry.pw_uid, entry.pw_gid)
        initdb = find_binary("initdb", str(PG_BIN / "initdb"))
        done = subprocess.run(
            [
                initdb,
                "-D",
                str(self.datadir),
                "-U",
                self.SUPERUSER,
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ],
            check=False,
            capture_output=True,
            text=True,
            **self._popen_user(),
        )
        if done.returncode != 0:
            self._remove_owned_dir()
            raise RuntimeError(f"initdb failed: {done.stderr.strip()[-2000:]}")
        postgres = find_binary("postgres", str(PG_BIN / "postgres"))
        self._spawn(
            [
                postgres,
                "-D",
                str(self.datadir),
                "-h",
                LOOPBACK,
                "-p",
                str(self.port),
                "-k",
                str(self.datadir),
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
                "-c",
                "max_connections=200",
            ],
            **self._popen_user(),
        )
        self._wait_ready()
        return self

    def _wait_ready(self, timeout: float = 30.0) -> None:
        """The port opens before the server accepts queries ("starting up"): wait for a query."""
        import psycopg

        deadline = time.monotonic() + timeout
        while True:
            try:
                with psycopg.connect(
                    host=LOOPBACK,
                    port=self.port,
                    user=self.SUPERUSER,
                    dbname="postgres",
                    connect_timeout=2,
                ) as conn:
                    conn.execute("select 1")
                    return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def create_database(self, name: str) -> str:
        """A fresh database; returns its SQLAlchemy URL."""
        import psycopg

        with psycopg.connect(
            host=LOOPBACK, port=self.port, user=self.SUPERUSER, dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        super().stop()
        self._remove_owned_dir()

    def _remove_owned_dir(self) -> None:
        if self._owned_dir is not None:
            shutil.rmtree(self._owned_dir, ignore_errors=True)
            self._owned_dir = None
