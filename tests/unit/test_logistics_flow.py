"""logistics from a committed plan to release, over a real SQLite database without a broker: events are
handed to the handlers as the worker would, HTTP goes through the app with signed identities."""
from __future__ import annotations

import copy
from datetime import datetime, timedelta, timezone

import pytest

from services.common import clock, contracts
from services.common.auth import Identity, headers_for
from services.logistics import checker, positions
from services.logistics.bootstrap import create_app
from services.logistics.domain import tracking
from tests import helpers

T0 = datetime(2025, 9, 15, 1, 10, tzinfo=timezone.utc)      # 09:10 in Zhejiang, after the approval
PROVINCE = headers_for(Identity("zj-cmd", "province_commander", "330000"))
RECEIVER = headers_for(Identity("dy-duty", "county_duty_officer", "330783"))      # 东阳市, the receiving county
DONOR = headers_for(Identity("yw-duty", "county_duty_officer", "330782"))         # 义乌市, a donor county
UNIT = headers_for(Identity("unit-lead", "support_officer", "330782"))


def lead_of(order: dict) -> dict:
    """The unit's own support officer (of the county the unit comes from): who acknowledges its order."""
    return headers_for(Identity(f"lead-{order['unit_id']}", "support_officer", order["from_county"]))
SOURCES = {"incident.reported": "demand", "plan.rejected": "matching", "support.requested": "demand", "plan.proposed": "matching", "plan.approved": "matching",
           "officers.committed": "resources", "unit.position-reported": "twin", "county.load-reported": "resources"}


@pytest.fixture
def now(fixed_clock):
    return fixed_clock(T0)


@pytest.fixture
def service(offline_runtime, now):
    runtime = offline_runtime("logistics")
    return runtime, create_app(runtime).test_client()


def deliver(runtime, topic: str, data: dict) -> None:
    """logistics' handler of `topic` on `data`, as from the topic's producer."""
    helpers.deliver(runtime, topic, data, source=f"/mutual-deploy/{SOURCES[topic]}", subject="s")


def example(topic: str) -> dict:
    return copy.deepcopy(contracts.example_event(topic)["data"])


def emitted(runtime, topic: str) -> list[dict]:
    return [e["data"] for e in runtime.outbox.events() if e["type"] == topic]


EMERGENCY = {"deadline": "2025-09-15T09:51:40+08:00"}   # a grade III emergency's 45 minutes from the request


def dispatched(runtime, request: dict | None = None, **committed) -> list[dict]:
    """The example plan, approved and committed (`request`: fields changed in support.requested,
    `committed`: fields added to officers.committed)."""
    extra = {"support.requested": request or {}, "officers.committed": committed}
    for topic in ("support.requested", "plan.proposed", "plan.approved", "officers.committed"):
        deliver(runtime, topic, dict(example(topic), **extra.get(topic, {})))
    return emitted(runtime, "dispatch.ordered")


def report(runtime, order: dict, lon: float, lat: float, at: datetime, *, sent_at: datetime | None = None) -> str:
    """The unit's report of where it was `at`, handled when the (fixed) clock reads `sent_at`: `at`
    itself unless given, or later if the clock already is."""
    fixed = clock.installed()
    fixed.at = max(fixed.at, sent_at or at)
    data = {"unit_id": order["unit_id"], "order_id": order["order_id"], "point": {"lon": lon, "lat": lat},
            "at": at.isoformat()}
    with runtime.outbox.transaction() as tx:
        return positions.apply_report(tx, data, runtime.deps.places, runtime.deps.policy)


def test_a_committed_plan_orders_each_unit_once_with_deadline_reporting_point_and_scope(service):
    runtime, _ = service
    deliver(runtime, "plan.approved", example("plan.approved"))
    assert emitted(runtime, "dispatch.ordered") == []             # approved but not yet committed: no order
    orders = dispatched(runtime, EMERGENCY)
    deliver(runtime, "officers.committed", example("officers.committed"))  # a redelivered commit changes nothing
    assert len(emitted(runtime, "dispatch.ordered")) == 3
    assert sorted(o["unit_id"] for o in orders) == ["UNIT-330703-TS-02", "UNIT-330727-CI-01", "UNIT-330782-TS-01"]
    request = example("support.requested")
    for order in orders:
        assert order["deadline"] == "2025-09-15T01:51:40.000Z" and order["ordered_at"] == "2025-09-15T01:10:00.000Z"
        assert order["reporting_point"] == {"point": request["location"]["point"], "county": "330783",
                                            "name": "东阳市现场指挥部"}
        assert order["scope"]["tasks"] == sorted({"e_forensics", "evidence_collection", "communications",
                                                  "investigation", "interviews"})
        assert order["scope"]["area"]["type"] == "Polygon"
        assert order["receiving_commander"] == "东阳市公安局指挥中心"  # the receiving county commands on scene


