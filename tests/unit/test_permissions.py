"""The permission table (services/common/permissions.yaml), cell by cell, against the real service apps.

For every service, every endpoint and every role: a role the table lists gets past the check, every
other role gets 403 naming the rule; for "own" cells a request naming a region outside the caller's
is refused and one inside passes. Every route every service serves is in the table, and every row
of the table is served.

Object level: every role × every route that names an object × an object inside and one outside the
caller's county (written into the service's own tables, objects_by_region): an "own" cell reaches the
one inside and is refused (403, naming the object's region) the one outside; an "all" cell reaches both.
"""
from __future__ import annotations

import importlib
import re

import pytest

from services.common import contracts, permissions
from services.common.approval import may_approve
from services.common.auth import ROLES, Identity, headers_for
from services.common.http import BadRequest
from tests.helpers import offline_settings
from tests.unit.objects_by_region import seed

SERVICES = ["demand", "resources", "matching", "logistics"]
TABLE = permissions.table()
CITY, INSIDE, OUTSIDE = "330100", "330106", "330783"  # Hangzhou; Xihu lies in it, Dongyang does not


@pytest.fixture(scope="module")
def apps(tmp_path_factory):
    """service → (its OpenAPI operations by endpoint, its Flask app), built by the service's factory."""
    built, runtimes = {}, []
    for name in SERVICES:
        module = importlib.import_module(f"services.{name}.bootstrap")
        runtime = module.build_runtime(offline_settings(name, tmp_path_factory.mktemp(name)))
        app = module.create_app(runtime)
        doc = app.test_client().get("/openapi.json", headers=headers_for(Identity("t", "viewer"))).get_json()
        built[name] = ({f"{m.upper()} {p}": op for p, ops in doc["paths"].items() for m, op in ops.items()}, app)
        runtimes.append(runtime)
    yield built
    for runtime in runtimes:
        runtime.engine.dispose()


def served(app) -> set[str]:
    out = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint != "static":
            out |= {permissions.endpoint_of(m, rule.rule) for m in rule.methods - {"HEAD", "OPTIONS"}}
    return out


def call(service_app, endpoint: str, identity: Identity, county: str | None = None, ids: dict | None = None):
    """Run the app's before-request hooks (the permission check; not the view) for `endpoint` called
    as `identity`: path parameters filled with the object `ids` given, else a placeholder naming
    nothing (or `county`), the documented example as the body, the region in the query string when
    given. None when the request passes, else the refusal raised."""
    operations, app = service_app
    method, path = endpoint.split(" ", 1)
    path = re.sub(r"\{county\}", county or INSIDE, path)
    path = re.sub(r"\{([^}]+)\}", lambda m: (ids or {}).get(m.group(1), m.group(0)), path)
    path = re.sub(r"\{[^}]+\}", "X-1", path)
    body = operations.get(endpoint, {}).get("requestBody", {}).get("content", {}).get("application/json", {})
    query = {"county": county} if county else None
    with app.test_request_context(path, method=method, json=body.get("example"), query_string=query,
                                  headers=headers_for(identity)):
        try:
            app.preprocess_request()
        except BadRequest as refusal:
            return refusal
    return None


def refused_by_table(refusal) -> bool:
    return isinstance(refusal, permissions.Forbidden)


def reason(refusal) -> str:
    return refusal.errors[0]["reason"]


def named(refusal) -> tuple[str | None, dict | None]:
    """The refusal's code and values, by which a client words it in its own language."""
    return refusal.errors[0].get("code"), refusal.errors[0].get("params")


CELLS = [(service, endpoint, role) for service in SERVICES for endpoint in sorted(TABLE.rules(service))
         for role in ROLES]


@pytest.mark.parametrize("service, endpoint, role", CELLS, ids=[f"{s}:{e}:{r}" for s, e, r in CELLS])
def test_each_cell_of_the_table_allows_or_refuses_that_role(apps, service, endpoint, role):
    refusal = call(apps[service], endpoint, Identity(f"t-{role}", role))
    if role in TABLE.rules(service)[endpoint]:
        assert refusal is None, refusal.errors
    else:
        assert refused_by_table(refusal) and refusal.status == 403
        assert f"role {role} may not call {endpoint}" in reason(refusal)
        assert named(refusal) == ("permission.role", {"role": role, "endpoint": endpoint})


OWN = [(s, e, r) for s, e, r in CELLS if TABLE.rules(s)[e].get(r) == "own"]


