"""Access control on every route: tokens, scopes, roles, expiry, and no leak across schools.

The routes are enumerated from the application itself, so a route added later is checked
without anyone remembering to add it here. Each path parameter must be fillable from the
seeded world below; a parameter this file does not know is a failure, not a skip, so the
author of a new kind of route has to say here which object it names.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta, timezone

import pytest
import schemathesis
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from fastapi import HTTPException
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import func, inspect, select

from devenv.services import free_port
from schoolnet_collector.api.auth import Caller, get_clock
from schoolnet_collector.app import create_app
from schoolnet_collector.cli import main as cli_main
from schoolnet_collector.commands.token import parse_expiry
from schoolnet_collector.core.access import Scope, TokenError
from schoolnet_collector.planning.reports import REPORTS
from schoolnet_collector.registry.alerting_models import Contact, Incident, MaintenanceWindow
from schoolnet_collector.registry.db import MIGRATIONS, make_engine, migrate, session_factory
from schoolnet_collector.registry.models import Base, Device, School, Unit
from schoolnet_collector.registry.schools import import_schools
from schoolnet_collector.registry.tokens import (
    WebSession,
    create_token,
    digest,
    find_token,
    find_web_session,
    open_web_session,
    revoke_token,
)
from schoolnet_collector.runtime import Runtime
from tests.support.backends import REGISTRY_BACKENDS
from tests.support.collector import bearer, collector_settings, make_token, write_schools
from tests.support.web import csrf_token, post_form

NOW = datetime.now(timezone.utc).replace(microsecond=0)
OPEN_ROUTES = {
    "/health",
    "/openapi.json",
    "/docs",
    "/docs/oauth2-redirect",
    "/redoc",
    "/static",
    "/login",
    "/logout",
    "/act/{token}",
}
"""Routes anyone may call: /health answers status only without a token (see its docstring);
the login form and static files are what a browser needs before it has a session; an e-mail's
action link is its own credential (signed, one incident, once: tests/collector/notify/
test_actions.py tries it changed, expired, used and posted from elsewhere)."""

OWN_GATE_ROUTES = {"/metrics"}
"""Routes with an access rule of their own instead of a school token: /metrics answers only the
monitoring networks in `[api.metrics] allow_from` (and, when set, its own scrape token), so a
school token neither opens nor closes it; tests/collector/api/routes/test_metrics.py checks that
gate, including a refusal from every other address."""

# The seeded world: school A (ours, a THCS) in commune 08044 (once district bat-xat), school B
# (a primary school) in 08050 (once sa-pa), and a THPT standing in our commune but run by the Sở.
OURS, THEIRS, SO_RUN = "lc-test-01", "lc-test-02", "lc-test-03"
DISTRICT = {OURS: "bat-xat", THEIRS: "sa-pa"}
COMMUNE = {OURS: "08044", THEIRS: "08050"}


UNIT_PARAMETERS = {"report": REPORTS.names()}
"""Path parameters that name a kind of unit (a report), not an object of a school: such a
route is checked once per registered unit, as the plain route it is for that unit, so a report
added to the registry gets every check below without a line here."""


def per_unit(path: str) -> list[str]:
    for name, units in UNIT_PARAMETERS.items():
        if f"{{{name}}}" in path:
            return [path.replace(f"{{{name}}}", unit) for unit in units]
    return [path]


def app_routes(app) -> list[tuple[str, str]]:
    """(method, path) of every route the application serves, static mounts included."""
    out = []
    for ctx in iter_route_contexts(app.routes):
        for method in sorted(getattr(ctx, "methods", None) or {"GET"}):
            if method != "HEAD":
                out += [(method, path) for path in per_unit(ctx.path_format)]
    return out


def is_open(path: str) -> bool:
    return path in OPEN_ROUTES or path in OWN_GATE_ROUTES or path.startswith("/static")


APP = create_app(None)  # the schema and route list need no runtime
SPEC = schemathesis.openapi.from_asgi("/openapi.json", APP)
OPENAPI = APP.openapi()
ROUTES = [r for r in app_routes(APP) if not is_open(r[1])]


def operation(method: str, path: str):
    try:
        return SPEC.find_operation_by_label(f"{method} {path}")
    except LookupError:
        return None  # a page, not in the API schema


def required_query(method: str, path: str) -> list[str]:
    op = operation(method, path)
    return [] if op is None else [p.name for p in op.query if p.is_required]


def takes_an_object(route: tuple[str, str]) -> bool:
    """A path parameter, a required query parameter or a body field names a school, device,
    incident..."""
    return "{" in route[1] or bool(required_query(*route)) or body_takes_an_object(*route)


def seed(rt) -> dict[str, dict[str, object]]:
    """Fresh objects of each school (an incident, a contact, a maintenance window), so a
    route that deletes or changes one does not take it away from the next test."""
    return {school: seed_school(rt, school) for school in (OURS, THEIRS)}


def seed_school(rt, school: str) -> dict[str, object]:
    with rt.sessions() as s:
        incident = Incident(
            key=f"school_offline:{school}:{uuid.uuid4().hex}",
            rule="school_offline",
            school_id=school,
            severity="critical",
            state="open",
            summary=f"{school} offline",
            details={},
            opened_at=NOW,
        )
        contact = Contact(name=f"IT {school}", role="school_it", school_id=school)
        contact.set_addresses("email", [f"it@{school}.example.invalid"])
        window = MaintenanceWindow(
            school_id=school,
            starts_at=NOW,
            ends_at=NOW + timedelta(hours=1),
            reason="thay máy",
            created_at=NOW,
        )
        s.add_all([incident, contact, window])
        s.commit()
        return {
            "school_id": school,
            "school": school,
            "district_id": DISTRICT.get(school, "bat-xat"),
            "district": DISTRICT.get(school, "bat-xat"),
            "commune_id": COMMUNE.get(school, COMMUNE[OURS]),
            "commune": COMMUNE.get(school, COMMUNE[OURS]),
            "device_id": "gw",
            "incident_id": incident.id,
            "contact_id": contact.id,
            "window_id": window.id,
            "maintenance_id": window.id,
        }


@pytest.fixture(scope="module")
def world(tmp_path_factory, mosquitto, influxdb):
    """A registry with two schools in two communes, each with a gateway device and uplink
    history in InfluxDB, and a THPT of the Sở in our commune; tokens of each scope for school
    A, and one stored with a district scope from before the 2025 reform."""
    tmp = tmp_path_factory.mktemp("access")
    database = f"t_access_{tmp.name}"[:60].replace("-", "_")
    influxdb.create_database(database)
    rt = Runtime.open(collector_settings(tmp, mosquitto, influxdb, database))
    rt.connect_store()
    with rt.sessions() as s:
        s.add_all(
            [
                Unit(code="lao-cai", name="Tỉnh Lào Cai", type="tinh", updated_at=NOW),
                Unit(code="08044", name="Xã Bát Xát", type="xa", parent="lao-cai", updated_at=NOW),
                Unit(
                    code="08050",
                    name="Phường Sa Pa",
                    type="phuong",
                    parent="lao-cai",
                    updated_at=NOW,
                ),
                School(
                    id=SO_RUN,
                    name="Trường THPT Thử Nghiệm 3",
                    province="lao-cai",
                    legacy_district="bat-xat",
                    level="thpt",
                    commune=COMMUNE[OURS],
                    updated_at=NOW,
                ),
            ]
        )
        for school, commune in COMMUNE.items():
            s.get(School, school).commune = commune
        s.commit()
        legacy, legacy_secret = create_token(
            s, role="admin", scope=Scope("commune", "x"), name="old district", now=NOW
        )
        legacy.scope_kind, legacy.scope_id = "district", DISTRICT[OURS]  # as migration 0008 left it
        s.commit()
    with rt.sessions() as s:
        for school in (OURS, THEIRS, SO_RUN):
            s.add(
                Device(
                    school_id=school,
                    device_id="gw",
                    kind="gateway",
                    first_seen=NOW,
                    last_seen=NOW,
                    last_seq=1,
                    interval_seconds=60,
                    available=True,
                )
            )
        s.commit()
    ms = int(NOW.timestamp() * 1000) - 3_600_000
    assert (
        rt.store.write(
            [
                f"uplink,school={sch},device=gw up=1,rtt_ms=30,loss_percent=0 {ms}"
                for sch in (OURS, THEIRS)
            ]
        ).written
        == 2
    )
    tokens = {
        "province": make_token(rt, "province", role="admin"),
        "commune": make_token(rt, f"commune:{COMMUNE[OURS]}", role="admin"),
        "school": make_token(rt, f"school:{OURS}", role="admin"),
        "legacy": legacy_secret,
    }
    app = create_app(rt)
    with TestClient(app) as client:
        yield {"client": client, "tokens": tokens, "runtime": rt, "app": app, "ids": seed(rt)}
    rt.close()


@pytest.fixture()
def ids(world):
    return seed(world["runtime"])


def fill(path: str, values: dict[str, object]) -> str:
    def one(m: re.Match) -> str:
        name = m.group(1).split(":")[0]
        assert name in values, (
            f"{path}: this test does not know what {{{name}}} names; add it "
            "to the seeded world in tests/test_api_access.py"
        )
        return str(values[name])

    return re.sub(r"\{([^}]+)\}", one, path)


BODY_IDS = ("school_id", "school", "device_id", "incident_id")
"""Body fields that name an object: filled like path parameters, so a route that takes a
school in its body (creating a maintenance window, a contact) is checked like the others."""


def resolve(schema: dict) -> dict:
    while "$ref" in schema:
        schema = OPENAPI["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def minimal(schema: dict, values: dict[str, object], name: str = ""):
    """The plainest instance of a JSON schema (required fields only, plus the object ids we
    know), so a refusal is the scope check and not a 422 for an odd generated value."""
    schema = resolve(schema)
    if name in BODY_IDS and name in values:
        return values[name]
    kind = schema.get("type")
    if kind != "object" and "properties" not in schema:  # an object's combinators only narrow it
        for key in ("anyOf", "oneOf", "allOf"):
            if key in schema:
                options = [o for o in schema[key] if resolve(o).get("type") != "null"]
                return minimal(options[0], values, name)
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        wanted = set(schema.get("required", [])) | {
            k for k in props if k in BODY_IDS and k in values
        }
        # one way to reach a person (a contact needs at least one)
        wanted |= {k for k, v in props.items() if "email" in (k, minimal_format(v))}
        return {k: minimal(props[k], values, k) for k in props if k in wanted}
    if kind == "array":
        return [minimal(schema.get("items", {}), values) for _ in range(schema.get("minItems", 0))]
    if kind in ("integer", "number"):
        return max(schema.get("minimum", 1), schema.get("exclusiveMinimum", 0) + 1)
    if kind == "boolean":
        return False
    later = "end" in name or "until" in name
    fmt = schema.get("format")
    if name == "email":
        fmt = "email"
    if fmt == "date-time":
        return (NOW + timedelta(hours=1 if later else 0)).isoformat()
    if fmt == "date":
        return (NOW + timedelta(days=1 if later else 0)).date().isoformat()
    if fmt == "time":
        return "17:00:00" if later or "close" in name else "07:00:00"
    if fmt == "email":
        return "it@example.invalid"
    return "x" * max(1, schema.get("minLength", 1))


def minimal_format(schema: dict) -> str | None:
    schema = resolve(schema)
    options = schema.get("anyOf") or [schema]
    return next((resolve(o).get("format") for o in options if resolve(o).get("format")), None)


def body_schema(method: str, path: str) -> dict | None:
    op = OPENAPI["paths"].get(path, {}).get(method.lower(), {})
    return op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")


def body_for(method: str, path: str, values: dict[str, object]):
    schema = body_schema(method, path)
    return None if schema is None else minimal(schema, values)


def body_takes_an_object(method: str, path: str) -> bool:
    schema = body_schema(method, path)
    return schema is not None and any(k in BODY_IDS for k in resolve(schema).get("properties", {}))


SCOPED = [r for r in ROUTES if takes_an_object(r)]
LISTS = [r for r in ROUTES if r[0] == "GET" and not takes_an_object(r)]


def call(
    world, method: str, path: str, token: str, values: dict | None = None, follow: bool = False
):
    values = values or {}
    params = {}
    for name in required_query(method, path):
        assert name in values, f"{path}: the test does not know what ?{name}= names"
        params[name] = values[name]
    return world["client"].request(
        method,
        fill(path, values) if values else path,
        params=params,
        headers=bearer(world["tokens"][token]),
        follow_redirects=follow,
        json=body_for(method, path, values),
    )


def test_routes_are_enumerated_including_path_parameters():
    paths = {p for _, p in ROUTES}
    assert "/api/v1/schools/{school_id}/devices" in paths and "/api/v1/dead-letters" in paths
    assert any("{" in p for p in paths)
    assert {f"/api/v1/reports/{name}" for name in REPORTS.names()} <= paths
    assert {"/api/v1/reports", "/api/v1/readiness", "/api/v1/procurement"} <= paths


@pytest.mark.parametrize("method,path", SCOPED, ids=str)
def test_school_token_gets_403_or_404_for_other_schools_objects(world, ids, method, path):
    theirs = call(world, method, path, "school", ids[THEIRS])
    assert theirs.status_code in (403, 404), (path, theirs.status_code, theirs.text[:300])
    # The same route filled with the school's own objects is not refused for scope: so the
    # 403/404 above is the scope check, not a wrongly filled path.
    ours = call(world, method, path, "school", ids[OURS])
    if "{commune" in path:  # a commune-wide view is wider than a school token
        assert ours.status_code == 403, (path, ours.status_code, ours.text[:300])
    else:
        assert ours.status_code not in (401, 403, 404), (path, ours.status_code, ours.text[:300])
    # ... and a province token reaches the other school's objects.
    province = call(world, method, path, "province", seed(world["runtime"])[THEIRS])
    assert province.status_code not in (401, 403, 404), (
        path,
        province.status_code,
        province.text[:300],
    )


@pytest.mark.parametrize("method,path", SCOPED, ids=str)
def test_commune_token_gets_403_or_404_for_other_communes_objects(world, ids, method, path):
    theirs = call(world, method, path, "commune", ids[THEIRS])
    assert theirs.status_code in (403, 404), (path, theirs.status_code, theirs.text[:300])
    ours = call(world, method, path, "commune", ids[OURS])
    assert ours.status_code not in (401, 403, 404), (path, ours.status_code, ours.text[:300])


@pytest.mark.parametrize(
    "method,path", [r for r in SCOPED if not re.search(r"{(commune|district)", r[1])], ids=str
)
def test_commune_token_cannot_reach_the_so_s_school_in_its_commune(world, method, path):
    """A THPT standing in the commune is run by the Sở: the commune's token is refused on it
    as on any other school's objects."""
    so_run = seed_school(world["runtime"], SO_RUN)
    r = call(world, method, path, "commune", so_run)
    assert r.status_code in (403, 404), (path, r.status_code, r.text[:300])
    province = call(world, method, path, "province", seed_school(world["runtime"], SO_RUN))
    assert province.status_code not in (401, 403, 404), (path, province.status_code)


