"""InfluxDB storage: line-protocol writes and InfluxQL reads, whatever the server version.

Debian's InfluxDB 1.6.7 has only the v1 ``/write``; 1.8+, 2.x and 3.x (and VictoriaMetrics)
take ``/api/v2/write`` through influxdb-client. ``/ping`` tells us which: its
``X-Influxdb-Version`` header below 1.8 means v1, anything else (newer, or no header) means v2.
InfluxQL on ``/query`` works on 1.x, 2.x (DBRP mapping) and 3.x, so reads always use it.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlencode

import orjson
import urllib3

from schoolnet_collector.core.config import InfluxConfig

if TYPE_CHECKING:
    from influxdb_client.client.write_api import WriteApi

log = logging.getLogger(__name__)


class StorageError(RuntimeError):
    """The store is unreachable or refused a whole write (retry later)."""


@dataclass
class WriteResult:
    """What a write accepted: ``rejected`` lists (line, reason) the server refused for good."""

    written: int
    rejected: list[tuple[str, str]]


def parse_version(header: str | None) -> tuple[int, int]:
    m = re.match(r"v?(\d+)\.(\d+)", header or "")
    return (int(m.group(1)), int(m.group(2))) if m else (0, 0)


def choose_api(version_header: str | None) -> Literal["v1", "v2"]:
    """v1 for InfluxDB below 1.8 (no /api/v2/write there); v2 otherwise."""
    if version_header and parse_version(version_header) < (1, 8):
        return "v1"
    return "v2"


class InfluxStore:
    def __init__(self, config: InfluxConfig) -> None:
        self.config = config
        self.url = config.url.rstrip("/")
        self.http = urllib3.PoolManager(
            num_pools=2, maxsize=4, retries=False, timeout=urllib3.Timeout(total=config.timeout)
        )
        self.api: Literal["auto", "v1", "v2"] = config.api
        self.server_version: str | None = None
        self.connected = False  # a /ping has answered: ``api`` and the database are settled
        self._v2_write: WriteApi | None = None

    # -- connection -------------------------------------------------------------------------
    def ping(self) -> str | None:
        """The server's version header (None if it sends none); raises StorageError if down."""
        try:
            r = self.http.request("GET", self.url + "/ping")
        except urllib3.exceptions.HTTPError as exc:
            raise StorageError(f"InfluxDB at {self.url} unreachable: {exc}") from None
        if r.status >= 300:
            raise StorageError(f"InfluxDB /ping answered {r.status}")
        return r.headers.get("X-Influxdb-Version")

    def connect(self) -> InfluxStore:
        self.server_version = self.ping()
        if self.config.api == "auto":
            self.api = choose_api(self.server_version)
        log.info(
            "InfluxDB %s at %s: writing through the %s API",
            self.server_version or "(no version)",
            self.url,
            self.api,
        )
        if self.config.create_database and self.api == "v1":
            self.query(f'CREATE DATABASE "{self.config.database}"', method="POST")
        self.connected = True
        return self

    # -- writes -----------------------------------------------------------------------------
    def write(self, lines: list[str]) -> WriteResult:
        """Raises StorageError while InfluxDB is down, or before it has ever answered: the
        write API depends on its version, so nothing is written until a /ping tells it."""
        if not lines:
            return WriteResult(0, [])
        if not self.connected:
            self.connect()
        if self.api == "v1":
            return self._write_v1(lines)
        return self._write_v2(lines)

    def _write_v1(self, lines: list[str], retry: bool = True) -> WriteResult:
        params = {"db": self.config.database, "precision": "ms"}
        if self.config.retention_policy:
            params["rp"] = self.config.retention_policy
        if self.config.username:
            params.update(u=self.config.username, p=self.config.password or "")
        body = "\n".join(lines).encode()
        try:
            r = self.http.request(
                "POST",
                self.url + "/write?" + urlencode(params),
                body=body,
                headers={"Content-Type": "text/plain; charset=utf-8"},
            )
        except urllib3.exceptions.HTTPError as exc:
            raise StorageError(f"write to {self.url} failed: {exc}") from None
        if r.status == 204:
            return WriteResult(len(lines), [])
        if r.status in (400, 422):
            error = _error_text(r.data)
            if retry:
                return self._split_rejected(lines, error)
            return WriteResult(0, [(line, error) for line in lines])
        raise StorageError(f"write answered {r.status}: {_error_text(r.data)}")

    def _split_rejected(self, lines: list[str], error: str) -> WriteResult:
        """A 400/422 refuses some lines of a batch. InfluxDB names them: ``partial write:``
        means the others are stored already; each ``unable to parse '<line>'`` quotes a line,
        each ``field type conflict: input field "f" on measurement "m" is type T`` names the
        lines that write ``f`` of ``m`` as a T. So no line is written twice and one bad line
        costs this one request, where bisection cost ~25 for 5,000 lines (ingest validates
        types before writing, so this is rare). Without ``partial write`` the named lines are
        taken out and the rest written once more; what is still refused then is refused."""
        bad = refused_lines(lines, error)
        if error.startswith("partial write"):
            found = [(line, error) for line in bad]
            dropped = _dropped(error)
            if len(found) < dropped:  # named in a way not recognised: keep the evidence
                found.append(("", f"{dropped - len(found)} lines not identified: {error}"))
            return WriteResult(len(lines) - max(dropped, len(found)), found)
        rest = [line for line in lines if line not in bad] if bad else []
        if not rest or len(rest) == len(lines):
            return WriteResult(0, [(line, error) for line in lines])
        again = self._write_once(rest)
        return WriteResult(again.written, [(line, error) for line in bad] + again.rejected)

    def _write_once(self, lines: list[str]) -> WriteResult:
        """A write whose refusal is not looked into further (the second of _split_rejected)."""
        result = self._write_v1(lines, retry=False) if self.api == "v1" else self._write_v2(lines)
        return result

    def _write_v2(self, lines: list[str]) -> WriteResult:
        from influxdb_client.rest import ApiException

        api = self._v2_api()
        bucket = self.config.database + (
            f"/{self.config.retention_policy}" if self.config.retention_policy else ""
        )
        try:
            api.write(
                bucket=bucket,
                org=self.config.org,
                record="\n".join(lines),
                write_precision="ms",  # type: ignore[arg-type]  # its WritePrecision.MS is this str
            )
        except ApiException as exc:
            if exc.status in (400, 422):
                body = exc.body.encode() if isinstance(exc.body, str) else exc.body or b""
                return self._split_rejected(lines, _error_text(body) if body else str(exc.reason))
            raise StorageError(f"v2 write answered {exc.status}: {exc.reason}") from None
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise StorageError(f"v2 write to {self.url} failed: {exc}") from None
        return WriteResult(len(lines), [])

    def _v2_api(self) -> WriteApi:
        if self._v2_write is None:
            from influxdb_client.client.influxdb_client import InfluxDBClient
            from influxdb_client.client.write_api import SYNCHRONOUS

            token = self.config.token
            if token is None and self.config.username:
                token = f"{self.config.username}:{self.config.password or ''}"  # 1.8+ compat auth
            client = InfluxDBClient(
                url=self.url,
                token=token or "",
                org=self.config.org,
                timeout=int(self.config.timeout * 1000),
            )
            self._v2_write = client.write_api(write_options=SYNCHRONOUS)
        return self._v2_write

    # -- reads ------------------------------------------------------------------------------
    def query(self, influxql: str, method: str = "GET", epoch: str = "ms") -> list[dict[str, Any]]:
        """Run InfluxQL; returns the ``series`` list of the first statement (possibly empty)."""
        params = {"db": self.config.database, "q": influxql, "epoch": epoch}
        if self.config.username:
            params.update(u=self.config.username, p=self.config.password or "")
        headers = {"Authorization": f"Token {self.config.token}"} if self.config.token else {}
        try:
            if method == "POST":
                r = self.http.request_encode_body(
                    "POST",
                    self.url + "/query",
                    fields=params,
                    encode_multipart=False,
                    headers=headers,
                )
            else:
                r = self.http.request("GET", self.url + "/query", fields=params, headers=headers)
        except urllib3.exceptions.HTTPError as exc:
            raise StorageError(f"query to {self.url} failed: {exc}") from None
        if r.status >= 300:
            raise StorageError(f"query answered {r.status}: {_error_text(r.data)}")
        result = orjson.loads(r.data)["results"][0]
        if "error" in result:
            raise StorageError(f"InfluxQL error: {result['error']}")
        series: list[dict[str, Any]] = result.get("series", [])  # InfluxDB's JSON
        return series

    def rows(self, influxql: str) -> list[dict[str, Any]]:
        """Query results flattened to dicts: one per row, with the series tags merged in."""
        out = []
        for series in self.query(influxql):
            tags = series.get("tags", {})
            for values in series.get("values", []):
                out.append({**tags, **dict(zip(series["columns"], values, strict=False))})
        return out