def test_a_plan_approved_and_committed_before_its_proposal_is_read_travels_in_the_plans_own_units(service):
    # three topics read in no set order between them: under load the proposal may come last. The
    # approval names each officer's unit, so the orders are the plan's units all the same
    runtime, _ = service
    deliver(runtime, "support.requested", example("support.requested"))
    deliver(runtime, "plan.approved", example("plan.approved"))
    deliver(runtime, "officers.committed", example("officers.committed"))
    orders = emitted(runtime, "dispatch.ordered")
    proposal = example("plan.proposed")
    planned = {}
    for a in proposal["assignments"]:
        planned.setdefault(a["unit_id"], (a["from_county"], []))[1].append(a["officer_id"])
    assert {o["unit_id"]: (o["from_county"], sorted(o["officer_ids"])) for o in orders} == {
        u: (county, sorted(ids)) for u, (county, ids) in planned.items()}
    deliver(runtime, "plan.proposed", proposal)                   # read at last: nothing is ordered again
    assert len(emitted(runtime, "dispatch.ordered")) == len(planned) == 3


def test_unacknowledged_orders_are_resent_then_escalated_and_acknowledged_ones_left_alone(service, now):
    runtime, client = service
    orders = dispatched(runtime)
    first = orders[0]
    other = next(o for o in orders if o["from_county"] != first["from_county"])
    refused = client.post(f"/orders/{first['order_id']}/ack", json={"unit_id": first["unit_id"]},
                          headers=lead_of(other))  # a unit of another county: another county's order
    assert refused.status_code == 403 and first["from_county"] in refused.get_json()["errors"][0]["reason"]
    resp = client.post(f"/orders/{first['order_id']}/ack", json={"unit_id": first["unit_id"]}, headers=lead_of(first))
    assert resp.status_code == 200 and resp.get_json()["status"] == "acknowledged"
    now.at = T0 + timedelta(seconds=121)
    assert checker.run_once(runtime) == {"resent": 2, "escalated": 0, "late": 0}
    now.at += timedelta(seconds=121)
    assert checker.run_once(runtime)["resent"] == 2
    now.at += timedelta(seconds=121)
    assert checker.run_once(runtime)["escalated"] == 2
    assert checker.run_once(runtime) == {"resent": 0, "escalated": 0, "late": 0}
    resent = [o for o in emitted(runtime, "dispatch.ordered") if o.get("attempt", 1) > 1]
    assert {o["order_id"] for o in resent} == {o["order_id"] for o in orders[1:]}
    assert all(o["ordered_at"] == first["ordered_at"] for o in resent)   # the response clock does not restart
    assert [a["order_id"] for a in emitted(runtime, "dispatch.acknowledged")] == [first["order_id"]]


def test_positions_update_eta_raise_a_late_alert_and_stop_the_clock_on_arrival(service, now):
    runtime, client = service
    order = next(o for o in dispatched(runtime, EMERGENCY) if o["unit_id"] == "UNIT-330727-CI-01")
    assert report(runtime, order, 120.70, 29.05, T0 + timedelta(minutes=30)) == "late"   # ~50 km away, 11 min left
    alert = emitted(runtime, "unit.late")[0]
    assert alert["order_id"] == order["order_id"] and alert["late_by_s"] > 0
    assert report(runtime, order, 120.60, 29.10, T0 + timedelta(minutes=20)) == "stale"  # older: changes nothing
    point = order["reporting_point"]["point"]
    now.at = T0 + timedelta(minutes=60)
    assert report(runtime, order, point["lon"] + 0.002, point["lat"], T0 + timedelta(minutes=58)) == "arrived"
    arrived = emitted(runtime, "unit.arrived")[0]
    assert arrived["response_s"] == 58 * 60 and arrived["deadline_met"] is False
    body = client.get(f"/orders/{order['order_id']}", headers=PROVINCE).get_json()
    assert body["status"] == "arrived" and body["late"] is True and body["progress"] == 1.0


def along(order: dict, share: float) -> tuple[float, float]:
    """The point `share` of the way on a straight line from (120.65, 29.0) to the order's reporting point."""
    point = order["reporting_point"]["point"]
    return 120.65 + (point["lon"] - 120.65) * share, 29.0 + (point["lat"] - 29.0) * share


def eta_of(client, order: dict) -> datetime:
    body = client.get(f"/orders/{order['order_id']}", headers=PROVINCE).get_json()
    return datetime.fromisoformat(body["eta"].replace("Z", "+00:00"))


