"""The region probes of the security review, end to end through each service's app: a duty officer of
西湖区 (330106) trying to act in 东阳 (330783), and a support officer of 西湖区 acknowledging a 东阳
order. Each of these got through before the permission check and the view read one strict body
parse and before objects were checked against the caller's region."""
from __future__ import annotations

import copy
import importlib
import json

import pytest
from sqlalchemy import select

from services.common import contracts
from services.common.auth import Identity, headers_for
from tests.helpers import offline_settings
from tests.unit.objects_by_region import seed

XIHU, DONGYANG = "330106", "330783"
XIHU_DUTY = Identity("xh-duty", "county_duty_officer", XIHU)
PROVINCE = Identity("zj", "province_commander")


def build(service: str, tmp_path):
    module = importlib.import_module(f"services.{service}.bootstrap")
    runtime = module.build_runtime(offline_settings(service, tmp_path))
    return module.create_app(runtime), runtime


@pytest.fixture
def demand(tmp_path):
    app, runtime = build("demand", tmp_path)
    yield app.test_client(), runtime
    runtime.engine.dispose()


@pytest.fixture
def resources(tmp_path):
    app, runtime = build("resources", tmp_path)
    client = app.test_client()
    roster = contracts.example_body("roster-import")  # a 东阳 officer
    xihu = copy.deepcopy(roster["officers"][0])
    xihu.update(officer_id="ZJ330106-09001", county=XIHU, city="330100", unit_id="U330106-C-FOR001",
                unit_name="杭州市公安局刑侦支队刑事技术一大队",
                unit_name_en="Hangzhou PSB, Criminal Investigation Detachment, Forensics Brigade 1")
    roster["officers"].append(xihu)
    assert client.post("/roster/import", json=roster, headers=headers_for(Identity("i", "integrator"))).status_code == 200
    yield client, runtime
    runtime.engine.dispose()


def incident(county: str, incident_id: str | None = None) -> dict:
    body = contracts.example_body("incident-report")
    body["location"]["county"] = county
    body.pop("requirement_overrides", None)
    body.pop("needs", None)
    if incident_id:
        body["incident_id"] = incident_id
    return body


def test_an_incident_in_another_county_is_refused_whatever_the_body_is_labelled(demand):
    client, _ = demand
    as_xihu = headers_for(XIHU_DUTY)
    plain = client.post("/incidents", data=json.dumps(incident(DONGYANG)), headers=as_xihu,
                        content_type="text/plain")
    assert plain.status_code == 415 and plain.mimetype == "application/problem+json"
    assert "text/plain" in plain.get_json()["errors"][0]["reason"]
    unlabelled = client.post("/incidents", data=json.dumps(incident(DONGYANG)), headers=as_xihu)
    assert unlabelled.status_code == 415
    labelled = client.post("/incidents", json=incident(DONGYANG), headers=as_xihu)
    assert labelled.status_code == 403 and DONGYANG in labelled.get_json()["errors"][0]["reason"]
    everything = client.get("/incidents", headers=headers_for(PROVINCE)).get_json()
    assert everything == []


def test_a_county_reads_its_own_incidents_only(demand):
    client, _ = demand
    for county in (XIHU, DONGYANG):
        assert client.post("/incidents", json=incident(county, f"INC-{county}-P"),
                           headers=headers_for(PROVINCE)).status_code == 201
    listed = client.get("/incidents", headers=headers_for(XIHU_DUTY)).get_json()
    assert [i["location"]["county"] for i in listed] == [XIHU]
    assert len(client.get("/incidents", headers=headers_for(PROVINCE)).get_json()) == 2
    one = client.get(f"/incidents/INC-{DONGYANG}-P", headers=headers_for(XIHU_DUTY))
    assert one.status_code == 403 and DONGYANG in one.get_json()["errors"][0]["reason"]
    assert client.get(f"/incidents/INC-{DONGYANG}-P/assessment", headers=headers_for(XIHU_DUTY)).status_code == 403
    assert client.get(f"/incidents/INC-{XIHU}-P", headers=headers_for(XIHU_DUTY)).status_code == 200
    assert client.get("/incidents/INC-NONE", headers=headers_for(XIHU_DUTY)).status_code == 404


def test_another_countys_incident_is_never_overwritten_by_re_posting_its_id(demand):
    client, _ = demand
    theirs = incident(DONGYANG, "INC-330783-TAKEN")
    assert client.post("/incidents", json=theirs, headers=headers_for(PROVINCE)).status_code == 201
    before = client.get("/incidents/INC-330783-TAKEN", headers=headers_for(PROVINCE)).get_json()
    mine = incident(XIHU, "INC-330783-TAKEN")
    mine["size"] = {k: (v or 0) * 10 + 10 for k, v in (theirs.get("size") or {"injured": 1}).items()}
    mine["description"] = "改写"
    refused = client.post("/incidents", json=mine, headers=headers_for(XIHU_DUTY))
    assert refused.status_code == 403 and "INC-330783-TAKEN" in refused.get_json()["errors"][0]["reason"]
    # even the province cannot carry a report of one county over another county's incident
    moved = client.post("/incidents", json=mine, headers=headers_for(PROVINCE))
    assert moved.status_code == 409
    assert client.get("/incidents/INC-330783-TAKEN", headers=headers_for(PROVINCE)).get_json() == before


