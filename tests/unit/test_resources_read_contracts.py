"""resources' other reads as their response contracts describe them (contracts/http/county-load(s),
regions, status-summary, points-balances, reciprocity, officer-points, equipment-item, commitments): on
the demo force with a plan committed and released (so loads count it and points are awarded), as the
province and as a county duty officer read them."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from services.common import contracts
from services.common.auth import Identity, headers_for
from services.resources.commit import commit_plan
from tests.helpers import deliver, offline_settings

PROVINCE = headers_for(Identity("zj", "province_commander"))
DUTY = headers_for(Identity("dy-duty", "county_duty_officer", "330783"))


@pytest.fixture(scope="module")
def pool(tmp_path_factory):
    from services.resources.bootstrap import build_runtime, create_app, seed_demo_if_empty
    runtime = build_runtime(offline_settings("resources", tmp_path_factory.mktemp("reads")))
    seed_demo_if_empty(runtime, officers_n=2000, seed=5)
    client = create_app(runtime).test_client()
    found = client.get("/officers?county=330102&status=on_duty&limit=3", headers=PROVINCE).get_json()["items"]
    officers = [o["officer_id"] for o in found[:2]]
    now = datetime.now(timezone.utc)
    plan = {"plan_id": "PLAN-READS", "request_id": "REQ-READS", "incident_id": "INC-READS", "county": "330783",
            "grade": "II", "at": now.isoformat(), "task_start": now.isoformat(),
            "task_end": (now + timedelta(hours=4)).isoformat(), "assignments": [{"officer_id": i} for i in officers]}
    with runtime.outbox.transaction() as tx:
        assert commit_plan(tx, plan, runtime.settings.extra["policy"], now)["status"] == "committed"
    released = {**contracts.example_event("deployment.released")["data"], "plan_id": "PLAN-READS",
                "request_id": "REQ-READS", "incident_id": "INC-READS", "officer_ids": officers, "duty_minutes": 240,
                "duty_minutes_by_officer": {o: 240 for o in officers}, "released_at": (now + timedelta(hours=4)).isoformat()}
    deliver(runtime, "deployment.released", released, source="/mutual-deploy/logistics")
    yield client, officers
    runtime.engine.dispose()


def answered(client, url: str, name: str, headers=PROVINCE):
    response = client.get(url, headers=headers)
    assert response.status_code == 200, (url, response.get_json())
    assert contracts.validate_body(name, response.get_json()) == [], (url, contracts.validate_body(name, response.get_json())[:3])
    return response.get_json()


def test_every_read_keeps_its_contract(pool):
    client, officers = pool
    loads = answered(client, "/counties/load", "county-loads")
    assert len(loads) == 90 and {x["county"] for x in answered(client, "/counties/load?county=330102,330783",
                                                                "county-loads", DUTY)} == {"330102", "330783"}
    assert answered(client, "/regions", "regions")["children"][0]["level"] == "city"
    summary = answered(client, "/summary", "status-summary")
    assert summary["officers"] == 2000
    counties = answered(client, "/points/counties", "points-balances")
    cities = answered(client, "/points/cities", "points-balances")
    assert round(sum(counties.values()), 1) == round(sum(cities.values()), 1)
    flows = answered(client, "/points/reciprocity", "reciprocity")
    assert flows and flows[0]["given_tasks"] + flows[0]["received_tasks"] >= 1       # 杭州 helped 金华
    assert answered(client, "/points/reciprocity?city=330700", "reciprocity")[0]["city"] == "330700"
    points = answered(client, f"/points/officers/{officers[0]}", "officer-points")
    assert points["awards"] and points["awards"][0]["receiving_county"] == "330783"
    commitments = answered(client, "/commitments", "commitments")
    assert [c["plan_id"] for c in commitments] == ["PLAN-READS"] and commitments[0]["status"] == "released"
    item = client.get(f"/officers/{officers[0]}", headers=PROVINCE).get_json()["equipment_ids"][0]
    assert answered(client, f"/equipment/{item}", "equipment-item")["equipment_id"] == item
    kit = client.get(f"/officers/{officers[0]}", headers=PROVINCE).get_json()["equipment_ids"]
    report = client.post("/equipment/compatibility", json={"county": "330783", "equipment_ids": [*kit, "EQ-NO-SUCH"]},
                         headers=PROVINCE)
    assert report.status_code == 200 and contracts.validate_body("compatibility-report", report.get_json()) == []
    assert [i["found"] for i in report.get_json()["items"]] == [True] * len(kit) + [False]
    patched = client.patch("/counties/330783", json={"reserve_share": 0.75}, headers=PROVINCE)
    assert patched.status_code == 200 and contracts.validate_body("county-load", patched.get_json()) == []
    assert patched.get_json()["reserve_share"] == 0.75


def test_the_contracts_refuse_what_a_client_could_not_rely_on():
    load = contracts.example_body("county-load")
    assert contracts.validate_body("county-load", {**load, "reserve_share": 1.5}) != []
    assert contracts.validate_body("county-load", {k: v for k, v in load.items() if k != "qualified"}) != []
    regions = contracts.example_body("regions")
    city = regions["children"][0]
    county_as_city = {**regions, "children": [{**city, "children": [{**city, "children": []}]}]}
    assert contracts.validate_body("regions", county_as_city) != []                 # a city under a city
    assert contracts.validate_body("status-summary", {"officers": 1, "counties": {"330783": {"asleep": 1}}}) != []
    assert contracts.validate_body("points-balances", {"hangzhou": 1.0}) != []
    award = contracts.example_body("officer-points")["awards"][0]
    assert contracts.validate_body("officer-points", {**contracts.example_body("officer-points"),
                                                      "awards": [{**award, "risk": 6}]}) != []
