"""The web pages in a real headless Chromium against a running `schoolnet-collector run`.

Pages load after a token login, every number shown equals the API's, the language switch
works, scopes hold in the browser, and the session cookie is HttpOnly and not the token.
Screenshots land in test-artifacts/web/ at the repository root.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote

import openpyxl
import pytest
from playwright.sync_api import expect, sync_playwright
from sqlalchemy.orm import Session

from devenv.services import free_port, wait_for_port
from schoolnet_agent.protocol import Sample, build_report, encode
from schoolnet_collector.registry.alerting_models import Incident
from schoolnet_collector.registry.db import make_engine
from tests.support.collector import device_client, wait_until, write_schools
from tests.support.paths import ARTIFACTS
from tests.support.units import assign_communes

BIN = Path(sys.executable).parent
ARTIFACTS = ARTIFACTS / "web"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
NOW = datetime.now(timezone.utc)

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="Chromium is installed by scripts/install-system-deps.sh"
)


def create_token(conf: Path, scope: str) -> str:
    return subprocess.run(
        [
            BIN / "schoolnet-collector",
            "token",
            "create",
            "--config",
            conf,
            "--role",
            "viewer",
            "--scope",
            scope,
            "--name",
            f"web {scope}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def api_get(base: str, path: str, token: str):
    request = urllib.request.Request(base + path, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=10) as r:
        return json.loads(r.read())


def publish_fleet(port: int) -> None:
    """The gateway of lc-test-01 reports its uplink for the last three hours, and two lab PCs
    report once."""
    gw = device_client(type("B", (), {"port": port}), "lc-test-01", "gw-secret-01")
    try:
        for i, minutes in enumerate((170, 110, 50, 5)):
            ts = int((NOW - timedelta(minutes=minutes)).timestamp() * 1000)
            uplink = Sample(
                "uplink",
                {
                    "type": "fibre",
                    "isp": "VNPT",
                    "fixed": 1,
                    "cellular": 0,
                    "up": 1 if i != 1 else 0,
                    "failover": 0,
                    "rtt_ms": 20 + 10 * i,
                    "loss_percent": float(i),
                },
            )
            report = build_report(
                "lc-test-01", "gw", "gateway", i + 1, [uplink], ts_ms=ts, interval=60
            )
            gw.publish(
                "schoolnet/v1/lc-test-01/gw/telemetry", encode(report), qos=1
            ).wait_for_publish(5)
        for n, device in enumerate(("pc-01", "pc-02")):
            report = build_report(
                "lc-test-01",
                device,
                "lab_pc",
                1,
                [Sample("cpu", {"usage_percent": 10 + n})],
                interval=60,
            )
            gw.publish(
                f"schoolnet/v1/lc-test-01/{device}/telemetry", encode(report), qos=1
            ).wait_for_publish(5)
    finally:
        gw.loop_stop()
        gw.disconnect()


LAB = "so-gddt-lab"


def schools_with_a_site(tmp: Path) -> Path:
    """The two test schools and the Sở's own lab, a site of the province in Bát Xát: listed on
    the district's page, marked, and counted in no school figure."""
    path = write_schools(tmp)
    lines = path.read_text(encoding="utf-8").splitlines()
    rows = [lines[0] + ",site_of", *(line + "," for line in lines[1:])]
    rows.append(f"{LAB},Phòng máy thử nghiệm Sở GDĐT,lao-cai,bat-xat,other,Bát Xát,lao-cai")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def site(tmp_path_factory, mosquitto, influxdb):
    tmp = tmp_path_factory.mktemp("web")
    database = f"t_web_{tmp.name}".replace("-", "_")[:60]
    influxdb.create_database(database)
    port = free_port()
    registry = f"sqlite:///{tmp}/registry.sqlite3"
    conf = tmp / "collector.toml"
    conf.write_text(
        f'[mqtt]\nport = {mosquitto.port}\npassword = "collector-secret"\n'
        f'client_id = "web-{tmp.name}"\nshare_group = "web-{tmp.name}"\n'
        f'[influx]\nurl = "{influxdb.url}"\ndatabase = "{database}"\nflush_interval = 0.1\n'
        f'[registry]\nurl = "{registry}"\nschools_file = "{schools_with_a_site(tmp)}"\n'
        f'[api]\nport = {port}\n[ingest]\ndata_dir = "{tmp}/collector-data"\n'
    )
    tokens = {"province": create_token(conf, "province")}
    collector = subprocess.Popen(
        [BIN / "schoolnet-collector", "run", "--config", conf],
        stdout=open(tmp / "collector.log", "wb"),
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_port(port, timeout=60, proc=collector)
        tokens["school"] = create_token(
            conf, "school:lc-test-02"
        )  # after the school import at start
        publish_fleet(mosquitto.port)
        assert wait_until(
            lambda: (
                len(api_get(base, "/api/v1/schools/lc-test-01/devices", tokens["province"])) >= 3
            ),
            timeout=20,
        )
        assert wait_until(
            lambda: (
                len(api_get(base, "/api/v1/schools/lc-test-01/uplink", tokens["province"])) >= 3
            ),
            timeout=20,
        )
        engine = make_engine(registry)
        assign_communes(lambda: Session(engine))  # lc-test-01 in 08044, lc-test-02 in 08050
        tokens["commune"] = create_token(conf, "commune:08044")
        with Session(engine) as s:
            s.add(
                Incident(
                    key="school_offline:lc-test-01/test",
                    rule="school_offline",
                    school_id="lc-test-01",
                    severity="critical",
                    state="open",
                    summary="Trường mất kết nối Internet",
                    details={},
                    opened_at=NOW - timedelta(minutes=30),
                )
            )
            s.commit()
        engine.dispose()
        yield {"base": base, "tokens": tokens}
    finally:
        collector.send_signal(signal.SIGTERM)
        collector.wait(15)


@pytest.fixture()
def browser_page(tmp_path):
    """A fresh Chromium profile per test (no cookies carried over)."""
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            headless=True,
            accept_downloads=True,
            locale="vi-VN",
        )
        try:
            yield context, context.pages[0] if context.pages else context.new_page()
        finally:
            context.close()