def test_another_countys_request_and_pre_positioned_task_are_refused(demand):
    client, runtime = demand
    ids = seed("demand", runtime, DONGYANG)
    as_xihu = headers_for(XIHU_DUTY)
    assert client.get(f"/prepositions/{ids['preposition_id']}", headers=as_xihu).status_code == 403
    assert client.post(f"/requests/{ids['request_id']}/cancel", json={"reason": "x"}, headers=as_xihu).status_code == 403


def test_a_county_cannot_change_or_list_another_countys_officers(resources):
    client, runtime = resources
    as_xihu = headers_for(XIHU_DUTY)
    patched = client.patch("/officers/ZJ330783-09001", json={"status": "unavailable", "reason": "probe"},
                           headers=as_xihu)
    assert patched.status_code == 403 and DONGYANG in patched.get_json()["errors"][0]["reason"]
    assert client.get("/officers/ZJ330783-09001", headers=headers_for(PROVINCE)).get_json()["status"] == "on_duty"
    assert client.get("/officers/ZJ330783-09001", headers=as_xihu).status_code == 403
    assert client.get("/points/officers/ZJ330783-09001", headers=as_xihu).status_code == 403
    listed = client.get("/officers", headers=as_xihu).get_json()
    assert [o["officer_id"] for o in listed["items"]] == ["ZJ330106-09001"] and listed["total"] == 1
    hangzhou = client.get("/officers", headers=headers_for(Identity("hz", "city_commander", "330100"))).get_json()
    assert {o["county"] for o in hangzhou["items"]} == {XIHU}
    assert client.get("/officers", headers=headers_for(PROVINCE)).get_json()["total"] == 2
    own = client.patch("/officers/ZJ330106-09001", json={"status": "unavailable", "reason": "sick"}, headers=as_xihu)
    assert own.status_code == 200 and own.get_json()["status"] == "unavailable"


def test_a_roster_cannot_add_or_take_over_another_countys_officers(resources):
    client, _ = resources
    manager = headers_for(Identity("xh-rm", "resource_manager", XIHU))
    roster = contracts.example_body("roster-import")  # ZJ330783-09001, a 东阳 officer
    takeover = copy.deepcopy(roster)
    takeover["officers"][0].update(county=XIHU, city="330100", unit_id="U330106-C-FOR001")
    refused = client.post("/roster/import", json=takeover, headers=manager)
    assert refused.status_code == 403 and DONGYANG in refused.get_json()["errors"][0]["reason"]
    assert client.post("/roster/import", json=roster, headers=manager).status_code == 403
    assert client.get("/officers/ZJ330783-09001", headers=headers_for(PROVINCE)).get_json()["county"] == DONGYANG
    # nor rename another county's unit through an officer of its own
    renaming = copy.deepcopy(roster)
    renaming["officers"][0].update(officer_id="ZJ330106-09002", county=XIHU, city="330100", unit_name="西湖分局某大队")
    refused = client.post("/roster/import", json=renaming, headers=manager)
    assert refused.status_code == 422
    assert refused.get_json()["errors"] == [{"field": "officers.0.unit_id",
                                             "reason": f"unit U330783-C-FOR001 is in county {DONGYANG}, not {XIHU}"}]
    units = client.get("/units?ids=U330783-C-FOR001", headers=headers_for(PROVINCE)).get_json()
    assert [u["name"] for u in units] == ["金华市公安局刑侦支队刑事技术一大队"]
    csv = client.post("/roster/import", data=b"officer_id\n", content_type="text/csv", headers=manager)
    assert csv.status_code != 415
    assert client.post("/roster/import", data=b"<officers/>", content_type="application/xml",
                       headers=manager).status_code == 415


def test_a_support_officer_cannot_acknowledge_another_countys_order(tmp_path):
    app, runtime = build("logistics", tmp_path)
    try:
        ids = seed("logistics", runtime, DONGYANG)
        client = app.test_client()
        xihu_unit = headers_for(Identity("xh-unit", "support_officer", XIHU))
        ack = client.post(f"/orders/{ids['order_id']}/ack", json={"unit_id": ids["unit_id"]}, headers=xihu_unit)
        assert ack.status_code == 403 and DONGYANG in ack.get_json()["errors"][0]["reason"]
        from services.logistics.store import orders
        with runtime.engine.connect() as conn:
            assert conn.execute(select(orders.c.acked_at).where(orders.c.order_id == ids["order_id"])).scalar() is None
        assert client.get("/orders", headers=xihu_unit).get_json() == []
        assert client.get("/deployments", headers=headers_for(XIHU_DUTY)).get_json() == []
        mine = seed("logistics", runtime, XIHU)
        assert [o["order_id"] for o in client.get("/orders", headers=xihu_unit).get_json()] == [mine["order_id"]]
        assert len(client.get("/orders", headers=headers_for(PROVINCE)).get_json()) == 2
        # several requests in one read (the board's): each order still checked against the caller's region
        both = f"/orders?request_id=REQ-{DONGYANG}&request_id=REQ-{XIHU}"
        assert {o["request_id"] for o in client.get(both, headers=headers_for(PROVINCE)).get_json()} == {
            f"REQ-{DONGYANG}", f"REQ-{XIHU}"}
        assert [o["order_id"] for o in client.get(both, headers=xihu_unit).get_json()] == [mine["order_id"]]
        assert [o["order_id"] for o in client.get(f"/orders?request_id=REQ-{XIHU}",
                                                  headers=headers_for(PROVINCE)).get_json()] == [mine["order_id"]]
        too_many = "/orders?" + "&".join(f"request_id=REQ-{i}" for i in range(201))
        refused = client.get(too_many, headers=headers_for(PROVINCE))
        assert refused.status_code == 400 and refused.get_json()["errors"][0]["field"] == "request_id"
    finally:
        runtime.engine.dispose()


