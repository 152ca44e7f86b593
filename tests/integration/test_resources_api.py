"""The resource pool over HTTP (Flask test client) on SQLite and PostgreSQL."""
from __future__ import annotations

import pytest

from services.common import contracts
from services.common.auth import Identity, headers_for
from services.demo import generate
from services.demo.roster import write_officers_csv
from tests.integration.test_resources_support import load, officer, pool_fixture, squad, topics  # noqa: F401

pytestmark = pytest.mark.integration


def test_search_filters_by_county_module_tag_certification_and_status(pool):
    _, client = pool
    load(client, squad("330782", 3) + squad("330703", 2, module="patrol", tags=[], certifications=[])
         + [officer("OFF-1", "330782", status="off_duty"),
            officer("EXP-1", "330782", certifications=[{"name": "e_forensics_examiner", "issued": "2020-01-01",
                                                        "expires": "2021-01-01"}])])
    ids = lambda q: [o["officer_id"] for o in client.get("/officers?" + q).get_json()["items"]]  # noqa: E731
    assert ids("county=330782&status=on_duty&certification=e_forensics_examiner") == [
        "P330782-001", "P330782-002", "P330782-003"]
    assert ids("module=patrol") == ["P330703-001", "P330703-002"]
    assert ids("tag=e_forensics&status=off_duty") == ["OFF-1"]
    assert ids("city=330700&module=patrol,technical_support&limit=2&offset=4") == ["P330782-001", "P330782-002"]
    assert client.get("/officers?county=330782").get_json()["total"] == 5


def test_search_bounds_travel_time_from_a_point_and_sorts_by_it(pool):
    _, client = pool
    load(client, squad("330782", 2) + squad("330106", 2))
    body = client.get("/officers?lon=120.23&lat=29.28&max_travel_min=60").get_json()   # 东阳
    assert [o["county"] for o in body["items"]] == ["330782", "330782"]                   # 杭州 is > 1 h away
    wide = client.get("/officers?lon=120.23&lat=29.28&max_travel_min=300").get_json()["items"]
    assert [o["county"] for o in wide] == ["330782", "330782", "330106", "330106"]
    assert wide[0]["travel_s"] <= wide[-1]["travel_s"]


def test_officers_are_read_by_id_in_one_request_in_the_order_asked(pool):
    _, client = pool
    load(client, squad("330782", 3) + [officer("A-1", "330703")])
    as_city = headers_for(Identity("jh-commander", "city_commander", "330700"))
    body = client.get("/officers?ids=P330782-003,A-1,P330782-003,NONE-1", headers=as_city).get_json()
    assert [o["officer_id"] for o in body["items"]] == ["P330782-003", "A-1"] and body["not_shown"] == ["NONE-1"]
    assert body["items"][1] == client.get("/officers/A-1", headers=as_city).get_json()   # as one read shows it
    assert client.get("/officers?ids=", headers=as_city).get_json() == {"items": [], "not_shown": []}
    too_many = client.get("/officers?ids=" + ",".join(f"X-{i}" for i in range(501)))
    assert too_many.status_code == 400
    assert too_many.get_json()["errors"] == [{"field": "ids", "reason": "at most 500 officer ids at a time, got 501"}]
    bad = client.get("/officers?ids=A-1,no%20such&county=330782")
    assert bad.status_code == 400
    assert {(e["field"], e["reason"]) for e in bad.get_json()["errors"]} == {
        ("county", "ids reads officers by id and takes no other parameter"),
        ("ids", "'no such' is not a valid officer id")}


def test_bad_search_parameters_name_the_field_and_reason(pool):
    _, client = pool
    resp = client.get("/officers?status=asleep&lon=500&lat=1&limit=0")
    assert resp.status_code == 400
    assert {e["field"] for e in resp.get_json()["errors"]} == {"status", "lon", "limit"}


def test_personal_fields_are_masked_and_positions_hidden_unless_the_role_permits(pool):
    _, client = pool
    load(client, [officer("A-1", "330782")])
    as_city = headers_for(Identity("jh-commander", "city_commander", "330700"))
    default = client.get("/officers/A-1", headers=as_city).get_json()
    assert default["phone"] == "138****5678" and default["position"] is None
    as_province = headers_for(Identity("zj-commander", "province_commander"))
    province = client.get("/officers/A-1", headers=as_province).get_json()
    assert province["position"] == {"lon": 120.075, "lat": 29.306} and province["phone"] == "138****5678"
    personnel = client.get("/officers/A-1", headers=headers_for(Identity("hr", "resource_manager"))).get_json()
    assert personnel["phone"] == "13812345678" and personnel["position"] is None
    assert client.get("/officers/A-1", headers={"Authorization": "Bearer forged"}).status_code == 401