def test_the_arrival_estimate_follows_the_units_own_pace_from_when_it_set_off(service):
    runtime, client = service
    fast, jammed = dispatched(runtime, EMERGENCY)[:2]     # both due at T0 + 41 min 40 s
    target = (fast["reporting_point"]["point"]["lon"], fast["reporting_point"]["point"]["lat"])

    route = runtime.deps.places.route(along(fast, 0.7), target)   # planned from the first report

    def left(share: float) -> float:                       # the route's seconds left from `share` of the way
        return tracking.left_along(route, along(fast, share))[0]

    def close(a: datetime, b: datetime) -> bool:           # the API stamps to the millisecond
        return abs((a - b).total_seconds()) < 0.01

    minute = timedelta(minutes=1)

    # fast: 4 minutes assembling at its station, then the route's 0.7 -> 0.9 stretch, 20 minutes by the estimate, in 10
    assert report(runtime, fast, *along(fast, 0.7), T0 + minute) == "moved"
    assert close(eta_of(client, fast), T0 + minute + timedelta(seconds=left(0.7)))   # no pace yet: the estimate
    assert report(runtime, fast, *along(fast, 0.7), T0 + 5 * minute) == "moved"
    assert report(runtime, fast, *along(fast, 0.9), T0 + 15 * minute) == "moved"
    pace = 600 / (left(0.7) - left(0.9))                   # measured from 5 minutes, when it set off
    assert 0.45 < pace < 0.55
    assert close(eta_of(client, fast), T0 + 15 * minute + timedelta(seconds=left(0.9) * pace))
    assert eta_of(client, fast) < T0 + 15 * minute + timedelta(seconds=left(0.9)) - 4 * minute

    # jammed: the 0.8 -> 0.9 stretch, about 10 minutes by the estimate, in 25
    assert report(runtime, jammed, *along(jammed, 0.8), T0 + minute) == "moved"
    assert T0 + minute + timedelta(seconds=left(0.9)) < T0 + timedelta(minutes=41)   # the estimate: on time
    assert report(runtime, jammed, *along(jammed, 0.9), T0 + 26 * minute) == "late"   # its pace: not
    alert = next(a for a in emitted(runtime, "unit.late") if a["order_id"] == jammed["order_id"])
    assert alert["eta"] > "2025-09-15T01:55:00"            # 25 min for 10 of the estimate: 25 more to go


def test_a_late_unit_that_makes_up_the_time_is_announced_on_time_and_may_be_late_again(service):
    runtime, client = service
    order = dispatched(runtime, EMERGENCY)[0]             # due at T0 + 41 min 40 s
    deadline = T0 + timedelta(minutes=41, seconds=40)
    target = (order["reporting_point"]["point"]["lon"], order["reporting_point"]["point"]["lat"])
    route = runtime.deps.places.route(along(order, 0.0), target)

    def left(share: float) -> float:
        return tracking.left_along(route, along(order, share))[0]

    def late_listed() -> list[str]:
        return [o["order_id"] for o in client.get("/orders?late=true", headers=PROVINCE).get_json()]

    minute = timedelta(minutes=1)
    assert T0 + minute + timedelta(seconds=left(0.0)) > deadline  # the route's estimate: late from the start
    assert report(runtime, order, *along(order, 0.0), T0 + minute) == "late"
    assert late_listed() == [order["order_id"]]
    # on blue lights: 40 % of the way in 10 minutes, a quarter of the route's time for it
    assert report(runtime, order, *along(order, 0.4), T0 + 11 * minute) == "on_time"
    back = emitted(runtime, "unit.on-time")
    assert len(back) == 1 and back[0]["order_id"] == order["order_id"]
    pace = 600 / (left(0.0) - left(0.4))                   # seconds driven per second of the route's estimate
    eta = T0 + 11 * minute + timedelta(seconds=left(0.4) * pace)
    assert abs((eta_of(client, order) - eta).total_seconds()) < 0.01
    assert back[0]["deadline"] == "2025-09-15T01:51:40.000Z" and back[0]["point"]["lon"] == along(order, 0.4)[0]
    assert back[0]["early_by_s"] == round((deadline - eta_of(client, order)).total_seconds()) > 20 * 60
    envelope = next(e for e in runtime.outbox.events() if e["type"] == "unit.on-time")
    assert contracts.validate_event("unit.on-time", envelope) == [] and envelope["subject"] == order["request_id"]
    assert late_listed() == [] and client.get(f"/orders/{order['order_id']}", headers=PROVINCE).get_json()["late"] is False
    assert report(runtime, order, *along(order, 0.45), T0 + 12 * minute) == "moved"  # still on time: nothing new
    # then a jam: 10 % more in 28 minutes, and the late alert comes again
    assert report(runtime, order, *along(order, 0.5), T0 + 40 * minute) == "late"
    assert len(emitted(runtime, "unit.late")) == 2 and len(emitted(runtime, "unit.on-time")) == 1
    assert late_listed() == [order["order_id"]]
    # the incident's after-action report: the three verdicts on its timeline, the unit announced late
    body = client.get(f"/incidents/{order['incident_id']}/report", headers=PROVINCE).get_json()
    helpers.assert_answers("after-action-report", body)   # on the way: nothing arrived, no outcome yet
    assert body["case_outcome"] is None and {d["met"] for d in body["deadlines"]} == {None}
    assert [e["type"] for e in body["timeline"] if e["type"] in ("unit.late", "unit.on-time")] == \
        ["unit.late", "unit.on-time", "unit.late"]
    assert next(d for d in body["deadlines"] if d["order_id"] == order["order_id"])["late_alert"] is True


def test_the_after_action_report_names_a_unit_once_announced_late_that_made_up_the_time(service):
    runtime, client = service
    order = dispatched(runtime, EMERGENCY)[0]
    assert report(runtime, order, *along(order, 0.0), T0 + timedelta(minutes=1)) == "late"
    assert report(runtime, order, *along(order, 0.4), T0 + timedelta(minutes=11)) == "on_time"
    rows = client.get(f"/incidents/{order['incident_id']}/report", headers=PROVINCE).get_json()["deadlines"]
    assert {d["order_id"]: d["late_alert"] for d in rows} == {
        o["order_id"]: o["order_id"] == order["order_id"] for o in emitted(runtime, "dispatch.ordered")}