@pytest.mark.parametrize("method,path", ROUTES, ids=str)
def test_a_district_scope_from_before_the_reform_is_refused_everywhere(world, method, path):
    """Never widened or narrowed to a guess: the stored district token gets 403 and a message
    that says to issue a commune scope, on every route."""
    r = call(world, method, path, "legacy", world["ids"][OURS])
    assert r.status_code == 403, (path, r.status_code, r.text[:300])
    assert "commune" in r.text and "1 July 2025" in r.text, (path, r.text[:300])


@pytest.mark.parametrize("method,path", LISTS, ids=str)
def test_lists_show_a_school_token_nothing_of_other_schools(world, method, path):
    r = call(world, method, path, "school", follow=True)  # "/" sends a school to its own page
    assert r.status_code == 200, (path, r.status_code, r.text[:300])
    assert THEIRS not in r.text and DISTRICT[THEIRS] not in r.text, path
    # (quoted: a bare "08050" can be part of a figure such as 12.080503)
    assert f'"{COMMUNE[THEIRS]}"' not in r.text and SO_RUN not in r.text, path
    # Filtering by the other school, commune or district reveals nothing either.
    for param in ("school", "commune", "district", "school_id"):
        r = world["client"].get(
            path,
            params={param: world["ids"][THEIRS].get(param, THEIRS)},
            headers=bearer(world["tokens"]["school"]),
            follow_redirects=True,
        )
        assert r.status_code in (200, 403, 404, 422), (path, param, r.status_code)
        assert THEIRS not in r.text and DISTRICT[THEIRS] not in r.text, (path, param)