@pytest.mark.parametrize("service, endpoint, role", OWN, ids=[f"{s}:{e}:{r}" for s, e, r in OWN])
def test_own_region_cells_refuse_other_regions_and_allow_their_own(apps, service, endpoint, role):
    caller = Identity(f"t-{role}", role, CITY)
    outside = call(apps[service], endpoint, caller, county=OUTSIDE)
    assert refused_by_table(outside) and f"not {OUTSIDE}" in reason(outside)
    assert named(outside) == ("permission.region", {"role": role, "region": CITY, "outside": OUTSIDE})
    inside = call(apps[service], endpoint, caller, county=INSIDE)
    assert inside is None, inside.errors


def test_all_region_cells_are_not_bound_to_the_callers_region(apps):
    county_trainer = Identity("t", "trainer", INSIDE)   # trainer: all
    assert call(apps["demand"], "GET /incidents", county_trainer, county=OUTSIDE) is None


@pytest.mark.parametrize("service", SERVICES)
def test_every_route_a_service_serves_is_in_the_table_and_every_row_is_served(apps, service):
    operations, app = apps[service]
    endpoints = served(app) - TABLE.public
    assert (set(operations) | {"GET /openapi.json"}) - TABLE.public == endpoints  # documented == served
    missing = sorted(endpoints - set(TABLE.rules(service)))
    assert not missing, f"add these {service} endpoints to services/common/permissions.yaml: {missing}"
    stale = sorted(set(TABLE.rules(service)) - endpoints)
    assert not stale, f"permissions.yaml names {service} endpoints it does not serve: {stale}"


def test_the_region_named_in_the_body_counts_too_and_the_refusal_is_a_403_problem(apps):
    _, app = apps["demand"]
    body = contracts.example_body("incident-report")
    body["location"]["county"] = OUTSIDE
    resp = app.test_client().post("/incidents", json=body,
                                  headers=headers_for(Identity("hz", "city_commander", CITY)))
    assert resp.status_code == 403 and resp.mimetype == "application/problem+json"
    assert resp.get_json()["title"] == "Not permitted" and OUTSIDE in resp.get_json()["errors"][0]["reason"]


# ---------------------------------------------------------------- object level

# The path parameters that name an object, per service (each with a resolver loading its regions).
OBJECTS = {"demand": {"incident_id", "preposition_id", "request_id"}, "resources": {"officer_id"},
           "matching": {"request_id", "plan_id"},
           "logistics": {"order_id", "unit_id", "deployment_id", "incident_id"}}
GENERAL = {"resources": {"equipment_id"}}


def params_of(endpoint: str) -> set[str]:
    return set(re.findall(r"\{([^}]+)\}", endpoint))


OBJECT_CELLS = [(s, e, r) for s, e, r in CELLS if params_of(e) & OBJECTS[s]]


@pytest.fixture(scope="module")
def objects(apps):
    """service → county → {path parameter: id of an object of that county}."""
    return {service: {county: seed(service, app.extensions["runtime"], county) for county in (INSIDE, OUTSIDE)}
            for service, (_, app) in apps.items()}


@pytest.mark.parametrize("service", SERVICES)
def test_every_path_parameter_names_an_object_a_region_or_general_data(apps, service):
    _, app = apps[service]
    resolvers, general = set(app.extensions.get("objects", {})), app.extensions.get("general_params", set())
    assert resolvers == OBJECTS[service] and general == GENERAL.get(service, set())
    for endpoint in sorted(served(app) - TABLE.public):
        unknown = params_of(endpoint) - resolvers - general - set(TABLE.region_fields)
        assert not unknown, f"{service} {endpoint}: declare what {unknown} names (permissions.objects)"


@pytest.mark.parametrize("service, endpoint, role", OBJECT_CELLS, ids=[f"{s}:{e}:{r}" for s, e, r in OBJECT_CELLS])
def test_each_role_reaches_an_object_of_its_region_and_one_of_another_only_where_the_table_says_all(
        apps, objects, service, endpoint, role):
    caller = Identity(f"t-{role}", role, INSIDE)
    scope = TABLE.rules(service)[endpoint].get(role)
    inside = call(apps[service], endpoint, caller, ids=objects[service][INSIDE])
    outside = call(apps[service], endpoint, caller, ids=objects[service][OUTSIDE])
    if scope is None:
        assert refused_by_table(inside) and refused_by_table(outside)
    elif scope == "all":
        assert inside is None and outside is None, (inside or outside).errors
    else:
        assert inside is None, inside.errors
        assert refused_by_table(outside) and outside.status == 403
        named_param = sorted(params_of(endpoint) & OBJECTS[service])[0]
        assert f"{named_param} {objects[service][OUTSIDE][named_param]} is of region" in reason(outside)
        assert OUTSIDE in reason(outside) and INSIDE in reason(outside)
        code, params = named(outside)
        assert code == "permission.object" and params["object"] == named_param and params["region"] == INSIDE
        assert OUTSIDE in params["regions"].split(",") and params["role"] == role