def test_an_estimate_just_inside_the_deadline_does_not_withdraw_the_late_alert(service):
    runtime, client = service
    order = dispatched(runtime, EMERGENCY)[0]
    deadline = T0 + timedelta(minutes=41, seconds=40)
    policy = runtime.deps.policy
    assert policy.on_time_margin_s == 120                  # reception.yaml: tracking.on_time_margin_s
    assert report(runtime, order, *along(order, 0.0), T0 + timedelta(minutes=1)) == "late"
    target = (order["reporting_point"]["point"]["lon"], order["reporting_point"]["point"]["lat"])
    route = runtime.deps.places.route(along(order, 0.0), target)
    left_04 = tracking.left_along(route, along(order, 0.4))[0]
    # the same place, reached when the pace puts it one minute inside the deadline: still late
    # (pace p = covered / elapsed; eta = at + left * p; solve at for eta = deadline - 60 s)
    covered, start = route["left_s"][0] - left_04, T0 + timedelta(minutes=1)
    at = start + timedelta(seconds=((deadline - timedelta(seconds=60) - start).total_seconds() * covered)
                           / (covered + left_04))
    assert report(runtime, order, *along(order, 0.4), at) == "moved"
    eta = eta_of(client, order)
    assert deadline - timedelta(seconds=120) < eta <= deadline
    assert emitted(runtime, "unit.on-time") == []
    assert client.get(f"/orders/{order['order_id']}", headers=PROVINCE).get_json()["late"] is True


def on_route(route: dict, elapsed_s: float) -> tuple[float, float]:
    """Where a unit is `elapsed_s` into `route` driven at the route's own times."""
    want = route["left_s"][0] - elapsed_s
    for (a, b), (la, lb) in zip(zip(route["points"], route["points"][1:]), zip(route["left_s"], route["left_s"][1:])):
        if lb <= want <= la:
            share = (la - want) / (la - lb) if la > lb else 0.0
            return a[0] + (b[0] - a[0]) * share, a[1] + (b[1] - a[1]) * share
    return tuple(route["points"][-1])


def test_a_unit_keeping_to_its_route_is_timed_along_it_and_not_reported_late(service):
    """磐安 -> 东阳 is 29 minutes by the road graph, through two county seats. The graph times a point
    between two seats by the local roads to its county's seat, and put this unit, half way and on
    time, at a 60-minute arrival: a late alert for a unit due 12 minutes inside its 41-minute deadline."""
    runtime, client = service
    order = next(o for o in dispatched(runtime, EMERGENCY) if o["unit_id"] == "UNIT-330727-CI-01")
    places = runtime.deps.places
    target = (order["reporting_point"]["point"]["lon"], order["reporting_point"]["point"]["lat"])
    seat = tuple(places.geography.seats[places.geography.index_of("330727")])
    route = places.route(seat, target)
    assert len(route["points"]) == 4 and 25 * 60 < route["left_s"][0] < 33 * 60
    due = T0 + timedelta(minutes=1, seconds=route["left_s"][0])
    outcomes = []
    for minute in range(1, 40):
        point = on_route(route, (minute - 1) * 60)
        outcomes.append(report(runtime, order, *point, T0 + timedelta(minutes=minute)))
        if outcomes[-1] == "arrived":
            break
        assert abs((eta_of(client, order) - due).total_seconds()) < 60, minute   # the truth, within a minute
    assert "late" not in outcomes and outcomes[-1] == "arrived"
    assert emitted(runtime, "unit.late") == []
    assert max(T0 + timedelta(minutes=m) + timedelta(seconds=places.travel_s(on_route(route, (m - 1) * 60), target))
               for m in range(1, 29)) > T0 + timedelta(minutes=50)   # the graph's own estimate, point by point


def test_a_unit_far_off_its_route_is_routed_again_from_where_it_is(service):
    runtime, client = service
    order = next(o for o in dispatched(runtime, EMERGENCY) if o["unit_id"] == "UNIT-330727-CI-01")
    places = runtime.deps.places
    target = (order["reporting_point"]["point"]["lon"], order["reporting_point"]["point"]["lat"])
    seat = tuple(places.geography.seats[places.geography.index_of("330727")])
    report(runtime, order, *seat, T0 + timedelta(minutes=1))
    elsewhere = (120.65, 29.45)                              # 25 km north of its way, still plausible in 20 minutes
    assert tracking.left_along(places.route(seat, target), elsewhere)[1] > 10_000
    report(runtime, order, *elsewhere, T0 + timedelta(minutes=21))
    again = places.route(elsewhere, target)
    assert abs((eta_of(client, order) - (T0 + timedelta(minutes=21, seconds=again["left_s"][0]))).total_seconds()) < 0.01