@pytest.mark.parametrize("method,path", ROUTES, ids=str)
def test_every_route_refuses_no_token_and_a_wrong_one(world, method, path):
    values = world["ids"][OURS]
    url = fill(path, values)
    client = world["client"]
    for headers in (
        {},
        bearer("snt_" + "x" * 43),
        bearer("not-even-a-token"),
        bearer(world["tokens"]["province"][:-1]),
    ):
        r = client.request(
            method,
            url,
            headers=headers,
            follow_redirects=False,
            params={n: values[n] for n in required_query(method, path)},
            json=body_for(method, path, values),
        )
        # API routes answer 401; web pages send the browser to the login form instead.
        assert r.status_code in (401, 303), (path, headers, r.status_code)
        assert "/login" in r.headers.get("location", "/login")


def test_lists_are_filtered_to_the_scope(world):
    client, tokens = world["client"], world["tokens"]
    seen = {
        name: [s["id"] for s in client.get("/api/v1/schools", headers=bearer(tok)).json()["items"]]
        for name, tok in tokens.items()
        if name != "legacy"  # refused: see the test above
    }
    assert seen == {"province": [OURS, THEIRS, SO_RUN], "commune": [OURS], "school": [OURS]}
    communes = client.get("/api/v1/communes", headers=bearer(tokens["commune"])).json()
    assert [(c["id"], c["schools"], c["devices"]) for c in communes] == [("08044", 1, 1)]
    everyone = client.get("/api/v1/communes/08044", headers=bearer(tokens["province"])).json()
    assert (
        everyone["schools"] == 2 and {"id": "province", "schools": 1} in everyone["managing_bodies"]
    )
    districts = client.get("/api/v1/districts", headers=bearer(tokens["commune"])).json()
    assert [(d["id"], d["schools"], d["devices"]) for d in districts] == [("bat-xat", 1, 1)]
    assert (
        client.get("/api/v1/districts/sa-pa", headers=bearer(tokens["province"])).json()["schools"]
        == 1
    )
    assert (
        client.get("/api/v1/districts/nowhere", headers=bearer(tokens["province"])).status_code
        == 404
    )
    uplink = client.get(f"/api/v1/schools/{OURS}/uplink", headers=bearer(tokens["school"])).json()
    assert [(u["up"], u["rtt_ms"]) for u in uplink] == [(1.0, 30.0)]


