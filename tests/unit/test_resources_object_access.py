"""resources: every object a request names is held to the caller's region, not only the region fields
of the body: the unit and equipment an edit or a roster row gives an officer, the officers a what-if
names, and the commitments a region-bound caller lists."""
import copy
from datetime import datetime, timedelta, timezone

import pytest

from services.common import contracts
from services.common.auth import Identity, headers_for
from services.resources import store
from services.resources.bootstrap import create_app

XIHU, DONGYANG = "330106", "330783"
XIHU_DUTY = headers_for(Identity("xh-duty", "county_duty_officer", XIHU))
DONGYANG_DUTY = headers_for(Identity("dy-duty", "county_duty_officer", DONGYANG))
XIHU_POOL = headers_for(Identity("xh-pool", "resource_manager", XIHU))
PROVINCE = headers_for(Identity("zj", "province_commander"))


@pytest.fixture
def pool(offline_runtime):
    """The example roster (Dongyang's ZJ330783-09001 of unit U330783-C-FOR001) with a Xihu officer
    and unit beside it, and one item of equipment of each county."""
    runtime = offline_runtime("resources")
    client = create_app(runtime).test_client()
    roster = contracts.example_body("roster-import")
    xihu = copy.deepcopy(roster["officers"][0])
    xihu.update(officer_id="ZJ330106-09001", county=XIHU, city="330100", unit_id="U330106-C-FOR001",
                unit_name="西湖区公安分局一大队", unit_name_en="Xihu 1st brigade")
    roster["officers"].append(xihu)
    assert client.post("/roster/import", json=roster, headers=headers_for(Identity("i", "integrator"))).status_code == 200
    with runtime.engine.begin() as conn:
        store.insert_equipment(conn, [
            {"equipment_id": "EQ-330783-UAV-1", "type": "drone", "interface_standard": "GB/T 28181-2016",
             "readiness": "ready", "owner_unit": "U330783-C-FOR001", "county": DONGYANG},
            {"equipment_id": "EQ-330106-UAV-1", "type": "drone", "interface_standard": "GB/T 28181-2016",
             "readiness": "ready", "owner_unit": "U330106-C-FOR001", "county": XIHU}])
    return client, runtime


def test_an_edit_keeps_an_officer_in_units_of_their_own_county(pool):
    client, _ = pool
    foreign = client.patch("/officers/ZJ330106-09001", json={"unit_id": "U330783-C-FOR001"}, headers=XIHU_DUTY)
    assert foreign.status_code == 422
    assert foreign.get_json()["errors"] == [
        {"field": "unit_id", "reason": "unit U330783-C-FOR001 is in county 330783, not 330106"}]
    missing = client.patch("/officers/ZJ330106-09001", json={"unit_id": "U330106-NONE"}, headers=XIHU_DUTY)
    assert missing.status_code == 422 and missing.get_json()["errors"][0]["field"] == "unit_id"
    # the province is held to it too: a unit lies in its officers' county whoever edits
    assert client.patch("/officers/ZJ330106-09001", json={"unit_id": "U330783-C-FOR001"},
                        headers=PROVINCE).status_code == 422
    assert client.get("/officers/ZJ330106-09001", headers=XIHU_DUTY).get_json()["unit_id"] == "U330106-C-FOR001"


def test_an_edit_hands_an_officer_only_their_own_countys_equipment(pool):
    client, _ = pool
    foreign = client.patch("/officers/ZJ330106-09001", json={"equipment_ids": ["EQ-330106-UAV-1", "EQ-330783-UAV-1"]},
                           headers=XIHU_DUTY)
    assert foreign.status_code == 422
    assert foreign.get_json()["errors"] == [
        {"field": "equipment_ids.1", "reason": "equipment EQ-330783-UAV-1 is of county 330783, not 330106"}]
    assert client.get("/officers/ZJ330106-09001", headers=XIHU_DUTY).get_json()["equipment_ids"] == []
    own = client.patch("/officers/ZJ330106-09001", json={"equipment_ids": ["EQ-330106-UAV-1"]}, headers=XIHU_DUTY)
    assert own.status_code == 200 and own.get_json()["equipment_ids"] == ["EQ-330106-UAV-1"]