def login(page, base: str, token: str, start: str = "/") -> None:
    page.goto(base + start)
    expect(page).to_have_url(f"{base}/login?next={quote(start)}")
    page.fill("#token", token)
    page.click("#login-submit")


def cells(page, selector: str) -> dict[str, dict[str, float]]:
    """{row key: {field: number}} from the data-value attributes of a table's rows."""
    return page.eval_on_selector_all(
        selector,
        """rows => Object.fromEntries(rows.map(r => [
        r.dataset.commune || r.dataset.school || r.dataset.time,
        Object.fromEntries([...r.querySelectorAll('[data-field]')].map(
            c => [c.dataset.field, c.dataset.value === 'None' ? null : Number(c.dataset.value)]))]))""",
    )


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_province_commune_and_school_pages_show_the_apis_numbers(site, browser_page):
    _context, page = browser_page
    base, token = site["base"], site["tokens"]["province"]
    login(page, base, token)
    expect(page).to_have_url(base + "/")
    expect(page.locator("h1")).to_have_text("Toàn tỉnh")
    shot(page, "province")

    fields = ("schools", "online_now", "devices", "devices_online")
    communes = {c["id"]: c for c in api_get(base, "/api/v1/communes", token)}
    shown = cells(page, "#communes tbody tr")
    assert shown == {k: {f: c[f] for f in fields} for k, c in communes.items()}
    assert shown["08044"]["devices"] >= 3
    total = cells(page, "#communes tfoot tr")["total"]
    listed = api_get(base, "/api/v1/schools", token)
    assert [x["id"] for x in listed["items"] if x["site_of"]] == [LAB]  # listed, marked
    assert total["schools"] == listed["total"] - 1 == 2  # and not counted as a school

    page.click("text=Xã Bát Xát")
    expect(page).to_have_url(base + "/communes/08044")
    api_schools = api_get(base, "/api/v1/schools?commune=08044", token)["items"]
    assert cells(page, "#schools tbody tr") == {
        s["id"]: {"devices": s["devices"], "devices_online": s["devices_online"]}
        for s in api_schools
    }
    expect(page.locator("#schools td[data-body]")).to_have_text("UBND xã/phường")
    shot(page, "commune")

    page.click("text=Trường THCS Thử Nghiệm 1")
    expect(page).to_have_url(base + "/schools/lc-test-01")
    devices = api_get(base, "/api/v1/schools/lc-test-01/devices", token)
    shown_devices = page.eval_on_selector_all(
        "#devices tbody tr", "rows => rows.map(r => [r.dataset.device, r.dataset.online])"
    )
    assert sorted(shown_devices) == sorted([d["id"], str(d["online"]).lower()] for d in devices)
    uplink = api_get(base, "/api/v1/schools/lc-test-01/uplink", token)
    shown_uplink = list(cells(page, "#uplink tbody tr").values())
    assert [(u["up"], u["rtt_ms"], u["loss_percent"]) for u in shown_uplink] == [
        (u["up"], u["rtt_ms"], u["loss_percent"]) for u in uplink
    ]
    assert 0.0 in [u["up"] for u in shown_uplink]  # the hour the link was down shows as such
    expect(page.locator("#incidents")).to_contain_text("Trường mất kết nối Internet")
    incidents = api_get(base, "/api/v1/incidents?school=lc-test-01&state=active", token)["items"]
    shown_incidents = page.eval_on_selector_all(
        "#incidents tbody tr", "rows => rows.map(r => Number(r.dataset.incident))"
    )
    assert shown_incidents == [i["id"] for i in incidents] and incidents
    expect(page.locator("#incidents")).to_contain_text("Nghiêm trọng")
    shot(page, "school")