def test_out_of_scope_and_missing_objects_answer_alike(world):
    client, token = world["client"], bearer(world["tokens"]["school"])
    theirs = client.get(f"/api/v1/schools/{THEIRS}/devices", headers=token)
    missing = client.get("/api/v1/schools/lc-nowhere/devices", headers=token)
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json() == missing.json()


def test_health_without_a_token_is_status_only(world):
    client = world["client"]
    bare = client.get("/health")
    assert bare.status_code == 200 and bare.json()["status"] == "ok"
    assert bare.json()["broker"] is None and bare.json()["ingest"] == {}
    school = client.get("/health", headers=bearer(world["tokens"]["school"])).json()
    assert school["registry"] is None
    full = client.get("/health", headers=bearer(world["tokens"]["province"])).json()
    assert full["registry"]["ok"] and full["registry"]["detail"] == "sqlite"


def test_expired_and_revoked_tokens_are_refused(world):
    rt, app, client = world["runtime"], world["app"], world["client"]
    expiring = make_token(rt, "province", expires_at=NOW + timedelta(days=1), name="short")
    assert client.get("/api/v1/schools", headers=bearer(expiring)).status_code == 200
    app.dependency_overrides[get_clock] = lambda: lambda: NOW + timedelta(days=1, seconds=1)
    try:
        r = client.get("/api/v1/schools", headers=bearer(expiring))
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
        assert (
            client.get("/api/v1/schools", headers=bearer(world["tokens"]["province"])).status_code
            == 200
        )
    finally:
        app.dependency_overrides.pop(get_clock)
    revoked = make_token(rt, "province", name="to revoke")
    with rt.sessions() as s:
        revoke_token(s, revoked[:12], NOW)
    assert client.get("/api/v1/schools", headers=bearer(revoked)).status_code == 401