def test_a_database_made_before_orders_measured_pace_gains_the_columns_and_tracks_on(service, offline_runtime):
    from sqlalchemy import inspect, text
    runtime, _ = service
    order = dispatched(runtime, EMERGENCY)[0]
    assert report(runtime, order, *along(order, 0.7), T0 + timedelta(minutes=1)) == "moved"
    with runtime.engine.begin() as conn:                 # as a database of the release before
        conn.execute(text("ALTER TABLE orders DROP COLUMN pace_at"))
        conn.execute(text("ALTER TABLE orders DROP COLUMN pace_left_s"))
        conn.execute(text("ALTER TABLE orders DROP COLUMN route"))
        conn.execute(text("ALTER TABLE timeline DROP COLUMN seq"))
    runtime.engine.dispose()
    again = offline_runtime("logistics")                 # the same file, opened by this release
    assert {"route", "pace_at", "pace_left_s"} <= {c["name"] for c in inspect(again.engine).get_columns("orders")}
    assert "seq" in {c["name"] for c in inspect(again.engine).get_columns("timeline")}
    assert report(again, order, *along(order, 0.9), T0 + timedelta(minutes=11)) == "moved"
    timeline = create_app(again).test_client().get(f"/incidents/{order['incident_id']}/report",
                                                   headers=PROVINCE).get_json()["timeline"]
    assert [e["type"] for e in timeline].count("dispatch.ordered") == 3   # rows kept from before the column


def test_a_report_stamped_ahead_of_the_clock_is_refused_and_does_not_hold_back_the_next(service):
    runtime, client = service
    order = dispatched(runtime)[0]
    assert report(runtime, order, 120.60, 29.10, T0 + timedelta(minutes=2), sent_at=T0) != "stale"   # 2 min: a clock's drift
    with pytest.raises(positions.AheadOfTime, match=r"600 s ahead of logistics' clock \(allowed: 300 s\)"):
        report(runtime, order, 120.59, 29.11, T0 + timedelta(minutes=12), sent_at=T0 + timedelta(minutes=2))
    assert report(runtime, order, 120.58, 29.12, T0 + timedelta(minutes=3)) != "stale"   # applied
    body = client.get(f"/units/{order['unit_id']}/position", headers=PROVINCE).get_json()
    assert body["at"] == "2025-09-15T01:13:00.000Z" and body["point"] == {"lon": 120.58, "lat": 29.12}
    assert contracts.validate_body("unit-position", body) == []


def test_reports_for_unknown_units_or_at_implausible_speed_are_rejected_with_the_reason(service):
    runtime, _ = service
    order = dispatched(runtime)[0]
    with pytest.raises(positions.UnknownUnit, match="unknown unit UNIT-NOBODY"):
        report(runtime, dict(order, unit_id="UNIT-NOBODY"), 120.2, 29.2, T0 + timedelta(minutes=1))
    report(runtime, order, 120.00, 29.20, T0 + timedelta(minutes=1))
    with pytest.raises(positions.ImplausibleSpeed, match="km/h"):
        report(runtime, order, 121.00, 29.20, T0 + timedelta(minutes=2))     # ~97 km in one minute


def test_only_the_receiving_command_may_instruct_and_only_within_scope_and_every_attempt_is_recorded(service, now):
    runtime, client = service
    order = dispatched(runtime)[0]
    url = f"/orders/{order['order_id']}/instructions"
    now.at = T0 + timedelta(minutes=40)
    inside = {"task": "e_forensics", "point": order["reporting_point"]["point"]}
    assert client.post(url, json=inside, headers=RECEIVER).status_code == 201
    refused = client.post(url, json=inside, headers=DONOR)
    assert refused.status_code == 403 and "receiving command of county 330783" in refused.get_json()["detail"]
    wrong_task = client.post(url, json={"task": "arrest"}, headers=RECEIVER)
    assert wrong_task.status_code == 422 and wrong_task.get_json()["errors"][0]["field"] == "task"
    far = client.post(url, json={"task": "e_forensics", "point": {"lon": 121.5, "lat": 29.9}}, headers=RECEIVER)
    assert far.status_code == 422 and "outside the granted area" in far.get_json()["detail"]
    recorded = emitted(runtime, "instruction.recorded")
    assert [(r["accepted"], r["region"]) for r in recorded] == [(True, "330783"), (False, "330782"),
                                                                 (False, "330783"), (False, "330783")]