def test_a_patch_follows_the_lifecycle_and_publishes_the_change(pool):
    runtime, client = pool
    load(client, [officer("A-1", "330782")])
    resp = client.patch("/officers/A-1", json={"status": "off_duty", "reason": "shift ended"})
    assert resp.status_code == 200 and resp.get_json()["status"] == "off_duty"
    changed = [e["data"] for e in runtime.outbox.events() if e["type"] == "officer.status-changed"]
    assert changed[-1] | {"at": None} == {"officer_id": "A-1", "county": "330782", "module": "technical_support",
                                         "from": "on_duty", "to": "off_duty", "at": None, "reason": "shift ended"}
    refused = client.patch("/officers/A-1", json={"status": "unavailable", "tags": ["x"]})
    assert refused.status_code == 200
    before = len(runtime.outbox.events())
    bad = client.patch("/officers/A-1", json={"status": "reserved"})
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["field"] == "status"
    assert len(runtime.outbox.events()) == before
    assert client.patch("/officers/NOPE", json={"status": "off_duty"}).status_code == 404


def test_personal_fields_are_edited_only_by_personnel_and_nothing_is_half_written(pool):
    runtime, client = pool
    load(client, [officer("A-1", "330782")])
    county = headers_for(Identity("yw-duty", "county_duty_officer", "330782"))
    resp = client.patch("/officers/A-1", json={"status": "off_duty", "phone": "13900000000"}, headers=county)
    assert resp.status_code == 403
    assert client.get("/officers/A-1").get_json()["status"] == "on_duty"        # status rolled back too
    ok = client.patch("/officers/A-1", json={"phone": "13900000000"})  # the pool's resource manager
    assert ok.status_code == 200 and ok.get_json()["phone"] == "13900000000"


def test_ending_rest_early_is_an_illegal_transition_with_409_and_the_reason(pool):
    runtime, client = pool
    load(client, [officer("A-1", "330782", status="resting")])
    before = len(runtime.outbox.events())
    resp = client.patch("/officers/A-1", json={"status": "on_duty"})
    assert resp.status_code == 409
    assert resp.get_json()["errors"] == [{"field": "status", "reason": "the mandatory rest has not ended"}]
    assert client.get("/officers/A-1").get_json()["status"] == "resting" and len(runtime.outbox.events()) == before
    assert client.patch("/officers/A-1", json={"status": "off_duty"}).status_code == 200


def test_county_load_counts_strength_availability_and_the_configurable_floor(pool):
    runtime, client = pool
    load(client, squad("330782", 10) + [officer("OFF-1", "330782", status="off_duty")])
    load_ = client.get("/counties/load?county=330782").get_json()[0]
    assert (load_["on_duty"], load_["available"], load_["committed"], load_["reserve_floor"]) == (10, 10, 0, 7)
    patched = client.patch("/counties/330782", json={"reserve_share": 0.9}).get_json()
    assert patched["reserve_floor"] == 9
    reported = [e["data"] for e in runtime.outbox.events() if e["type"] == "county.load-reported"]
    assert reported[-1]["reserve_floor"] == 9
    assert client.patch("/counties/330782", json={"reserve_share": 2}).status_code == 422


def test_a_roster_with_any_bad_row_imports_nothing_and_names_every_bad_row(pool):
    runtime, client = pool
    rows = [officer("G-1", "330782"), dict(officer("G-2", "330782"), county="999999"), officer("G-3", "330782", module="cooking"),
            officer("G-1", "330782")]
    resp = client.post("/roster/import", json={"officers": rows})
    assert resp.status_code == 422
    assert [e["field"] for e in resp.get_json()["errors"]] == ["officers.1.county", "officers.2.module",
                                                               "officers.3.officer_id"]
    assert client.get("/officers").get_json()["total"] == 0 and topics(runtime) == []