def test_tokens_are_stored_hashed_and_found_only_whole(world):
    rt = world["runtime"]
    secret = world["tokens"]["province"]
    assert re.fullmatch(r"snt_[A-Za-z0-9_-]{43}", secret)  # 32 random bytes
    with rt.engine.connect() as conn:
        dump = "\n".join(str(row) for row in conn.exec_driver_sql("SELECT * FROM api_tokens"))
    assert secret not in dump and secret[:12] in dump
    with rt.sessions() as s:
        assert find_token(s, secret, NOW) is not None
        assert find_token(s, secret[:-1] + ("A" if secret[-1] != "A" else "B"), NOW) is None
        assert find_token(s, "", NOW) is None


@pytest.mark.parametrize(
    "text,error",
    [
        ("county", "expected province"),
        ("commune:", "commune id"),
        ("district:bat-xat", "district scopes ended"),
        ("school:A B", "school id"),
        ("province:x", "expected province"),
    ],
)
def test_bad_scopes_are_named(text, error):
    with pytest.raises(TokenError, match=error):
        Scope.parse(text)


def test_caller_scope_helpers():
    commune = Caller("viewer", "commune", "08044", "t")
    school = Caller("operator", "school", OURS, "t")
    province = Caller("admin", "province", None, "t")
    assert commune.covers_scope("school:x") is False  # cannot tell without a session: no
    assert commune.covers_scope("commune:08044") and not commune.covers_scope("province")
    assert not commune.covers_scope("commune:08050") and not commune.covers_scope(
        "district:bat-xat"
    )
    assert school.covers_scope(f"school:{OURS}") and not school.covers_scope("commune:08044")
    assert province.covers_scope("commune:08050") and not province.covers_scope("nonsense")
    assert school.has_role("viewer") and not school.has_role("admin")
    assert commune.resolve_scope(None) == Scope("commune", "08044")
    assert commune.resolve_scope("commune:08044") == Scope("commune", "08044")
    with pytest.raises(HTTPException) as wider:
        school.resolve_scope("province")
    assert wider.value.status_code == 403
    with pytest.raises(HTTPException) as malformed:
        school.resolve_scope("county")
    assert malformed.value.status_code == 422
    assert commune.sees_school(School(id=THEIRS, commune="08044", level="tieu_hoc"))
    # Standing in the commune is not enough: the Sở runs a THPT, unless the row says otherwise.
    assert not commune.sees_school(School(id=SO_RUN, commune="08044", level="thpt"))
    assert commune.sees_school(
        School(id="x", commune="08044", level="lien_cap", managing_body_override="commune")
    )
    assert not commune.sees_school(School(id="y", commune="08050", level="thcs"))
    assert not school.sees_school(School(id=THEIRS, commune="08044", level="thcs"))