_PARSE = re.compile(r"unable to parse '((?:[^'\\]|\\.)*)'")
_CONFLICT = re.compile(
    r'field type conflict: input field \\?"([^"\\]+)\\?" on measurement \\?"([^"\\]+)\\?" '
    r"is type (\w+)"
)


_UNESCAPED_SPACE = re.compile(r"(?<!\\) ")


def _dropped(error: str) -> int:
    m = re.search(r"dropped=(\d+)", error)
    return int(m.group(1)) if m else 0


def _value_type(value: str) -> str:
    if value.startswith('"'):
        return "string"
    if value in ("t", "T", "true", "True", "TRUE", "f", "F", "false", "False", "FALSE"):
        return "boolean"
    return "integer" if value.endswith("i") else "float"


def refused_lines(lines: list[str], error: str) -> set[str]:
    """The lines an InfluxDB write error names (see ``InfluxStore._split_rejected``)."""
    bad = {m.group(1) for m in _PARSE.finditer(error)} & set(lines)
    for field, measurement, kind in _CONFLICT.findall(error):
        for line in lines:
            if not line.startswith((measurement + ",", measurement + " ")):
                continue
            parts = _UNESCAPED_SPACE.split(line, 1)  # series, then fields and time
            fields = parts[1] if len(parts) > 1 else ""
            for m in re.finditer(rf"(?:^|,){re.escape(field)}=(\S)(\S*?)(?=[, ]|$)", fields):
                if _value_type(m.group(1) + m.group(2)) == kind:
                    bad.add(line)
    return bad


def _error_text(data: bytes) -> str:
    try:
        answer = orjson.loads(data)
        return str(answer.get("error") or answer.get("message") or data[:300])
    except (orjson.JSONDecodeError, AttributeError):
        return data[:300].decode(errors="replace")
