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

    def _write_v1(self, lines: list[str]) -> WriteResult:
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
            return self._split_rejected(lines, _error_text(r.data))
        raise StorageError(f"write answered {r.status}: {_error_text(r.data)}")

    def _split_rejected(self, lines: list[str], error: str) -> WriteResult:
        """A 400/422 refuses a batch for some of its lines (a field-type conflict, say).
        Bisect: rewrite each half until every refused line is found alone. Rewriting the good
        lines is harmless (same series and time: the point is overwritten, not duplicated),
        and the cost is O(bad x log n) requests for a rare event."""
        if len(lines) == 1:
            return WriteResult(0, [(lines[0], error)])
        mid = len(lines) // 2
        first, second = self.write(lines[:mid]), self.write(lines[mid:])
        return WriteResult(first.written + second.written, first.rejected + second.rejected)

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
                return self._split_rejected(lines, str(exc.body or exc.reason)[:300])
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


def _error_text(data: bytes) -> str:
    try:
        return str(orjson.loads(data).get("error", data[:300]))
    except (orjson.JSONDecodeError, AttributeError):
        return data[:300].decode(errors="replace")
