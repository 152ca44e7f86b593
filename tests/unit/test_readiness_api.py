"""The readiness API on a seeded demo pool: the support circle's coverage and its contract, region
narrowing, the what-if, exact pre-positioning, and bad input answered 4xx naming the field."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from services.common import contracts
from services.common.auth import Identity, headers_for
from services.resources.bootstrap import build_runtime, create_app, seed_demo_if_empty
from services.resources.readiness import store
from services.resources.store import officers
from tests.helpers import offline_settings

PROVINCE = headers_for(Identity("zj", "province_commander"))


@pytest.fixture(scope="module")
def pool(tmp_path_factory):
    runtime = build_runtime(offline_settings("resources", tmp_path_factory.mktemp("readiness")))
    seed_demo_if_empty(runtime, officers_n=4000, seed=13)
    yield runtime, create_app(runtime).test_client()
    runtime.engine.dispose()


def test_the_demo_seed_keeps_each_officers_watch_for_the_projection(pool):
    runtime, _ = pool
    with runtime.engine.connect() as conn:
        rows = conn.execute(select(store.rota.c.rotation, store.rota.c.watch)).all()
        n = len(conn.execute(select(officers.c.officer_id)).all())
    assert len(rows) == n and {r.rotation for r in rows} == {"four_watch", "mobile_watch", "day_night_rest"}


def test_coverage_answers_every_county_and_module_in_its_contract(pool):
    _, client = pool
    resp = client.get("/readiness/coverage?horizon_h=12", headers=PROVINCE)
    assert resp.status_code == 200
    body = resp.get_json()
    assert contracts.validate_body("readiness-coverage", body) == []
    assert len(body["counties"]) == 90 and len(body["modules"]) == 6
    assert len(body["timeline"]) >= 3                      # now and the shift changes of 12 hours
    for c in body["counties"]:
        for m, cell in c["modules"].items():
            assert cell["support"] == sorted(cell["support"])   # 30 ≤ 60 ≤ 120 minutes
            assert cell["covered"] == (cell["support"][1] >= body["team"])
            assert (c["county"] in body["outside"][m]) == (not cell["covered"])
    # 嵊泗 (an island county off Zhoushan) is beyond an hour of any other county: outside for every module
    shengsi = next(c for c in body["counties"] if c["county"] == "330922")
    assert shengsi["outside_modules"] == body["modules"]
    assert body["timeline"][0]["outside"] == body["outside"]


def test_a_county_officer_sees_their_own_county_and_may_not_name_another(pool):
    _, client = pool
    own = headers_for(Identity("xh", "county_duty_officer", "330106"))
    body = client.get("/readiness/coverage", headers=own).get_json()
    assert [c["county"] for c in body["counties"]] == ["330106"]
    assert client.get("/readiness/coverage?county=330783", headers=own).status_code == 403
    city = headers_for(Identity("hz", "city_commander", "330100"))
    assert {c["county"][:4] for c in client.get("/readiness/coverage", headers=city).get_json()["counties"]} == {"3301"}
    assert client.get("/readiness/coverage", headers=headers_for(Identity("v", "viewer"))).status_code == 403


@pytest.mark.parametrize("query, field", [("at=yesterday", "at"), ("at=2000-01-01T00:00:00%2B08:00", "at"),
                                          ("horizon_h=48", "horizon_h"), ("county=999999", "county")])
def test_bad_coverage_parameters_name_the_field(pool, query, field):
    _, client = pool
    resp = client.get(f"/readiness/coverage?{query}", headers=PROVINCE)
    assert resp.status_code == 400 and [e["field"] for e in resp.get_json()["errors"]] == [field]


def test_what_if_taking_every_deployable_officer_of_a_module_empties_the_circle_for_it(pool):
    runtime, client = pool
    before = client.get("/readiness/coverage?horizon_h=0", headers=PROVINCE).get_json()
    covered = {c["county"] for c in before["counties"] if c["modules"]["riot_control"]["covered"]}
    assert covered
    with runtime.engine.connect() as conn:
        ids = [r[0] for r in conn.execute(select(officers.c.officer_id).where(officers.c.module == "riot_control"))]
    resp = client.post("/readiness/what-if", json={"officer_ids": ids, "plan_id": "P-1"}, headers=PROVINCE)
    assert resp.status_code == 200
    body = resp.get_json()
    assert contracts.validate_body("readiness-impact", body) == []
    left = {c["county"] for c in body["left_circle"] if "riot_control" in c["modules"]}
    assert left == covered and body["plan_id"] == "P-1"
    assert all(ch["support_after"] < ch["support_before"] for ch in body["changes"])
    city = headers_for(Identity("jh", "city_commander", "330700"))   # 金华: its own officers, its own counties
    refused = client.post("/readiness/what-if", json={"officer_ids": ids}, headers=city)
    assert refused.status_code == 403 and refused.get_json()["errors"][0]["field"].startswith("officer_ids.")
    with runtime.engine.connect() as conn:
        own = [r[0] for r in conn.execute(select(officers.c.officer_id).where(
            officers.c.module == "riot_control", officers.c.city == "330700"))]
    whole = client.post("/readiness/what-if", json={"officer_ids": own}, headers=PROVINCE).get_json()
    shown = client.post("/readiness/what-if", json={"officer_ids": own}, headers=city).get_json()
    assert contracts.validate_body("readiness-impact", shown) == []
    assert shown["left_circle"] == [c for c in whole["left_circle"] if c["city"] == "330700"]
    assert shown["changes"] == [ch for ch in whole["changes"] if ch["county"].startswith("3307")] != []
    again = client.get("/readiness/coverage?horizon_h=0", headers=PROVINCE).get_json()
    assert {c["county"] for c in again["counties"] if c["modules"]["riot_control"]["covered"]} == covered  # nothing changed


def test_what_if_with_an_unknown_officer_names_it(pool):
    _, client = pool
    resp = client.post("/readiness/what-if", json={"officer_ids": ["NOBODY-1"]}, headers=PROVINCE)
    assert resp.status_code == 422 and resp.get_json()["errors"][0]["field"] == "officer_ids.0"
    resp = client.post("/readiness/what-if", json={"officer_ids": []}, headers=PROVINCE)
    assert resp.status_code == 422 and resp.get_json()["errors"][0]["field"].startswith("officer_ids")


def test_preposition_is_optimal_beats_greedy_or_ties_and_explains_each_station(pool):
    _, client = pool
    resp = client.post("/readiness/preposition", json={"teams": {"investigation": 10, "riot_control": 3}},
                       headers=PROVINCE)
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert contracts.validate_body("readiness-stationing", body) == []
    assert body["weights_source"] == "population"          # no incidents recorded yet
    inv = body["modules"]["investigation"]
    assert inv["status"] == "OPTIMAL" and inv["gap"] == 0.0 and len(inv["stations"]) == 10
    assert inv["covered_share"] >= inv["greedy"]["covered_share"] and inv["greedy"]["worse_by"] >= 0
    assert inv["covered_share"] >= inv["today"]["covered_share"]
    assert body["modules"]["riot_control"]["covered_share"] <= inv["covered_share"]  # fewer teams cover less
    reached = set().union(*(s["reaches"] for s in inv["stations"]))
    assert reached == {c for c in body["weights"]} - set(inv["uncovered"])
    assert all(s["max_travel_min"] <= 60 and s["county"] in s["reaches"] for s in inv["stations"])


def test_preposition_follows_the_weights_given(pool):
    _, client = pool
    body = client.post("/readiness/preposition", json={"teams": {"patrol": 1}, "weights": {"330922": 1.0}},
                       headers=PROVINCE).get_json()
    assert contracts.validate_body("readiness-stationing", body) == []
    station = body["modules"]["patrol"]["stations"][0]
    assert body["weights_source"] == "request" and "330922" in station["reaches"]
    assert body["modules"]["patrol"]["covered_share"] == 1.0


@pytest.mark.parametrize("payload, field, status", [
    ({"teams": {"patrol": 91}}, "teams.patrol", 422),
    ({"teams": {"patrol": 3}, "sites": ["330102", "330106"]}, "teams.patrol", 422),
    ({"teams": {"cavalry": 2}}, "teams.cavalry", 422),
    ({"teams": {"patrol": 2}, "weights": {"999999": 1}}, "weights.999999", 422),
    ({"teams": {"patrol": 2}, "sites": ["330102", "999999"]}, "sites.1", 422),
    ({"teams": {"patrol": 2}, "hours": [8, 8]}, "hours", 422),
    ({"teams": {"patrol": 0}}, "teams.patrol", 422),
    ({"teams": {}}, "teams", 422),
    ({"teams": {"patrol": 1}, "weights": {}}, "weights", 422),
])
def test_an_infeasible_or_unknown_preposition_request_names_the_field(pool, payload, field, status):
    _, client = pool
    resp = client.post("/readiness/preposition", json=payload, headers=PROVINCE)
    assert resp.status_code == status and field in [e["field"] for e in resp.get_json()["errors"]]


def test_a_city_commander_prepositions_within_the_city(pool):
    _, client = pool
    city = headers_for(Identity("hz", "city_commander", "330100"))
    body = client.post("/readiness/preposition", json={"teams": {"patrol": 2}}, headers=city).get_json()
    assert contracts.validate_body("readiness-stationing", body) == []
    assert body["sites"] == 13 and all(s["county"].startswith("3301") for s in body["modules"]["patrol"]["stations"])
    # the city's demand alone: its counties weigh it all, and a share covered is a share of the city's
    assert {c[:4] for c in body["weights"]} == {"3301"} and abs(sum(body["weights"].values()) - 1) < 1e-3
    patrol = body["modules"]["patrol"]
    assert {c[:4] for c in patrol["uncovered"]} <= {"3301"}
    reached = {c for s in patrol["stations"] for c in s["reaches"] if c.startswith("3301")}
    assert reached | set(patrol["uncovered"]) == set(body["weights"])
    province = client.post("/readiness/preposition", json={"teams": {"patrol": 2}, "sites": sorted(body["weights"])},
                           headers=PROVINCE).get_json()["modules"]["patrol"]
    assert patrol["covered_share"] > province["covered_share"]   # the same sites weighed by the province's demand
    resp = client.post("/readiness/preposition", json={"teams": {"patrol": 1}, "weights": {"330106": 1, "330783": 1}},
                       headers=city)
    assert resp.status_code == 403 and [e["field"] for e in resp.get_json()["errors"]] == ["weights.330783"]
    resp = client.post("/readiness/preposition", json={"teams": {"patrol": 1}, "sites": ["330783"]}, headers=city)
    assert resp.status_code == 403 and resp.get_json()["errors"][0]["field"] == "sites.0"


def test_what_if_of_a_plan_already_committed_answers_what_sending_its_officers_changed(tmp_path):
    """Once a plan is committed its officers are no longer available; asked again (a twin started after
    the commit), the what-if counts them at home before, so it names the same counties as it did for
    the proposal, not none."""
    from datetime import datetime, timedelta, timezone

    from services.resources.store import insert_commitment, update_officers
    runtime = build_runtime(offline_settings("resources", tmp_path))
    try:
        seed_demo_if_empty(runtime, officers_n=4000, seed=13)
        client = create_app(runtime).test_client()
        with runtime.engine.connect() as conn:
            ids = [r[0] for r in conn.execute(select(officers.c.officer_id).where(
                officers.c.module == "riot_control", officers.c.status == "on_duty"))]
        ask = {"officer_ids": ids, "plan_id": "PLAN-R-1A"}
        proposed = client.post("/readiness/what-if", json=ask, headers=PROVINCE).get_json()
        assert proposed["left_circle"] and proposed["available_removed"] == len(ids)
        now = datetime.now(timezone.utc)
        with runtime.engine.begin() as conn:  # what a commit writes: the officers reserved, the commitment
            update_officers(conn, ids, {"status": "reserved", "status_since": now, "commit_id": "CMT-R", "rest_until": None})
            insert_commitment(conn, {"commit_id": "CMT-R", "plan_id": "PLAN-R-1A", "request_id": "R", "incident_id": None,
                                     "county": "330783", "grade": "II", "risk": None, "task_start": now,
                                     "task_end": now + timedelta(hours=8), "officer_ids": ids, "status": "committed",
                                     "at": now})
        committed = client.post("/readiness/what-if", json=ask, headers=PROVINCE).get_json()
        assert committed["left_circle"] == proposed["left_circle"] and committed["changes"] == proposed["changes"]
        assert committed["available_removed"] == len(ids)
        anonymous = client.post("/readiness/what-if", json={"officer_ids": ids}, headers=PROVINCE).get_json()
        assert anonymous["left_circle"] == [] and anonymous["available_removed"] == 0  # no plan named: gone already
    finally:
        runtime.engine.dispose()