# --- the token command ---------------------------------------------------------------------
@pytest.fixture()
def registry_conf(tmp_path):
    """A collector config with a registry holding the two test schools."""
    url = f"sqlite:///{tmp_path}/registry.sqlite3"
    engine = make_engine(url)
    migrate(engine)
    with session_factory(engine)() as session:
        import_schools(session, write_schools(tmp_path))
    engine.dispose()
    conf = tmp_path / "collector.toml"
    conf.write_text(f'[registry]\nurl = "{url}"\n')
    return conf


def token_cli(capsys, *argv: str) -> tuple[int, str, str]:
    try:
        code = cli_main(["token", *argv])
    except SystemExit as exc:  # argparse refusals
        code = exc.code
    out = capsys.readouterr()
    return code, out.out, out.err


def test_token_create_prints_the_token_once_and_list_shows_only_its_prefix(registry_conf, capsys):
    code, out, err = token_cli(
        capsys,
        "create",
        "--config",
        str(registry_conf),
        "--role",
        "operator",
        "--scope",
        "school:lc-test-01",
        "--name",
        "GV Tin học",
        "--expires",
        "30d",
    )
    assert code == 0 and re.fullmatch(r"snt_[A-Za-z0-9_-]{43}\n", out), (out, err)
    token = out.strip()
    assert "not shown again" in err and token not in err
    code, out, _ = token_cli(capsys, "list", "--config", str(registry_conf))
    assert code == 0 and token[:12] in out and token not in out
    assert (
        "operator" in out and "school:lc-test-01" in out and "active" in out and "GV Tin học" in out
    )
    code, out, _ = token_cli(capsys, "revoke", "--config", str(registry_conf), token[:12])
    assert code == 0 and "revoked token 1" in out
    _, out, _ = token_cli(capsys, "list", "--config", str(registry_conf))
    assert "revoked" in out


@pytest.mark.parametrize(
    "args,message",
    [
        (
            ["--role", "viewer", "--scope", "school:lc-nowhere"],
            "school 'lc-nowhere' is not in the registry",
        ),
        (
            ["--role", "viewer", "--scope", "commune:nowhere"],
            "commune 'nowhere' is not in the registry",
        ),
        (
            ["--role", "viewer", "--scope", "district:bat-xat"],
            "district scopes ended with the district education offices on 1 July 2025",
        ),
        (
            ["--role", "viewer", "--scope", "county:x"],
            "expected province, commune:<code> or school:<id>",
        ),
        (["--role", "viewer", "--scope", "province", "--expires", "soon"], "--expires 'soon'"),
        (
            ["--role", "viewer", "--scope", "province", "--expires", "2020-01-01"],
            "is not in the future",
        ),
        (["--role", "viewer", "--scope", "province", "--name", "x" * 101], "name must be 1 to 100"),
        (["--role", "boss", "--scope", "province"], "invalid choice: 'boss'"),
        (["--scope", "province"], "--role"),
    ],
)
def test_token_create_refuses_bad_arguments_by_name(registry_conf, capsys, args, message):
    code, out, err = token_cli(capsys, "create", "--config", str(registry_conf), *args)
    assert code == 2 and out == "" and message in err, err
    _, listed, _ = token_cli(capsys, "list", "--config", str(registry_conf))
    assert "snt_" not in listed  # nothing was created