def test_a_roster_row_cannot_hand_its_officer_another_countys_equipment(pool):
    client, _ = pool
    row = copy.deepcopy(contracts.example_body("roster-import")["officers"][0])
    row.update(officer_id="ZJ330106-09002", county=XIHU, city="330100", unit_id="U330106-C-FOR001",
               equipment_ids=["EQ-330783-UAV-1"])
    for key in ("unit_name", "unit_name_en"):
        row.pop(key, None)
    refused = client.post("/roster/import", json={"officers": [row]}, headers=XIHU_POOL)
    assert refused.status_code == 422
    assert refused.get_json()["errors"] == [
        {"field": "officers.0.equipment_ids.0", "reason": "equipment EQ-330783-UAV-1 is of county 330783, not 330106"}]
    assert client.get("/officers/ZJ330106-09002", headers=XIHU_DUTY).status_code == 404   # nothing imported
    row["equipment_ids"] = ["EQ-330106-UAV-1", "EQ-NOT-IN-THE-POOL"]   # a force's own register: kept as given
    assert client.post("/roster/import", json={"officers": [row]}, headers=XIHU_POOL).status_code == 200
    assert client.get("/officers/ZJ330106-09002", headers=XIHU_DUTY).get_json()["equipment_ids"] == [
        "EQ-330106-UAV-1", "EQ-NOT-IN-THE-POOL"]


def test_what_if_names_only_officers_the_caller_may_read(pool):
    client, _ = pool
    for officer in ("ZJ330783-09001", "ZJ999999-00000"):   # another county's, and none: refused alike
        resp = client.post("/readiness/what-if", json={"officer_ids": [officer]}, headers=XIHU_DUTY)
        assert resp.status_code == 403
        assert resp.get_json()["errors"] == [
            {"field": "officer_ids.0", "reason": f"no officer {officer} that region 330106 may read"}]
    own = client.post("/readiness/what-if", json={"officer_ids": ["ZJ330106-09001"]}, headers=XIHU_DUTY)
    assert own.status_code == 200 and own.get_json()["removed"] == 1
    assert client.post("/readiness/what-if", json={"officer_ids": ["ZJ330783-09001"]},
                       headers=PROVINCE).status_code == 200


def test_commitments_are_listed_to_the_regions_they_concern(pool):
    client, runtime = pool
    now = datetime.now(timezone.utc)
    with runtime.engine.begin() as conn:   # Xihu receives Dongyang's officer and its own
        store.insert_commitment(conn, {
            "commit_id": "CMT-XH", "plan_id": "PLAN-XH-1A", "request_id": "REQ-330106-1", "incident_id": "INC-330106-1",
            "county": XIHU, "grade": "III", "risk": None, "task_start": now, "task_end": now + timedelta(hours=4),
            "officer_ids": ["ZJ330783-09001", "ZJ330106-09001"], "status": "committed", "at": now})
    listed = {who: client.get("/commitments", headers=headers).get_json()
              for who, headers in (("xihu", XIHU_DUTY), ("dongyang", DONGYANG_DUTY), ("province", PROVINCE),
                                   ("hangzhou", headers_for(Identity("hz", "city_commander", "330100"))),
                                   ("ningbo", headers_for(Identity("nb", "city_commander", "330200"))))}
    assert [r["officer_ids"] for r in listed["xihu"]] == [["ZJ330783-09001", "ZJ330106-09001"]]    # receives: all
    assert [r["officer_ids"] for r in listed["hangzhou"]] == [["ZJ330783-09001", "ZJ330106-09001"]]
    assert [r["officer_ids"] for r in listed["dongyang"]] == [["ZJ330783-09001"]]                # sends: its own
    assert [r["officer_ids"] for r in listed["province"]] == [["ZJ330783-09001", "ZJ330106-09001"]]
    assert listed["ningbo"] == []


def test_commitments_made_before_their_officers_were_kept_apart_are_filled_in_at_start(pool):
    """A database whose commitments predate `commitment_officers`: the start-up step fills in each one's
    officers from the roster, once, and the region lists then find them as before."""
    client, runtime = pool
    now = datetime.now(timezone.utc)
    with runtime.engine.begin() as conn:   # written as an older service wrote it: the commitment row alone
        conn.execute(store.commitments.insert().values(
            commit_id="CMT-OLD", plan_id="PLAN-OLD-1A", request_id="REQ-330106-2", incident_id=None, county=XIHU,
            grade="III", risk=None, task_start=now, task_end=now + timedelta(hours=4),
            officer_ids=["ZJ330783-09001", "ZJ330106-09001", "ZJ330783-GONE"], status="committed", at=now))
    assert client.get("/commitments", headers=DONGYANG_DUTY).get_json() == []   # not found before
    assert store.fill_commitment_officers(runtime.engine) == 1
    assert store.fill_commitment_officers(runtime.engine) == 0                   # once
    with runtime.engine.connect() as conn:
        kept = sorted(conn.execute(store.commitment_officers.select()).all())
    assert kept == [("CMT-OLD", "ZJ330106-09001", XIHU), ("CMT-OLD", "ZJ330783-09001", DONGYANG)]
    assert [r["officer_ids"] for r in client.get("/commitments", headers=DONGYANG_DUTY).get_json()] == [["ZJ330783-09001"]]
    assert client.get("/commitments", headers=XIHU_DUTY).get_json()[0]["officer_ids"] == [
        "ZJ330783-09001", "ZJ330106-09001", "ZJ330783-GONE"]   # received: every officer, as written
