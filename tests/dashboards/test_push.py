"""``dashboards/push.py``: its arguments, the payloads it builds, and the requests it sends.

No Grafana can run here. The requests are checked against a small recording HTTP server on
127.0.0.1 that answers the way Grafana's API documents (404 for a missing folder or data
source, 401 for a bad token): it proves what grafana-client is asked to send, not that a
real Grafana accepts it.
"""

from __future__ import annotations

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.support.paths import ROOT as ROOT_DIR

DASHBOARDS = ROOT_DIR / "dashboards"
sys.path.insert(0, str(DASHBOARDS))
from schoolnet_dashboards import payloads  # noqa: E402
from schoolnet_dashboards.cli import main  # noqa: E402


class FakeGrafana(BaseHTTPRequestHandler):
    """Records every request; ``existing`` says which objects already exist."""

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        server = self.server
        server.requests.append((self.command, self.path, self.headers.get("Authorization"), body))
        if self.headers.get("Authorization") != "Bearer good-token":
            status, answer = 401, {"message": "invalid API key"}
        elif self.command == "GET":
            found = any(self.path.endswith(uid) for uid in server.existing)
            status, answer = (
                (200, {"uid": self.path.rsplit("/", 1)[-1]})
                if found
                else (404, {"message": "not found"})
            )
        else:
            status, answer = 200, {"status": "success", "url": "/d/schoolnet-province-overview/x"}
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = _answer

    def log_message(self, *args):
        pass


@pytest.fixture()
def grafana():
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeGrafana)
    server.requests, server.existing = [], set()
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture()
def token_file(tmp_path):
    path = tmp_path / "token"
    path.write_text("good-token\n")
    return path


def url(server):
    return f"http://127.0.0.1:{server.server_address[1]}"


def test_first_push_creates_folder_datasource_and_dashboard(grafana, token_file, capsys):
    assert main(["--url", url(grafana), "--token-file", str(token_file)]) == 0
    calls = [(m, p) for m, p, _, _ in grafana.requests]
    assert calls == [
        ("GET", "/api/folders/schoolnet"),
        ("POST", "/api/folders"),
        ("GET", "/api/datasources/uid/schoolnet-influxdb"),
        ("POST", "/api/datasources"),
        ("POST", "/api/dashboards/db"),
    ]
    assert {auth for _, _, auth, _ in grafana.requests} == {"Bearer good-token"}
    bodies = [b for _, _, _, b in grafana.requests]
    assert bodies[1] == {"title": "Schoolnet", "uid": "schoolnet"}
    assert bodies[3]["uid"] == "schoolnet-influxdb" and bodies[3]["jsonData"]["httpMode"] == "GET"
    dash = bodies[4]
    assert dash["folderUid"] == "schoolnet" and dash["overwrite"] is True
    assert (
        dash["dashboard"]["uid"] == "schoolnet-province-overview"
        and dash["dashboard"]["id"] is None
    )
    assert "created" in capsys.readouterr().out


def test_second_push_updates_the_datasource_in_place(grafana, token_file, monkeypatch):
    grafana.existing = {"schoolnet", "schoolnet-influxdb"}
    monkeypatch.setenv("GRAFANA_TOKEN", "good-token")
    assert main(["--url", url(grafana), "--influx-url", "http://10.0.0.5:8086/"]) == 0
    calls = [(m, p) for m, p, _, _ in grafana.requests]
    assert ("PUT", "/api/datasources/uid/schoolnet-influxdb") in calls
    assert ("POST", "/api/folders") not in calls and ("POST", "/api/datasources") not in calls
    put = next(b for m, _, _, b in grafana.requests if m == "PUT")
    assert put["url"] == "http://10.0.0.5:8086"


def test_refused_token_and_unreachable_grafana_exit_1_with_a_message(grafana, tmp_path, capsys):
    bad = tmp_path / "bad"
    bad.write_text("wrong")
    assert main(["--url", url(grafana), "--token-file", str(bad)]) == 1
    assert "refused" in capsys.readouterr().err
    port = grafana.server_address[1]
    grafana.shutdown()
    grafana.server_close()
    assert (
        main(["--url", f"http://127.0.0.1:{port}", "--token-file", str(bad), "--timeout", "2"]) == 1
    )
    assert "cannot reach Grafana" in capsys.readouterr().err


def test_dry_run_prints_payloads_with_overrides_and_hides_the_password(tmp_path, capsys):
    secret = tmp_path / "influx-pass"
    secret.write_text("s3cret")
    assert (
        main(
            [
                "--dry-run",
                "--influx-database",
                "lc",
                "--influx-user",
                "grafana",
                "--influx-password-file",
                str(secret),
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    plan = json.loads(out)
    assert "s3cret" not in out and plan["datasource"]["secureJsonData"] == {"password": "***"}
    assert plan["datasource"]["database"] == plan["datasource"]["jsonData"]["dbName"] == "lc"
    assert [d["dashboard"]["uid"] for d in plan["dashboards"]] == ["schoolnet-province-overview"]


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--url", "ftp://grafana"], "argument --url: must be an http(s) URL"),
        (["--timeout", "0"], "argument --timeout: must be a number of seconds > 0"),
    ],
)
def test_bad_arguments_are_named(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2 and message in capsys.readouterr().err


def test_bad_input_files_exit_2_naming_the_file(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("GRAFANA_TOKEN", raising=False)
    assert main([]) == 2
    assert "no credentials" in capsys.readouterr().err
    assert main(["--dry-run", "--influx-password-file", str(tmp_path / "nope")]) == 2
    assert "--influx-password-file" in capsys.readouterr().err
    (tmp_path / "pass").write_text("x")
    assert main(["--dry-run", "--influx-password-file", str(tmp_path / "pass")]) == 2
    assert "needs --influx-user" in capsys.readouterr().err
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    assert main(["--dry-run", "--dashboard", str(broken)]) == 2
    assert "broken.json: not valid JSON" in capsys.readouterr().err
    (tmp_path / "ds.yaml").write_text("apiVersion: 1\n")
    with pytest.raises(
        payloads.ProvisioningError, match=r"ds.yaml: expected a non-empty 'datasources'"
    ):
        payloads.datasource_payload(path=tmp_path / "ds.yaml")