def test_token_revoke_names_what_it_cannot_find(registry_conf, capsys):
    code, _, err = token_cli(capsys, "revoke", "--config", str(registry_conf), "42")
    assert code == 2 and "no token '42'" in err


def test_token_command_with_a_broken_config_says_so(tmp_path, capsys):
    conf = tmp_path / "collector.toml"
    conf.write_text("[registry\n")
    code, _, err = token_cli(capsys, "list", "--config", str(conf))
    assert code == 2 and "config error" in err


@pytest.mark.parametrize(
    "text,expected",
    [
        ("2027-06-30", datetime(2027, 6, 30, 17, 0, tzinfo=timezone.utc)),  # end of that day, UTC+7
        ("2027-06-30T08:00+07:00", datetime(2027, 6, 30, 1, 0, tzinfo=timezone.utc)),
        ("12h", NOW + timedelta(hours=12)),
        ("90d", NOW + timedelta(days=90)),
    ],
)
def test_expiry_forms(text, expected):
    assert parse_expiry(text, NOW) == expected


# --- browser sessions ----------------------------------------------------------------------
def login_form(client, token: str, next_: str = "/", **extra):
    return post_form(
        client, "/login", {"token": token, "next": next_, **extra}, follow_redirects=False
    )


def test_login_opens_a_session_that_expires_after_a_working_day(world):
    app, client = world["app"], world["client"]
    app.dependency_overrides[get_clock] = lambda: lambda: NOW
    try:
        r = login_form(client, world["tokens"]["commune"], "/communes/08044")
        assert r.status_code == 303 and r.headers["location"] == "/communes/08044"
        cookie = r.cookies["schoolnet_session"]
        assert cookie != world["tokens"]["commune"]
        set_cookie = r.headers["set-cookie"].lower()
        assert "httponly" in set_cookie and "samesite=strict" in set_cookie
        client.cookies.clear()
        page = client.get("/communes/08044", headers={"Cookie": f"schoolnet_session={cookie}"})
        assert page.status_code == 200 and "Xã Bát Xát" in page.text
        assert OURS in page.text and SO_RUN not in page.text
        app.dependency_overrides[get_clock] = lambda: lambda: NOW + timedelta(hours=12, seconds=1)
        late = client.get(
            "/communes/08044",
            headers={"Cookie": f"schoolnet_session={cookie}"},
            follow_redirects=False,
        )
        assert late.status_code == 303 and late.headers["location"].startswith("/login")
        # The next login clears sessions that ran out.
        assert login_form(client, world["tokens"]["commune"]).status_code == 303
        with world["runtime"].sessions() as s:
            assert (
                s.scalar(
                    select(func.count())
                    .select_from(WebSession)
                    .where(WebSession.session_hash == digest(cookie))
                )
                == 0
            )
    finally:
        app.dependency_overrides.pop(get_clock)
        client.cookies.clear()


@pytest.mark.parametrize(
    "form, status",
    [
        ({}, 401),
        ({"token": ""}, 401),
        ({"token": "snt_" + "x" * 43}, 401),
        ({"token": "x" * 5000}, 403),  # over 4 KiB: read as empty, its CSRF token with it
        ({"token": "\u0000\u00ff%%%"}, 401),
    ],
)
def test_login_refuses_bad_forms_with_the_form_again(world, form, status):
    r = post_form(world["client"], "/login", form, follow_redirects=False)
    assert r.status_code == status and 'id="token"' in r.text
    assert "schoolnet_session" not in r.headers.get("set-cookie", "")


@pytest.mark.parametrize(
    "target", ["//evil.example/x", "https://evil.example/", "\\\\evil", "javascript:alert(1)"]
)
def test_login_never_redirects_off_site(world, target):
    r = login_form(world["client"], world["tokens"]["school"], target)
    assert r.status_code == 303 and r.headers["location"] == "/"
    world["client"].cookies.clear()


@pytest.mark.parametrize(
    "headers, csrf",
    [
        ({"Origin": "http://evil.example"}, "form"),  # another site, even with a good token
        ({"Origin": "null"}, "form"),  # a sandboxed frame or a data: page
        ({"Referer": "http://evil.example/page"}, "form"),  # an old browser: no Origin
        ({}, None),  # no token: the form is not this site's
        ({}, "x" * 43),  # a token of the right shape, not this browser's
    ],
)
def test_login_csrf_opens_no_session(world, headers, csrf):
    client = world["client"]
    client.cookies.clear()
    good = csrf_token(client)
    form = {"token": world["tokens"]["school"], "next": "/"}
    if csrf:
        form["csrf"] = good if csrf == "form" else csrf
    r = client.post("/login", data=form, headers=headers, follow_redirects=False)
    assert r.status_code == 403 and 'id="login-forged"' in r.text, r.text
    assert "schoolnet_session" not in r.headers.get("set-cookie", "")
    ours = client.post(
        "/login",
        data={**form, "csrf": good},
        headers={"Origin": "http://testserver"},
        follow_redirects=False,
    )
    assert ours.status_code == 303 and "schoolnet_session" in ours.cookies  # this site's form
    client.cookies.clear()