def test_positions_are_core_data_for_the_province_and_the_receiving_command_sees_them_only_when_the_province_says(
        service):
    runtime, client = service
    order = dispatched(runtime)[0]
    report(runtime, order, 120.10, 29.25, T0 + timedelta(minutes=5))
    url = f"/units/{order['unit_id']}/position"
    body = client.get(url, headers=PROVINCE).get_json()
    assert body["point"] == {"lon": 120.10, "lat": 29.25} and body["classification"] == "core"
    assert client.get(url, headers=RECEIVER).status_code == 403                 # off by default
    assert client.get("/policy/positions", headers=RECEIVER).get_json()["receiving_command_sees_own_units"] is False
    turn_on = {"receiving_command_sees_own_units": True, "reason": "typhoon defence: the county commands on scene"}
    assert client.put("/policy/positions", json=turn_on, headers=RECEIVER).status_code == 403
    assert client.put("/policy/positions", json=turn_on, headers=PROVINCE).status_code == 200
    assert client.get(url, headers=RECEIVER).status_code == 200
    assert client.get(url, headers=DONOR).status_code == 403                    # not the receiving command
    assert "point" not in client.get(f"/orders/{order['order_id']}", headers=DONOR).get_json()
    client.put("/policy/positions", json={"receiving_command_sees_own_units": False, "reason": "typhoon passed"},
               headers=PROVINCE)
    assert client.get(url, headers=RECEIVER).status_code == 403
    switch = client.get("/policy/positions", headers=PROVINCE).get_json()
    assert contracts.validate_body("position-sharing", switch) == [] and switch["decided_by"] == "province command"
    history = switch["history"]
    assert [(h["receiving_command_sees_own_units"], h["changed_by"]) for h in history] == [(False, "zj-cmd"),
                                                                                          (True, "zj-cmd")]
    auditor = headers_for(Identity("audit", "auditor", "330000"))
    reads = client.get(f"/audit/access?path={url}", headers=auditor).get_json()
    reads = reads.get("entries", reads) if isinstance(reads, dict) else reads
    assert [(r["subject"], r["status"]) for r in reversed(reads)] == [
        ("zj-cmd", 200), ("dy-duty", 403), ("dy-duty", 200), ("yw-duty", 403), ("dy-duty", 403)]


def test_the_position_switch_survives_a_restart(offline_runtime, now):
    runtime = offline_runtime("logistics")
    create_app(runtime).test_client().put("/policy/positions", headers=PROVINCE, json={
        "receiving_command_sees_own_units": True, "reason": "major-event security"})
    runtime.engine.dispose()
    again = offline_runtime("logistics")  # the same file
    body = create_app(again).test_client().get("/policy/positions", headers=PROVINCE).get_json()
    assert body["receiving_command_sees_own_units"] is True and body["decided_by"] == "province command"


def test_devices_post_positions_through_the_outbox_and_bad_ones_get_a_clear_4xx(service):
    runtime, client = service
    order = dispatched(runtime)[0]
    url = f"/units/{order['unit_id']}/positions"
    body = {"order_id": order["order_id"], "point": {"lon": 120.1, "lat": 29.2}, "at": "2025-09-15T01:15:00Z"}
    assert client.post(url, json=body, headers=lead_of(order)).status_code == 202
    assert emitted(runtime, "unit.position-reported")[0] == {"unit_id": order["unit_id"], **body}
    assert client.post("/units/UNIT-X/positions", json=body, headers=lead_of(order)).status_code == 404
    bad = client.post(url, json=dict(body, point={"lon": 200, "lat": 29.2}), headers=lead_of(order))
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["field"] == "point.lon"
    ahead = client.post(url, json=dict(body, at="2025-09-15T01:40:00Z"), headers=lead_of(order))   # clock: 01:10
    assert ahead.status_code == 422 and ahead.get_json()["errors"][0]["field"] == "at"
    assert "1800 s ahead" in ahead.get_json()["errors"][0]["reason"] and len(emitted(runtime, "unit.position-reported")) == 1
    assert client.post(url, json=body, headers=RECEIVER).status_code == 403