def test_a_plan_of_another_county_is_neither_read_nor_approved(tmp_path):
    app, runtime = build("matching", tmp_path)
    try:
        ids = seed("matching", runtime, DONGYANG)
        seed("matching", runtime, XIHU)
        client = app.test_client()
        hangzhou = headers_for(Identity("hz", "city_commander", "330100"))
        assert client.get(f"/plans/{ids['plan_id']}", headers=headers_for(XIHU_DUTY)).status_code == 403
        approve = client.post(f"/plans/{ids['plan_id']}/approve", json={"version": 1}, headers=hangzhou)
        assert approve.status_code == 403 and DONGYANG in approve.get_json()["errors"][0]["reason"]
        assert [r["county"] for r in client.get("/requests", headers=hangzhou).get_json()] == [XIHU]
    finally:
        runtime.engine.dispose()


def test_the_receiving_county_reads_the_officers_it_commands_while_the_task_lasts_and_edits_none(resources):
    """The receiving side commands on scene: while a commitment in force holds a 东阳 officer for a 西湖
    request, 西湖's duty officer reads that officer (masked for their role), and still may not change
    them or list 东阳's force; once the commitment is released, the officer is 东阳's alone again."""
    from datetime import datetime, timedelta, timezone

    from services.resources import store

    client, runtime = resources
    as_xihu, officer = headers_for(XIHU_DUTY), "/officers/ZJ330783-09001"
    named = "/officers?ids=ZJ330783-09001,ZJ330106-09001,ZJ330783-NONE"   # read by id, as a printed order does

    def by_id(headers) -> tuple[list[str], list[str]]:
        body = client.get(named, headers=headers).get_json()
        return [o["officer_id"] for o in body["items"]], body["not_shown"]

    assert client.get(officer, headers=as_xihu).status_code == 403
    # another county's officer is not told apart from one that does not exist
    assert by_id(as_xihu) == (["ZJ330106-09001"], ["ZJ330783-09001", "ZJ330783-NONE"])
    now = datetime.now(timezone.utc)
    with runtime.engine.begin() as conn:
        store.insert_commitment(conn, {
            "commit_id": "CMT-XIHU", "plan_id": "PLAN-XIHU-1A", "request_id": "REQ-XIHU", "incident_id": None,
            "county": XIHU, "grade": "IV", "risk": None, "task_start": now, "task_end": now + timedelta(hours=4),
            "officer_ids": ["ZJ330783-09001"], "status": "committed", "at": now})
        store.update_officers(conn, ["ZJ330783-09001"], {"status": "reserved", "status_since": now,
                                                         "commit_id": "CMT-XIHU", "rest_until": None})
    read = client.get(officer, headers=as_xihu)
    assert read.status_code == 200 and read.get_json()["county"] == DONGYANG
    assert by_id(as_xihu) == (["ZJ330783-09001", "ZJ330106-09001"], ["ZJ330783-NONE"])   # in the order asked
    assert client.get(named, headers=as_xihu).get_json()["items"][0] == read.get_json()   # masked alike
    patched = client.patch(officer, json={"status": "unavailable", "reason": "probe"}, headers=as_xihu)
    assert patched.status_code == 403 and DONGYANG in patched.get_json()["errors"][0]["reason"]
    assert [o["officer_id"] for o in client.get("/officers", headers=as_xihu).get_json()["items"]] == ["ZJ330106-09001"]
    other = Identity("bj-duty", "county_duty_officer", "330102")   # 上城区: neither home nor receiving
    assert client.get(officer, headers=headers_for(other)).status_code == 403
    assert by_id(headers_for(other)) == ([], ["ZJ330783-09001", "ZJ330106-09001", "ZJ330783-NONE"])
    with runtime.engine.begin() as conn:
        store.set_commitment_status(conn, "CMT-XIHU", "released")
    assert client.get(officer, headers=as_xihu).status_code == 403
    assert by_id(as_xihu) == (["ZJ330106-09001"], ["ZJ330783-09001", "ZJ330783-NONE"])
    assert by_id(headers_for(PROVINCE)) == (["ZJ330783-09001", "ZJ330106-09001"], ["ZJ330783-NONE"])