@pytest.mark.parametrize("service, endpoint, role", [c for c in OBJECT_CELLS if TABLE.rules(c[0])[c[1]].get(c[2])
                                                    == "own"][:1] + [("logistics", "GET /orders/{order_id}",
                                                                      "county_duty_officer")])
def test_a_city_caller_reaches_the_objects_of_its_counties_only(apps, objects, service, endpoint, role):
    hangzhou = Identity("hz", role, CITY)
    assert call(apps[service], endpoint, hangzhou, ids=objects[service][INSIDE]) is None
    assert refused_by_table(call(apps[service], endpoint, hangzhou, ids=objects[service][OUTSIDE]))


def test_the_table_binds_every_region_bound_role_on_object_routes_or_says_why_not():
    """Where a county- or city-level role may call an object route, it is "own": the exceptions are
    the instruction route (logistics records every attempt itself), and the trainer (any region)."""
    loose = [(s, e, r) for s, e, r in OBJECT_CELLS if TABLE.rules(s)[e].get(r) == "all"
             and r in ("city_commander", "county_duty_officer", "resource_manager", "support_officer")
             and e != "POST /orders/{order_id}/instructions"]
    assert not loose, loose


def test_a_table_with_an_unknown_role_or_scope_does_not_load(tmp_path):
    bad = tmp_path / "p.yaml"
    bad.write_text("services: {demand: {GET /incidents: {root: all}}}\n")
    with pytest.raises(ValueError, match="root"):
        permissions.table(bad)
    bad.write_text("services: {demand: {GET /incidents: {viewer: some}}}\n")
    with pytest.raises(ValueError, match="some"):
        permissions.table(bad)


# ---------------------------------------------------------------- tiered approval

APPROVERS = {"I": {"province_commander"}, "II": {"province_commander"},
             "III": {"province_commander", "city_commander"}, "IV": {"province_commander", "city_commander"}}


@pytest.mark.parametrize("grade", sorted(APPROVERS))
@pytest.mark.parametrize("role", ROLES)
def test_who_may_approve_a_plan_of_each_grade(role, grade):
    decision = may_approve(Identity("x", role, "330000"), grade=grade, county=INSIDE)
    assert decision.allowed == (role in APPROVERS[grade]), decision.reason


def test_a_city_commander_approves_only_general_plans_inside_their_city():
    hangzhou = Identity("hz", "city_commander", CITY)
    assert may_approve(hangzhou, grade="IV", county=INSIDE).allowed
    assert may_approve(hangzhou, grade="III", county=INSIDE, approval_level="city").allowed
    outside = may_approve(hangzhou, grade="IV", county=OUTSIDE)
    assert not outside.allowed and OUTSIDE in outside.reason
    assert (outside.code, outside.params) == ("approval.region", {"role": "city_commander", "region": CITY,
                                                                  "county": OUTSIDE})
    major = may_approve(hangzhou, grade="II", county=INSIDE)
    assert not major.allowed and "grade II" in major.reason
    assert (major.code, major.params) == ("approval.role", {"role": "city_commander", "grade": "II",
                                                            "roles": "province_commander"})
    province = may_approve(hangzhou, grade="III", county=INSIDE, approval_level="province")
    assert not province.allowed and (province.code, province.params) == ("approval.province", {"role": "city_commander"})


def test_a_county_officer_never_approves_and_the_province_approves_anywhere():
    for grade in APPROVERS:
        assert not may_approve(Identity("xh", "county_duty_officer", INSIDE), grade=grade, county=INSIDE).allowed
        assert may_approve(Identity("zj", "province_commander"), grade=grade, county=OUTSIDE,
                           approval_level="province").allowed


def test_head_is_allowed_exactly_where_get_is(apps):
    _, app = apps["resources"]
    viewer = headers_for(Identity("v", "viewer"))
    assert app.test_client().head("/regions", headers=viewer).status_code == 200
    assert app.test_client().head("/officers", headers=viewer).status_code == 403