def test_reception_capacity_flags_release_and_coverage(service, now):
    runtime, client = service
    officers = example("officers.committed")["officer_ids"]
    wages = dict(zip(officers[:5], (350, 420, 480, 560, 640)))              # the sixth has no wage on record
    order = dispatched(runtime, base_wage_daily=wages)[0]
    dep = order["deployment_id"]
    url = f"/deployments/{dep}/arrangements"
    too_many = client.post(url, json={"lodging": {"status": "arranged", "quantity": 261}}, headers=RECEIVER)
    assert too_many.status_code == 409 and "260" in too_many.get_json()["detail"]
    (error,) = too_many.get_json()["errors"]  # named, with its figures, for a client that words it itself
    assert error["code"] == "reception.beds_short" and error["field"] == "lodging.quantity"
    assert error["params"] == {"requested": 261, "free": 260, "capacity": 260, "county": "330783"}
    assert contracts.validate_body("problem", too_many.get_json()) == []
    ok = client.post(url, json={"lodging": {"status": "arranged", "quantity": 6}}, headers=RECEIVER)
    assert ok.status_code == 200 and ok.get_json()["missing"] == ["meals", "transport", "medic"]
    assert ok.get_json()["arrangements"]["medic"]["quantity"] == 3          # 6 officers in 3 teams: a medic each
    refused = client.post(url, json={"medic": {"status": "not_needed"}}, headers=RECEIVER)
    assert refused.status_code == 422 and "every team" in refused.get_json()["detail"]
    assert refused.get_json()["errors"][0]["code"] == "reception.medic_needed"
    point = order["reporting_point"]["point"]
    report(runtime, order, point["lon"], point["lat"], T0 + timedelta(minutes=25))
    flags = client.get(f"/deployments/{dep}", headers=RECEIVER).get_json()["flags"]
    assert [f["item"] for f in flags] == ["meals", "transport", "medic"]
    client.post(url, json={"meals": {"status": "arranged"}, "transport": {"status": "arranged"}}, headers=RECEIVER)
    assert client.get("/indicators", headers=PROVINCE).get_json()["logistics_coverage"]["coverage"] == 0.0
    client.post(url, json={"medic": {"status": "arranged", "quantity": 3}}, headers=RECEIVER)
    assert client.get("/indicators", headers=PROVINCE).get_json()["logistics_coverage"]["coverage"] == 1.0
    assert len(emitted(runtime, "logistics.arranged")) == 3
    donor = client.post(f"/deployments/{dep}/release", json={}, headers=DONOR)
    assert donor.status_code == 403 and donor.get_json()["errors"][0]["code"] == "logistics.receiving_command_only"
    now.at = T0 + timedelta(hours=5)
    released = client.post(f"/deployments/{dep}/release", json={"outcome": "completed"}, headers=RECEIVER).get_json()
    assert released["duty_minutes"] == 300 and set(released["duty_minutes_by_officer"]) == set(released["officer_ids"])
    assert len(released["officer_ids"]) == 6 and emitted(runtime, "deployment.released")[0] == released
    again = client.post(f"/deployments/{dep}/release", json={"outcome": "completed"}, headers=RECEIVER)
    assert again.status_code == 409 and again.get_json()["errors"][0]["code"] == "deployment.released"
    assert released["psychological_followup"] is False                       # a grade III task
    body = client.get(f"/deployments/{dep}", headers=RECEIVER).get_json()
    pay = body["allowance"]["per_officer"]
    assert [pay[o]["amount"] for o in officers] == [420.0, 504.0, 576.0, 672.0, 768.0, None]
    assert body["allowance"]["total"] == 2940.0 and body["allowance"]["wage_unknown"] == [officers[5]]
    assert body["care"] == {"medic": {"status": "arranged", "quantity": 3}, "psychological_followup": False,
                            "followup_due": False}


def test_a_grade_ii_task_flags_psychological_follow_up_on_release(service, now):
    runtime, client = service
    for topic in ("support.requested", "plan.proposed", "plan.approved", "officers.committed"):
        data = example(topic)
        deliver(runtime, topic, dict(data, grade="II") if "grade" in data else data)
    dep = emitted(runtime, "dispatch.ordered")[0]["deployment_id"]
    assert client.get(f"/deployments/{dep}", headers=RECEIVER).get_json()["care"]["followup_due"] is False
    now.at = T0 + timedelta(hours=3)
    released = client.post(f"/deployments/{dep}/release", json={}, headers=RECEIVER).get_json()
    assert released["psychological_followup"] is True
    assert client.get(f"/deployments/{dep}", headers=RECEIVER).get_json()["care"]["followup_due"] is True
    incident = released["incident_id"]
    after = client.get(f"/incidents/{incident}/report", headers=PROVINCE).get_json()
    helpers.assert_answers("after-action-report", after)   # released
    reception = after["reception"][0]
    assert reception["psychological_followup"] is True and reception["status"] == "released"
    served = client.get(f"/incidents/{incident}/report.html", headers=PROVINCE)
    assert served.mimetype == "text/html" and "psychological follow-up for every officer" in served.get_data(as_text=True)


def test_an_extension_is_requested_by_the_receiver_and_approved_at_the_requests_level(service):
    runtime, client = service
    dep = dispatched(runtime)[0]["deployment_id"]
    url = f"/deployments/{dep}/extension"
    assert client.post(url, json={"until": "2025-09-16T03:00:00Z", "reason": "more evidence"},
                       headers=RECEIVER).status_code == 202
    city = headers_for(Identity("jh-city", "city_commander", "330700"))
    assert client.post(url + "/approve", json={}, headers=city).status_code == 403   # the request needs the province
    approved = client.post(url + "/approve", json={"comment": "ok"}, headers=PROVINCE).get_json()
    assert approved["until"] == "2025-09-16T03:00:00.000Z" and emitted(runtime, "deployment.extended")
    orders = client.get(f"/orders?deployment_id={dep}", headers=PROVINCE).get_json()
    assert {o["order"]["scope"]["until"] for o in orders} == {"2025-09-16T03:00:00.000Z"}


