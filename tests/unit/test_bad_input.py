"""Bad input gets a clear error and changes nothing: numbers JSON does not have, times no service can
compute with, roster cells of the wrong kind, a position stamped before its order, and refusals that
name the field they are about."""
from __future__ import annotations

import copy
import json

from services.common import contracts
from services.common.auth import Identity, headers_for
from services.common.bus import Record
from services.common.envelope import GENESIS, new_event, seal
from services.common.runtime import Runtime
from tests.helpers import offline_settings
from tests.unit.test_logistics_object_access import RECEIVER, lead_of, service  # noqa: F401 (logistics, dispatched)
from tests.unit.test_resources_object_access import PROVINCE, XIHU_POOL, pool  # noqa: F401 (resources, a roster)

INTEGRATOR = headers_for(Identity("i", "integrator"))
JSON = "application/json"
FAR = "9999-12-31T23:59:59-14:00"   # a valid RFC 3339 text whose UTC is past the year 9999


def problem(resp, status: int) -> list[dict]:
    assert resp.status_code == status, (resp.status_code, resp.get_json())
    return resp.get_json()["errors"]


def test_nan_and_infinity_in_a_body_are_refused_before_anything_changes(pool):  # noqa: F811
    client, _ = pool
    assert client.patch("/counties/330783", json={"reserve_share": 0.9}, headers=PROVINCE).status_code == 200
    for constant in ("NaN", "Infinity", "-Infinity"):
        errors = problem(client.patch("/counties/330783", data=f'{{"reserve_share": {constant}}}', content_type=JSON,
                                      headers=PROVINCE), 400)
        assert errors == [{"field": "(body)", "reason": f"{constant} is not a JSON number (RFC 8259)"}]
    errors = problem(client.patch("/counties/330783", data='{"reserve_share": 1e999}', content_type=JSON,
                                  headers=PROVINCE), 400)   # infinity by another spelling
    assert errors == [{"field": "(body)", "reason": "1e999 is beyond the numbers a float holds"}]
    [load] = client.get("/counties/load?county=330783", headers=PROVINCE).get_json()
    assert load["reserve_share"] == 0.9


def test_a_record_holding_nan_is_parked_as_not_json(registry, tmp_path):
    data = copy.deepcopy(contracts.example_event("incident.reported")["data"])
    data["size"]["area_km2"] = "@"
    event = seal(new_event(topic="incident.reported", source="/mutual-deploy/demand", data=data, subject="s",
                           correlationid="c"), seq=1, prevhash=GENESIS, signer=registry.signer("demand"))
    records = [Record("incident.reported", 0, n, "k", json.dumps(event).replace('"@"', number).encode())
               for n, number in enumerate(("NaN", "1e999"))]
    consumer = Runtime.build(offline_settings("bench-consumer", tmp_path, file="c.db"),
                             handlers={"incident.reported": lambda ctx: None})
    try:
        consumer.worker.process_batch(records)
        letters = [e["data"]["reason"] for e in consumer.outbox.events() if e["type"] == "deadletter"]
        assert letters == ["not JSON: NaN is not a JSON number (RFC 8259)",
                           "not JSON: 1e999 is beyond the numbers a float holds"]
        assert consumer.worker.stats["handled"] == 0
    finally:
        consumer.engine.dispose()