def test_language_switch_to_english_is_remembered(site, browser_page):
    _context, page = browser_page
    base = site["base"]
    page.goto(base + "/schools/lc-test-01")  # to the login form, in Vietnamese
    expect(page.locator("h1")).to_have_text("Đăng nhập")
    page.click("#lang-switch")  # English, still going to the school afterwards
    expect(page.locator("h1")).to_have_text("Sign in")
    page.fill("#token", site["tokens"]["province"])
    page.click("#login-submit")
    expect(page).to_have_url(base + "/schools/lc-test-01")
    expect(page.locator("h2").first).to_have_text("Devices")
    page.click("#lang-switch")
    expect(page.locator("h2").first).to_have_text("Thiết bị")
    page.goto(base + "/")
    expect(page.locator("th").first).to_have_text("Xã / phường")
    page.click("#lang-switch")
    expect(page.locator("h1")).to_have_text("Province")
    page.goto(base + "/schools/lc-test-01")  # no ?lang: the cookie carries it
    expect(page.locator("h2").first).to_have_text("Devices")
    shot(page, "school-en")
    page.click("#lang-switch")
    expect(page.locator("h2").first).to_have_text("Thiết bị")


def test_numbers_and_times_follow_the_pages_language(site, browser_page):
    _context, page = browser_page
    base = site["base"]
    login(page, base, site["tokens"]["province"], start="/schools/lc-test-01")
    expect(page).to_have_url(base + "/schools/lc-test-01")
    rtt = page.locator('#uplink td[data-field="rtt_ms"]').first
    up = page.locator('#uplink td[data-field="up"]').first
    seen = page.locator("#devices tbody td:nth-child(3)").first
    hour = page.locator("#uplink tbody td:first-child").first
    value = float(rtt.get_attribute("data-value"))
    share = 100 * float(up.get_attribute("data-value"))
    expect(rtt).to_have_text(f"{value:.1f}".replace(".", ","))
    expect(up).to_have_text(f"{share:.1f}%".replace(".", ","))
    expect(seen).to_have_text(re.compile(r"^\d\d:\d\d \d\d/\d\d/\d{4}$"))
    expect(hour).to_have_text(re.compile(r"^\d\d:\d\d \d\d/\d\d$"))
    page.click("#lang-switch")
    expect(page.locator("h2").first).to_have_text("Devices")
    expect(rtt).to_have_text(f"{value:.1f}")
    expect(up).to_have_text(f"{share:.1f}%")
    expect(seen).to_have_text(re.compile(r"^\d\d/\d\d/\d{4}, \d\d:\d\d$"))
    expect(hour).to_have_text(re.compile(r"^\d\d/\d\d, \d\d:\d\d$"))


def test_session_cookie_is_httponly_and_not_the_token_and_logout_ends_it(site, browser_page):
    context, page = browser_page
    base, token = site["base"], site["tokens"]["province"]
    login(page, base, token)
    expect(page.locator("h1")).to_have_text("Toàn tỉnh")
    (cookie,) = [c for c in context.cookies() if c["name"] == "schoolnet_session"]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert cookie["value"] != token and token not in cookie["value"]
    assert "schoolnet_session" not in page.evaluate("document.cookie")
    page.click("#logout")
    expect(page).to_have_url(base + "/login")
    # The old cookie is dead on the server too, not only deleted from this browser.
    request = urllib.request.Request(
        base + "/api/v1/schools", headers={"Cookie": f"schoolnet_session={cookie['value']}"}
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=5)
    assert refused.value.code == 401


def test_wrong_token_is_refused_on_the_form(site, browser_page):
    context, page = browser_page
    login(page, site["base"], "snt_" + "x" * 43)
    expect(page.locator("#login-error")).to_be_visible()
    assert not [c for c in context.cookies() if c["name"] == "schoolnet_session"]