def test_indicators_and_the_after_action_report_come_from_the_events(service, now):
    runtime, client = service
    deliver(runtime, "county.load-reported", example("county.load-reported"))
    deliver(runtime, "incident.reported", example("incident.reported"))
    orders = dispatched(runtime)
    deliver(runtime, "plan.rejected", example("plan.rejected"))
    point = orders[0]["reporting_point"]["point"]
    report(runtime, orders[0], point["lon"], point["lat"], T0 + timedelta(minutes=30))
    dep = orders[0]["deployment_id"]
    client.post(f"/deployments/{dep}/surveys", json={"side": "receiver", "rating": 4}, headers=RECEIVER)
    client.post(f"/deployments/{dep}/surveys", json={"side": "officer", "rating": 2}, headers=UNIT)
    client.post(f"/orders/{orders[0]['order_id']}/equipment-check", json={"checked": 4, "compatible": 3},
                headers=RECEIVER)
    out = client.get("/indicators?county=330783", headers=PROVINCE).get_json()
    assert out["response_time"]["by_grade"]["III"] == {"arrivals": 1, "mean_s": 1800.0, "p90_s": 1800,
                                                       "within_deadline_share": 1.0}
    assert out["satisfaction"]["score"] == 3.0 and out["equipment_compatibility"]["rate"] == 0.75
    assert out["response_time"]["definition"].startswith("From the order issued to the officers in place")
    assert contracts.validate_body("indicators", out) == []
    assert client.get("/indicators?county=330106", headers=PROVINCE).get_json()["response_time"]["arrivals"] == 0
    incident = orders[0]["incident_id"]
    util = client.get(f"/indicators?incident={incident}", headers=PROVINCE).get_json()["utilisation"]
    assert util["utilisation"] == round(2 / (86 + 2), 4)      # the donor 义乌: 2 sent of 88 deployable (152 local work)
    clearance = client.get(f"/indicators?incident={incident}", headers=PROVINCE).get_json()["cross_region_clearance"]
    assert (clearance["cases"], clearance["solved"], clearance["rate"]) == (1, 0, 0.0)   # supported from 3 counties
    outcome = f"/incidents/{incident}/case-outcome"
    assert client.post(outcome, json={"solved": True}, headers=DONOR).status_code == 403
    assert client.post(outcome, json={"solved": True, "note": "23 arrested"}, headers=RECEIVER).status_code == 200
    clearance = client.get(f"/indicators?incident={incident}", headers=PROVINCE).get_json()["cross_region_clearance"]
    assert (clearance["cases"], clearance["solved"], clearance["rate"]) == (1, 1, 1.0)
    assert client.get("/indicators?from=yesterday", headers=PROVINCE).status_code == 400
    body = client.get(f"/incidents/{incident}/report", headers=PROVINCE).get_json()
    helpers.assert_answers("after-action-report", body)   # arrived, rated, checked, the case solved
    types = [e["type"] for e in body["timeline"]]
    assert types[:3] == ["incident.reported", "support.requested", "plan.proposed"]
    assert types.count("dispatch.ordered") == 3 and "plan.rejected" in types
    assert "unit.arrived" in types
    approval = next(e for e in body["timeline"] if e["type"] == "plan.approved")
    assert approval["actor"].startswith("U-330000-0031")
    assert body["plans"][0]["chosen"] and body["deadlines"][0]["met"] is True
    assert body["case_outcome"]["solved"] is True and body["indicators"]["cross_region_clearance"]["rate"] == 1.0
    page = client.get(f"/incidents/{incident}/report.html", headers=PROVINCE).get_data(as_text=True)
    assert '<script src="/static/plotly.min.js">' in page and "cdn" not in page.lower()
    assert "officers available to deploy" in page and "Case outcome: solved" in page   # the plan's definitions
    js = client.get("/static/plotly.min.js")
    assert js.status_code == 200 and len(js.data) > 1_000_000
    assert client.get("/incidents/INC-NONE/report", headers=PROVINCE).status_code == 404


def test_a_unit_still_on_the_way_at_its_deadline_raises_one_late_alert(service, now):
    runtime, client = service
    orders = dispatched(runtime, EMERGENCY)
    now.at = T0 + timedelta(minutes=42)                          # the deadline is 09:51:40 local
    assert checker.run_once(runtime)["late"] == 3
    now.at += timedelta(minutes=5)
    assert checker.run_once(runtime)["late"] == 0
    late = client.get("/orders?late=true", headers=PROVINCE).get_json()
    assert {o["order_id"] for o in late} == {o["order_id"] for o in orders}


def test_facts_of_one_time_are_reported_in_the_order_their_producer_emitted_them(service):
    """demand records an incident and raises its request in one transaction, at one time: the report's
    timeline gives the incident first (the producer's seq), whatever the events' ids."""
    from services.common.envelope import GENESIS, new_event, seal
    runtime, client = service
    incident, asked = example("incident.reported"), example("support.requested")
    asked["requested_at"] = incident["reported_at"]
    events = []
    for seq, (topic, data, event_id) in enumerate(
            (("incident.reported", incident, "ffffffff-0000-4000-8000-000000000001"),
             ("support.requested", asked, "00000000-0000-4000-8000-000000000002")), start=41):
        events.append(seal(new_event(topic=topic, source="/mutual-deploy/demand", data=data, subject="s",
                                     correlationid=incident["incident_id"], event_id=event_id),
                           seq=seq, prevhash=events[-1]["hash"] if events else GENESIS))
    for event in reversed(events):   # delivered in either order: the timeline keeps the producer's
        helpers.deliver(runtime, event["type"], event=event)
    body = client.get(f"/incidents/{incident['incident_id']}/report", headers=PROVINCE).get_json()
    assert [(e["type"], e["at"]) for e in body["timeline"]] == [
        ("incident.reported", "2025-09-15T01:05:00.000Z"), ("support.requested", "2025-09-15T01:05:00.000Z")]