def test_roster_cells_of_the_wrong_kind_are_named_and_nothing_is_imported(pool):  # noqa: F811
    client, _ = pool
    row = copy.deepcopy(contracts.example_body("roster-import")["officers"][0])
    row.update(officer_id="ZJ330106-09009", county="330106", city="330100", unit_id="U330106-C-FOR001")
    for key in ("unit_name", "unit_name_en"):
        row.pop(key, None)
    for bad, field, reason in ((dict(row, birth_year="inf"), "birth_year", "'inf' is not a finite number"),
                               (dict(row, duty_minutes_24h="nan"), "duty_minutes_24h", "'nan' is not a finite number"),
                               (dict(row, base_wage_daily=True), "base_wage_daily", "True is not a number"),
                               (dict(row, name={"a": 1}), "name", "a string, not a JSON dict"),
                               (dict(row, officer_id=7), "officer_id", "a string, not a JSON int")):
        errors = problem(client.post("/roster/import", json={"officers": [bad]}, headers=XIHU_POOL), 422)
        assert errors == [{"field": f"officers.0.{field}", "reason": reason}], errors
    csv = "officer_id,name,county,unit_id,module,status,birth_year\nZJ330106-09009,李四,330106,U330106-C-FOR001,patrol,on_duty,inf\n"
    errors = problem(client.post("/roster/import", data=csv, content_type="text/csv", headers=XIHU_POOL), 422)
    assert [e["field"] for e in errors] == ["line 2.birth_year"]
    assert client.get("/officers/ZJ330106-09009", headers=PROVINCE).status_code == 404


def test_a_time_no_service_can_compute_with_is_refused_by_the_contract_and_the_query(service):  # noqa: F811
    runtime, client, order, _ = service
    errors = problem(client.post(f"/deployments/{order['deployment_id']}/extension",
                                 json={"until": FAR, "reason": "the search goes on"}, headers=RECEIVER), 422)
    assert [e["field"] for e in errors] == ["until"]
    assert [e["field"] for e in problem(client.get(f"/indicators?to={FAR}", headers=RECEIVER), 400)] == ["to"]
    since = "0001-01-01T00:00:00%2B14:00"
    auditor = headers_for(Identity("a", "auditor"))
    assert [e["field"] for e in problem(client.get(f"/audit/access?since={since}", headers=auditor), 400)] == ["since"]


def test_a_position_stamped_before_its_order_is_refused_and_not_an_arrival(service):  # noqa: F811
    runtime, client, order, _ = service
    body = {"order_id": order["order_id"], "point": order["reporting_point"]["point"], "at": "1970-01-01T00:00:00Z"}
    [error] = problem(client.post(f"/units/{order['unit_id']}/positions", json=body, headers=lead_of(order)), 422)
    assert error["field"] == "at" and "before its order" in error["reason"]
    assert client.get(f"/orders/{order['order_id']}", headers=RECEIVER).get_json().get("arrived_at") is None
    elsewhere = dict(body, order_id="ORD-NOT-THIS-UNITS", at=order["ordered_at"])
    [error] = problem(client.post(f"/units/{order['unit_id']}/positions", json=elsewhere, headers=lead_of(order)), 422)
    assert error["field"] == "order_id"
    # a device clock a little behind logistics' (within the skew allowed ahead) is no report before the order;
    # at the reporting point it is an arrival at the order's time, not before it
    from datetime import timedelta

    from services.common.clock import parse_time, stamp
    behind = dict(body, at=stamp(parse_time(order["ordered_at"]) - timedelta(seconds=30)))
    assert client.post(f"/units/{order['unit_id']}/positions", json=behind, headers=lead_of(order)).status_code == 202
    [event] = [e for e in runtime.outbox.events() if e["type"] == "unit.position-reported"]
    from services.logistics.handlers import HANDLERS
    from tests import helpers
    helpers.deliver(runtime, "unit.position-reported", event=event, handlers=HANDLERS)
    arrived = client.get(f"/orders/{order['order_id']}", headers=RECEIVER).get_json()
    assert arrived["arrived_at"] == order["ordered_at"] and arrived["response_s"] == 0


def test_an_instruction_outside_the_grant_is_refused_naming_what_is_outside(service):  # noqa: F811
    runtime, client, order, _ = service
    granted = order["scope"]["tasks"][0]
    far_away = {"task": granted, "point": {"lon": 0.0, "lat": 0.0}}
    [error] = problem(client.post(f"/orders/{order['order_id']}/instructions", json=far_away, headers=RECEIVER), 422)
    assert error == {"field": "point", "reason": "the point lies outside the granted area"}
    [error] = problem(client.post(f"/orders/{order['order_id']}/instructions", json={"task": "not_granted"},
                                  headers=RECEIVER), 422)
    assert error["field"] == "task"