def test_logout_from_another_site_keeps_the_session(world):
    client = world["client"]
    client.cookies.clear()
    assert login_form(client, world["tokens"]["school"]).status_code == 303
    forged = client.post(
        "/logout",
        data={"csrf": client.cookies["schoolnet_csrf"]},
        headers={"Origin": "http://evil.example"},
        follow_redirects=False,
    )
    assert forged.status_code == 403
    assert client.get("/", follow_redirects=False).headers["location"].startswith("/schools/")
    ours = client.post("/logout", data={"csrf": csrf_token(client)}, follow_redirects=False)
    assert ours.status_code == 303 and ours.headers["location"] == "/login"
    assert client.get("/", follow_redirects=False).headers["location"].startswith("/login")
    client.cookies.clear()


def test_garbage_session_cookie_is_sent_to_login(world):
    for value in ("", "x", "y" * 500):
        r = world["client"].get(
            "/", headers={"Cookie": f"schoolnet_session={value}"}, follow_redirects=False
        )
        assert r.status_code == 303 and r.headers["location"].startswith("/login")
    world["client"].cookies.clear()


# --- the token tables on both registry backends ---------------------------------------------
TOKEN_TABLES = {"api_tokens", "web_sessions"}


@pytest.fixture(params=REGISTRY_BACKENDS)
def token_engine(request, tmp_path):
    url = (
        f"sqlite:///{tmp_path / 'registry.sqlite3'}"
        if request.param == "sqlite"
        else request.getfixturevalue("postgresql_url")
    )
    engine = make_engine(url)
    migrate(engine)
    yield engine
    engine.dispose()


def test_token_tables_are_what_the_models_describe_and_go_down_and_up(token_engine):
    with token_engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert [d for d in diff if any(table in repr(d) for table in TOKEN_TABLES)] == []
    with session_factory(token_engine)() as s:
        row, secret = create_token(s, role="viewer", scope=Scope("province"), name="pg", now=NOW)
        cookie = open_web_session(s, row, NOW, NOW + timedelta(hours=1))
        assert find_token(s, secret, NOW).id == row.id
        assert find_web_session(s, cookie, NOW).id == row.id
        revoke_token(s, str(row.id), NOW)
        assert find_token(s, secret, NOW) is None and find_web_session(s, cookie, NOW) is None
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with token_engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0004")
    assert not TOKEN_TABLES & set(inspect(token_engine).get_table_names())
    migrate(token_engine)
    assert set(inspect(token_engine).get_table_names()) >= TOKEN_TABLES


# --- bad requests on the routes added with access control ----------------------------------
@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/schools/{OURS}/uplink?hours=0",
        f"/api/v1/schools/{OURS}/uplink?hours=745",
        f"/api/v1/schools/{OURS}/uplink?hours=x",
        "/api/v1/schools/" + "x" * 64,
        "/api/v1/districts/" + "x" * 64,
        "/api/v1/schools?offset=1000001",
    ],
)
def test_bad_parameters_are_named(world, path):
    r = world["client"].get(path, headers=bearer(world["tokens"]["province"]))
    assert r.status_code == 422 and r.json()["detail"][0]["loc"], r.text


def test_uplink_history_with_influxdb_down_is_a_503_and_the_school_page_still_shows(
    tmp_path, mosquitto, influxdb
):
    rt = Runtime.open(
        collector_settings(
            tmp_path,
            mosquitto,
            influxdb,
            "t_unused",
            influx={"url": f"http://127.0.0.1:{free_port()}", "timeout": 1},
        )
    )
    try:
        token = bearer(make_token(rt, f"school:{OURS}"))
        with TestClient(create_app(rt)) as client:
            r = client.get(f"/api/v1/schools/{OURS}/uplink", headers=token)
            assert r.status_code == 503 and "uplink history unavailable" in r.json()["detail"]
            page = client.get(f"/schools/{OURS}", headers=token)
            assert page.status_code == 200 and 'class="error"' in page.text
            assert "Trường THCS Thử Nghiệm 1" in page.text
    finally:
        rt.close()