def test_a_csv_roster_reports_bad_lines_and_a_good_one_imports(pool):
    _, client = pool
    header = "officer_id,name,county,unit_id,module,status,tags,certifications,home_lon,home_lat\n"
    bad = header + "C-1,甲,330782,U1,patrol,on_duty,a;b,,120.1,29.3\nC-2,乙,330782,U1,patrol,on_duty,,x|2024|bad,,\n"
    resp = client.post("/roster/import", data=bad.encode(), content_type="text/csv")
    assert resp.status_code == 422 and resp.get_json()["errors"][0]["field"] == "line 3.certifications"
    good = header + "C-1,甲,330782,U1,patrol,on_duty,a;b,,120.1,29.3\n"
    assert client.post("/roster/import", data=good.encode(), content_type="text/csv").get_json()["added"] == 1
    again = client.post("/roster/import", data=good.replace("patrol", "traffic").encode(), content_type="text/csv")
    assert again.get_json() == {"imported": 1, "added": 0, "updated": 1, "units": {"added": 0, "updated": 0}}
    assert client.get("/officers/C-1").get_json()["module"] == "traffic"


def test_a_roster_adds_the_units_it_names_under_the_names_it_gives(pool):
    runtime, client = pool
    header = "officer_id,name,county,unit_id,module,status,unit_name,unit_name_en,unit_level,unit_kind\n"
    rows = header + ("C-1,甲,330782,U-YW-TRF2,traffic,on_duty,义乌市公安局交警大队二中队,"
                     "\"Yiwu City PSB, Traffic Police Brigade, Squadron 2\",,\n"
                     "C-2,乙,330782,U-YW-TRF2,traffic,on_duty,,,,\n"            # the unit's second officer says nothing
                     "C-3,丙,330782,U-YW-TRF2,patrol,on_duty,,,,\n"
                     "C-4,丁,330703,U-JH-SWAT1,riot_control,on_duty,金华市公安局特警支队突击一大队,,city,swat\n"
                     "C-5,戊,330703,U-JH-PAT1,patrol,on_duty,,,,\n")              # a unit with no name: the id
    resp = client.post("/roster/import", data=rows.encode(), content_type="text/csv")
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["units"] == {"added": 3, "updated": 0}
    assert contracts.validate_body("roster-import-result", resp.get_json()) == []
    units = {u["unit_id"]: u for u in client.get("/units?ids=U-YW-TRF2,U-JH-SWAT1,U-JH-PAT1").get_json()}
    assert units["U-YW-TRF2"] == {"unit_id": "U-YW-TRF2", "county": "330782", "city": "330700", "kind": "traffic_squad",
                                  "level": "county", "module": "traffic", "name": "义乌市公安局交警大队二中队",
                                  "name_en": "Yiwu City PSB, Traffic Police Brigade, Squadron 2"}
    assert (units["U-JH-SWAT1"]["level"], units["U-JH-SWAT1"]["kind"], units["U-JH-SWAT1"]["city"]) == ("city", "swat", "330700")
    assert (units["U-JH-PAT1"]["name"], units["U-JH-PAT1"]["kind"]) == (None, "patrol_squad")
    renamed = client.post("/roster/import", json={"officers": [
        officer("C-5", "330703", unit_id="U-JH-PAT1", module="patrol", unit_name="金华市公安局婺城区分局巡特警大队巡逻一中队"),
        officer("C-1", "330782", unit_id="U-YW-TRF2", module="traffic")]})              # says nothing: keeps its name
    assert renamed.get_json()["units"] == {"added": 0, "updated": 1}
    after = {u["unit_id"]: u for u in client.get("/units?ids=U-YW-TRF2,U-JH-PAT1").get_json()}
    assert after["U-JH-PAT1"]["name"] == "金华市公安局婺城区分局巡特警大队巡逻一中队"
    assert after["U-YW-TRF2"] == units["U-YW-TRF2"]
    # a province unit's officers are the province reserve
    client.post("/roster/import", json={"officers": [officer("P-1", "330106", unit_id="U-ZJ-SWAT1", unit_level="province",
                                                             unit_kind="swat", module="riot_control")]})
    assert client.get("/officers/P-1").get_json()["province_reserve"] is True
    assert client.get("/officers/C-4").get_json()["province_reserve"] is False


def test_the_demo_rosters_csv_imports_its_units_as_the_force_names_them(pool, tmp_path):
    _, client = pool
    force = generate("330000", officers=1500, seed=11)
    path = write_officers_csv(force, tmp_path / "officers.csv")
    resp = client.post("/roster/import", data=path.read_bytes(), content_type="text/csv")
    assert resp.status_code == 200, resp.get_json()["errors"][:3]
    named = [u for u in force.units if u.member_ids]
    assert resp.get_json()["units"] == {"added": len(named), "updated": 0}
    served = {}
    for i in range(0, len(named), 500):
        ids = ",".join(u.unit_id for u in named[i:i + 500])
        served.update((u["unit_id"], u) for u in client.get(f"/units?ids={ids}").get_json())
    assert {u.unit_id: (u.county, u.level, u.kind, u.module, u.name, u.name_en) for u in named} == {
        k: (u["county"], u["level"], u["kind"], u["module"], u["name"], u["name_en"]) for k, u in served.items()}