def test_an_unknown_county_is_named_as_the_body_names_it(offline_runtime):
    from services.demand.bootstrap import create_app
    client = create_app(offline_runtime("demand")).test_client()
    errors = problem(client.post("/needs/parse", json={"county": "999999", "text": "需要十名巡警"}, headers=PROVINCE), 422)
    assert [e["field"] for e in errors] == ["county"]


def test_a_query_value_mistyped_is_refused_naming_it_not_answered_with_nothing(pool, service, offline_runtime):  # noqa: F811
    client, _ = pool
    assert client.get("/units?county=,", headers=PROVINCE).status_code == 200   # no code given: every unit
    for url, field in (("/commitments?status=flying", "status"), ("/units?county=abc", "county"),
                       ("/counties/load?county=330783,abc", "county"), ("/points/reciprocity?city=abc", "city"),
                       ("/officers?limit=²", "limit"), ("/officers?offset=١", "offset")):  # digits int() takes too
        assert [e["field"] for e in problem(client.get(url, headers=PROVINCE), 400)] == [field], url
    assert client.get("/counties/load?county=330783", headers=PROVINCE).status_code == 200
    assert client.get("/commitments?status=released", headers=PROVINCE).status_code == 200
    _, logistics, *_ = service
    assert [e["field"] for e in problem(logistics.get("/orders?late=yes", headers=RECEIVER), 400)] == ["late"]
    assert logistics.get("/orders?late=false", headers=RECEIVER).status_code == 200
    from services.demand.bootstrap import create_app
    demand = create_app(offline_runtime("demand")).test_client()
    for limit in ("-5", "0", "1001", "ten", "²", "١٠"):
        assert [e["field"] for e in problem(demand.get(f"/requests?limit={limit}", headers=PROVINCE), 400)] == ["limit"]
    assert demand.get("/requests?limit=1000", headers=PROVINCE).status_code == 200


def test_a_404_names_the_part_of_the_path_that_names_nothing(pool):  # noqa: F811
    client, _ = pool
    assert problem(client.get("/officers/ZJ-NOBODY", headers=PROVINCE), 404) == [
        {"field": "officer_id", "reason": "no officer ZJ-NOBODY"}]
    assert problem(client.get("/no/such/route", headers=PROVINCE), 404)[0]["field"] == "(path)"


def test_an_extension_moves_a_tasks_end_by_a_day_at_most(service):  # noqa: F811
    runtime, client, order, _ = service
    url = f"/deployments/{order['deployment_id']}/extension"
    end = client.get(f"/deployments/{order['deployment_id']}", headers=RECEIVER).get_json()["task_end"]
    from datetime import timedelta

    from services.common.clock import parse_time, stamp
    [error] = problem(client.post(url, json={"until": stamp(parse_time(end) + timedelta(hours=24, seconds=1)),
                                             "reason": "the search goes on"}, headers=RECEIVER), 422)
    assert error["field"] == "until" and error["reason"].startswith("at most 24 h after the current end")
    assert client.post(url, json={"until": stamp(parse_time(end) + timedelta(hours=24)), "reason": "the search goes on"},
                       headers=RECEIVER).status_code == 202


def test_more_mistyped_query_values_are_refused(service, offline_runtime):  # noqa: F811
    _, logistics, *_ = service
    errors = problem(logistics.get("/indicators?from=2025-09-15T02:00:00Z&to=2025-09-15T01:00:00Z", headers=RECEIVER), 400)
    assert [e["field"] for e in errors] == ["to"]
    from services.demand.bootstrap import create_app
    demand = create_app(offline_runtime("demand")).test_client()
    assert [e["field"] for e in problem(demand.get("/reports/performance/history?period=abc", headers=PROVINCE),
                                        400)] == ["period"]
    assert demand.get("/reports/performance/history?period=2026-H1", headers=PROVINCE).status_code == 200
    assert demand.get("/reports/performance/history?period=2026-06-01..2026-06-15", headers=PROVINCE).status_code == 200
    assert [e["field"] for e in problem(demand.get("/incidents/INC-X?include=everything", headers=PROVINCE),
                                        400)] == ["include"]