def test_school_token_sees_only_its_school_in_the_browser(site, browser_page):
    _context, page = browser_page
    base = site["base"]
    login(page, base, site["tokens"]["school"])
    expect(page).to_have_url(base + "/schools/lc-test-02")
    expect(page.locator("h1")).to_have_text("Trường Tiểu học Thử Nghiệm 2")
    expect(page.locator("#no-incidents")).to_be_visible()
    response = page.goto(base + "/schools/lc-test-01")
    assert response.status == 404
    response = page.goto(base + "/communes/08050")
    assert response.status == 403  # its own commune is wider than a school token
    response = page.goto(base + "/api/v1/schools")  # the API honours the session too
    assert [s["id"] for s in response.json()["items"]] == ["lc-test-02"]


def test_commune_token_lands_on_its_commune_and_sees_only_its_schools(site, browser_page):
    _context, page = browser_page
    base = site["base"]
    login(page, base, site["tokens"]["commune"])
    expect(page).to_have_url(base + "/communes/08044")
    expect(page.locator("h1")).to_have_text("Xã Bát Xát")
    assert list(cells(page, "#schools tbody tr")) == ["lc-test-01"]
    assert page.goto(base + "/communes/08050").status == 404
    assert page.goto(base + "/schools/lc-test-02").status == 404
    assert page.goto(base + "/schools/lc-test-01").status == 200
    shot(page, "commune-token")


def test_procurement_plan_downloads_as_xlsx(site, browser_page, tmp_path):
    _context, page = browser_page
    login(page, site["base"], site["tokens"]["province"], start="/plan")
    expect(page.locator("h1")).to_have_text("Kế hoạch mua sắm")
    spec = urllib.request.urlopen(site["base"] + "/openapi.json", timeout=5).read()
    if b'"/api/v1/procurement"' not in spec:
        expect(page.locator("#plan-pending")).to_be_visible()
        pytest.skip("the planning API (/api/v1/procurement) has not landed yet")
    plan = api_get(site["base"], "/api/v1/procurement?scope=province", site["tokens"]["province"])
    first = page.eval_on_selector_all(
        "#plan-summary tbody tr:first-child td[data-value]",
        "cells => cells.map(c => Number(c.dataset.value))",
    )
    total = plan["total"]
    assert first == [
        total[k] for k in ("pcs", "labs_replace", "labs_add", "projectors", "boards", "cost")
    ]
    with page.expect_download() as info:
        page.click("#download-xlsx")
    download = info.value
    assert download.suggested_filename.endswith(".xlsx"), download.suggested_filename
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames
    shot(page, "plan")


def test_plan_page_lists_every_registered_report_with_its_downloads(site, browser_page):
    from schoolnet_collector.planning.reports import REPORTS

    _context, page = browser_page
    login(page, site["base"], site["tokens"]["province"], start="/plan")
    items = page.locator("#reports li")
    expect(items).to_have_count(len(REPORTS.names()))
    for name in REPORTS.names():
        link = page.locator(f"#download-{name}-xlsx")
        assert link.get_attribute("href") == f"/api/v1/reports/{name}?format=xlsx&scope=province"
    expect(page.locator("#report-readiness strong")).to_have_text(
        "Mức độ sẵn sàng so với chỉ tiêu kế hoạch"
    )


@contextmanager
def another_site(html: str) -> Iterator[str]:
    """A page served from another origin (another port of 127.0.0.1), as a hostile site."""
    body = html.encode("utf-8")

    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def test_a_login_posted_from_another_site_opens_no_session(site, browser_page):
    """Login CSRF: another site's page posts its owner's token to /login from the teacher's
    browser; the teacher must not end up signed in as someone else."""
    context, page = browser_page
    base = site["base"]
    page.goto(base + "/login")  # the browser has been here before: it holds a CSRF cookie
    hostile = (
        f'<form id="f" method="post" action="{base}/login">'
        f'<input name="token" value="{site["tokens"]["province"]}">'
        '<input name="next" value="/"></form><script>f.submit()</script>'
    )
    with another_site(hostile) as url:
        page.goto(url)
        page.wait_for_url(base + "/login")
    expect(page.locator("#login-forged")).to_be_visible()
    assert not [c for c in context.cookies() if c["name"] == "schoolnet_session"]
    page.fill("#token", site["tokens"]["province"])  # this site's own form still signs in
    page.click("#login-submit")
    expect(page).to_have_url(base + "/")