def test_a_roster_that_contradicts_itself_or_the_pool_about_a_unit_imports_nothing(pool):
    runtime, client = pool
    load(client, [officer("K-1", "330782", unit_id="U-YW-1", unit_name="义乌市公安局巡特警大队巡逻一中队")])
    before = len(runtime.outbox.events())
    malformed = client.post("/roster/import", json={"officers": [
        officer("N-7", "330703", unit_id="U-JH-3", unit_kind="canteen"),
        officer("N-8", "330703", unit_id="U-JH-4", unit_name="金" * 65)]})
    assert malformed.status_code == 422
    assert [e["field"] for e in malformed.get_json()["errors"]] == ["officers[0].unit_kind", "officers[1].unit_name"]
    csv = "officer_id,name,county,unit_id,module,status,unit_kind\nN-7,甲,330703,U-JH-3,patrol,on_duty,canteen\n"
    refused = client.post("/roster/import", data=csv.encode(), content_type="text/csv").get_json()["errors"]
    assert refused == [{"field": "line 2.unit_kind", "reason": "one of " + ", ".join(contracts.defined("unit_kind"))}]
    resp = client.post("/roster/import", json={"officers": [
        officer("N-1", "330703", unit_id="U-JH-1", unit_name="金华市公安局交警支队一大队"),
        officer("N-2", "330727", unit_id="U-JH-1"),                                     # another county, same unit
        officer("N-3", "330703", unit_id="U-JH-1", unit_name="金华市公安局交警支队二大队"),   # another name
        officer("N-4", "330703", unit_id="U-YW-1"),                                     # a 义乌 unit the pool holds
        officer("N-5", "330703", unit_id="U-JH-2", unit_level="county"),
        officer("N-6", "330703", unit_id="U-JH-2", unit_level="city")]})
    assert resp.status_code == 422
    errors = resp.get_json()["errors"]
    assert [e["field"] for e in errors] == ["officers.1.unit_id", "officers.2.unit_name", "officers.3.unit_id",
                                            "officers.5.unit_level"]
    assert [e["reason"] for e in errors][:3] == [
        "unit U-JH-1 is in county 330703, not 330727 (as officers.0 gives it)",
        "unit U-JH-1 is given as '金华市公安局交警支队一大队' at officers.0",
        "unit U-YW-1 is in county 330782, not 330703"]
    assert client.get("/officers").get_json()["total"] == 1 and len(runtime.outbox.events()) == before
    assert [u["unit_id"] for u in client.get("/units?ids=U-JH-1,U-JH-2,U-YW-1").get_json()] == ["U-YW-1"]


def test_equipment_compatibility_with_a_receiving_county(pool):
    runtime, client = pool
    from services.resources import store
    with runtime.outbox.transaction() as tx:
        store.insert_equipment(tx.conn, [
            {"equipment_id": "EQ-R1", "type": "radio", "interface_standard": "TETRA", "readiness": "ready",
             "owner_unit": "U1", "county": "330782"},
            {"equipment_id": "EQ-B1", "type": "body_camera", "interface_standard": "GB/T 28181-2016",
             "readiness": "ready", "owner_unit": "U1", "county": "330782"}])
    body = client.post("/equipment/compatibility",
                       json={"county": "330783", "equipment_ids": ["EQ-R1", "EQ-B1", "EQ-X"]}).get_json()
    assert [(i["equipment_id"], i["compatible"]) for i in body["items"]] == [
        ("EQ-R1", False), ("EQ-B1", True), ("EQ-X", False)]
    assert body["compatibility_rate"] == 0.5 and body["items"][2]["found"] is False
    unknown = client.post("/equipment/compatibility", json={"county": "999999", "equipment_ids": ["EQ-R1"]})
    assert unknown.status_code == 422 and unknown.get_json()["errors"][0]["field"] == "county"


def test_regions_form_a_province_city_county_tree(pool):
    _, client = pool
    tree = client.get("/regions").get_json()
    assert tree["code"] == "330000" and len(tree["children"]) == 11
    jinhua = next(c for c in tree["children"] if c["code"] == "330700")
    assert "330783" in [c["code"] for c in jinhua["children"]]
