"""The field side of an exercise: units acknowledge, move and arrive on the exercise clock."""
import logging
import threading
from datetime import datetime, timedelta, timezone

from prometheus_client.parser import text_string_to_metric_families

from services.common.metrics import ServiceMetrics
from services.exercise.field import FieldPolicy, FieldSide
from tests.helpers import wait_for

T0 = datetime(2025, 9, 15, 9, 10, tzinfo=timezone(timedelta(hours=8)))
SEAT = {"330782": (120.075, 29.306)}
POINT = {"lon": 120.2413, "lat": 29.2894}


def order(order_id="ORD-1", attempt=None):
    data = {"order_id": order_id, "plan_id": "PLAN-1A", "request_id": "REQ-1", "unit_id": "UNIT-330782-TS-01",
            "from_county": "330782", "officer_ids": ["P-1"], "deadline": (T0 + timedelta(hours=3)).isoformat(),
            "reporting_point": {"point": POINT, "county": "330783", "name": "东阳"}, "ordered_at": T0.isoformat()}
    if attempt:
        data["attempt"] = attempt
    return {"type": "dispatch.ordered", "data": data}


class Logistics:
    def __init__(self):
        self.calls = []

    def post(self, url, json, headers, timeout):
        self.calls.append((url.split("127.0.0.1")[-1], json))
        return type("Resp", (), {"status_code": 200})()


def field(events, clock, travel_s=1800.0, **policy):
    logistics = Logistics()
    side = FieldSide("http://127.0.0.1", events=lambda: events, now=lambda: clock[0], seat=SEAT.get,
                     travel_s=lambda a, b: travel_s, policy=FieldPolicy(min_wall_gap_s=0.0, **policy),
                     post=logistics.post)
    return side, logistics


def test_an_order_is_acknowledged_a_simulated_minute_after_it_was_issued_once_even_if_resent():
    clock = [T0 + timedelta(seconds=30)]
    side, logistics = field([order(), order(attempt=2)], clock)
    side.step()
    assert logistics.calls == []
    clock[0] = T0 + timedelta(seconds=61)
    side.step()
    side.step()
    assert [c[0] for c in logistics.calls] == ["/orders/ORD-1/ack"]
    assert logistics.calls[0][1]["unit_id"] == "UNIT-330782-TS-01"


def test_the_unit_leaves_after_mobilising_and_arrives_at_the_reporting_point_at_its_simulated_time():
    clock = [T0 + timedelta(seconds=61)]
    side, logistics = field([order()], clock, travel_s=1800.0)
    side.step()  # ack; still mobilising (600 s)
    clock[0] = T0 + timedelta(seconds=1200)
    side.step()
    moving = logistics.calls[-1][1]
    assert logistics.calls[-1][0] == "/units/UNIT-330782-TS-01/positions"
    assert SEAT["330782"][0] < moving["point"]["lon"] < POINT["lon"] and moving["speed_kmh"] > 0
    clock[0] = T0 + timedelta(seconds=2500)  # delivered late (the wall clock ran on) ...
    side.step()
    arrival = logistics.calls[-1][1]
    assert arrival["point"] == POINT and arrival["at"] == (T0 + timedelta(seconds=1800)).isoformat()  # ... stamped on time
    assert side.stats["arrived"] == 1
    side.step()
    assert len(logistics.calls) == 3


def test_the_trip_takes_the_time_the_exercise_travel_gives_it():
    clock = [T0 + timedelta(seconds=61)]
    slow, fast = field([order()], clock, travel_s=7200.0), field([order()], list(clock), travel_s=1800.0)
    for side, _ in (slow, fast):
        side.step()
    assert slow[0].trips["ORD-1"].arrive_at - fast[0].trips["ORD-1"].arrive_at == timedelta(seconds=5400)


def test_the_unit_leaves_from_its_officers_station_farthest_from_the_reporting_point_else_its_seat():
    near, far = (120.20, 29.29), (119.90, 29.40)
    trips = {near: 1200.0, far: 4800.0, SEAT["330782"]: 1800.0}
    clock = [T0 + timedelta(seconds=61)]

    def side_with(stations):
        return FieldSide("http://127.0.0.1", events=lambda: [order()], now=lambda: clock[0], seat=SEAT.get,
                         travel_s=lambda a, b: trips[a], policy=FieldPolicy(min_wall_gap_s=0.0),
                         post=Logistics().post, stations=stations)

    both = side_with(lambda o: [near, far])
    both.step()
    trip = both.trips["ORD-1"]
    assert trip.origin == far and trip.arrive_at == T0 + timedelta(seconds=4800)  # the last officer in decides
    unknown = side_with(lambda o: [])
    unknown.step()
    assert unknown.trips["ORD-1"].origin == SEAT["330782"] and unknown.trips["ORD-1"].arrive_at == T0 + timedelta(seconds=1800)


def test_the_stations_are_read_once_per_officer_from_the_pool_by_id_and_a_failed_read_is_tried_again():
    import requests

    from services.exercise.lifecycle import OfficerStations
    stations_of = {"P-1": {"station_id": "330782-S03", "point": {"lon": 120.1, "lat": 29.3}}, "P-2": None}
    down = {"P-4"}
    asked = []

    def get(url, params, headers, timeout):
        assert url == "http://127.0.0.1:1/officers"
        ids = params["ids"].split(",")
        asked.append(ids)
        if down & set(ids):
            raise requests.ConnectionError("refused")
        body = {"items": [{"officer_id": o, "station": stations_of[o]} for o in ids if o in stations_of],
                "not_shown": [o for o in ids if o not in stations_of]}    # P-3: not in the pool
        return type("Resp", (), {"status_code": 200, "json": lambda self: body})()

    stations = OfficerStations("http://127.0.0.1:1", get=get)
    assert stations({"officer_ids": ["P-1", "P-2", "P-3"]}) == [(120.1, 29.3)]
    assert stations({"officer_ids": ["P-1", "P-4"]}) == [(120.1, 29.3)]        # P-4's read failed: not kept
    down.clear()
    stations_of["P-4"] = {"station_id": "330782-S01", "point": {"lon": 120.0, "lat": 29.2}}
    assert stations({"officer_ids": ["P-1", "P-4", "P-3"]}) == [(120.0, 29.2), (120.1, 29.3)]
    assert asked == [["P-1", "P-2", "P-3"], ["P-4"], ["P-4"]]   # one read an order; each answer kept, the failed read again


def test_reports_follow_the_simulated_period_not_every_pass():
    clock = [T0 + timedelta(seconds=700)]
    side, logistics = field([order()], clock, travel_s=3600.0, report_every_s=300.0)
    side.step()  # ack and the first report
    for seconds in (760, 820, 900):
        clock[0] = T0 + timedelta(seconds=seconds)
        side.step()
    assert len([c for c in logistics.calls if "/positions" in c[0]]) == 1
    clock[0] = T0 + timedelta(seconds=1001)
    side.step()
    assert len([c for c in logistics.calls if "/positions" in c[0]]) == 2


def test_the_receiving_county_arranges_reception_for_each_deployment_once():
    clock = [T0 + timedelta(seconds=61)]
    first, second = order("ORD-1"), order("ORD-2")
    for o in (first, second):
        o["data"]["deployment_id"] = "DEP-1"
    side, logistics = field([first, second], clock)
    side.step()
    assert not [c for c in logistics.calls if "arrangements" in c[0]]
    clock[0] = T0 + timedelta(seconds=901)
    side.step()
    side.step()
    arranged = [c for c in logistics.calls if "arrangements" in c[0]]
    assert [c[0] for c in arranged] == ["/deployments/DEP-1/arrangements"]
    assert {k: v["status"] for k, v in arranged[0][1].items()} == dict.fromkeys(
        ("lodging", "meals", "transport", "medic"), "arranged")


def test_the_passes_run_on_their_own_loop_a_failed_pass_is_counted_and_the_next_one_goes_on(caplog):
    clock, stream, reads = [T0 + timedelta(seconds=61)], [order()], []

    def events():
        reads.append(1)
        if len(reads) == 1:
            raise ConnectionError("recorder away")
        return stream
    side, logistics = field(stream, clock)
    side.events = events
    telemetry = ServiceMetrics("twin")  # the twin's, when its exercise page started the exercise
    with caplog.at_level(logging.ERROR, logger="services.exercise.field"):
        side.start(every_s=0.01, telemetry=telemetry)
        assert side.loop.alive and side.loop._thread.name == "exercise-field"
        assert wait_for(lambda: side.stats["acked"] == 1 and len(reads) >= 3, 5)
        side.stop()
    assert not any(t.name == "exercise-field" for t in threading.enumerate())
    assert side.loop.errors == 1 and side.loop.runs == len(reads)
    assert [r.getMessage() for r in caplog.records] == ["exercise field side: step failed"]
    shown = {(s.name, s.labels["loop"]): s.value for f in text_string_to_metric_families(telemetry.render()[0].decode())
             for s in f.samples if s.labels.get("loop")}
    assert shown[("mutual_deploy_loop_runs_total", "exercise-field")] == len(reads)
    assert shown[("mutual_deploy_loop_errors_total", "exercise-field")] == 1
    assert shown[("mutual_deploy_loop_last_success_timestamp_seconds", "exercise-field")] > 0


def test_a_field_side_never_started_stops_quietly():
    side, _ = field([], [T0])
    side.stop()
    assert side.loop is None
