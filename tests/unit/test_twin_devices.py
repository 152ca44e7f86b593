"""Simulated field devices: dispatched units driven by the model to their reporting point (each in its
agent's step), reported through the outbox."""
from __future__ import annotations

import copy
from datetime import datetime, timedelta, timezone

import pytest

from services.common.contracts import example_event, validate_event
from services.common.runtime import Runtime
from tests.helpers import offline_settings
from twin.mirror import replay
from twin.sim import devices, movement, pace
from twin.sim.model import ProvinceModel

ORDERED = datetime.fromisoformat(example_event("dispatch.ordered")["data"]["ordered_at"])
ETA_S = 1620  # the plan's ETA for UNIT-330782-TS-01


@pytest.fixture
def model() -> ProvinceModel:
    model = ProvinceModel(seed=0, start=datetime(2025, 9, 15, tzinfo=timezone.utc))
    replay.apply(model, example_event("plan.proposed"))
    replay.apply(model, example_event("dispatch.ordered"))
    return model


class Sent(list):
    def __call__(self, data, correlationid):
        self.append((data, correlationid))


def test_a_unit_drives_from_its_donor_seat_to_the_reporting_point_in_the_planned_time(model):
    [trip] = movement.trips(model)
    assert trip.origin == model.county("330782").seat and trip.destination == (120.2338, 29.2861)
    assert trip.duration_s == ETA_S
    start, halfway, end = (trip.report(ORDERED + timedelta(seconds=s)) for s in (0, ETA_S / 2, ETA_S + 60))
    assert (start["point"]["lon"], start["point"]["lat"]) == pytest.approx(trip.origin, abs=1e-6)
    assert halfway["point"]["lon"] == pytest.approx((trip.origin[0] + 120.2338) / 2, abs=1e-5)
    assert (end["point"]["lon"], end["point"]["lat"]) == (120.2338, 29.2861)
    assert halfway["speed_kmh"] > 0 and end["speed_kmh"] == 0
    assert 60 < halfway["heading"] < 120  # Yiwu to Dongyang: roughly east


def test_speedup_shortens_the_trip(model):
    [trip] = movement.trips(model, speedup=10)
    assert trip.duration_s == pytest.approx(ETA_S / 10)


def test_without_the_plan_the_trip_takes_the_road_distance_at_60_kmh(model):
    model.plans.clear()
    [trip] = movement.trips(model)
    assert trip.duration_s == pytest.approx(movement.km(trip.origin, trip.destination) * 1.3 / 60 * 3600)


def test_each_tick_reports_until_the_unit_is_at_its_reporting_point(model):
    sent = Sent()
    fleet = devices.FieldDevices(model, sent)
    assert fleet.tick(ORDERED - timedelta(seconds=5)) == []  # not ordered yet at that time
    fleet.tick(ORDERED + timedelta(seconds=600))
    fleet.tick(ORDERED + timedelta(seconds=ETA_S))
    fleet.tick(ORDERED + timedelta(seconds=ETA_S + 60))
    assert len(sent) == 2
    assert sent[0][1] == "INC-330783-20250915-0007"
    assert sent[-1][0]["point"] == {"lon": 120.2338, "lat": 29.2861}


def test_the_unit_moves_in_its_agents_step_and_the_devices_report_where_the_agent_is(model):
    unit = model.unit("UNIT-330782-TS-01")
    origin = unit.position
    model.step(ORDERED + timedelta(seconds=ETA_S / 2))
    assert unit.position == origin and unit.trip is None  # the model drives no unit until told to
    sent = Sent()
    fleet = devices.FieldDevices(model, sent)
    [trip] = movement.trips(model, route=fleet.route)
    steps = model.steps
    [report] = fleet.tick(ORDERED + timedelta(seconds=ETA_S / 2))
    assert model.steps == steps + 1 and model.stepped_at == ORDERED + timedelta(seconds=ETA_S / 2)
    assert unit.trip == trip and unit.position == trip.state(ORDERED + timedelta(seconds=ETA_S / 2))[0] != origin
    assert report == trip.report(ORDERED + timedelta(seconds=ETA_S / 2))
    assert (report["point"]["lon"], report["point"]["lat"]) == pytest.approx(unit.position, abs=1e-6)
    model.step(ORDERED + timedelta(seconds=ETA_S + 60))  # the live model's own step moves it too
    assert unit.position == pytest.approx((120.2338, 29.2861)) and unit.speed_kmh == 0


def test_arrived_units_are_not_driven(model):
    replay.apply(model, example_event("unit.arrived"))
    assert movement.trips(model) == []


def test_a_unit_whose_arrival_is_on_the_stream_mid_trip_is_not_reported_again(model):
    sent = Sent()
    fleet = devices.FieldDevices(model, sent)
    fleet.tick(ORDERED + timedelta(seconds=600))   # on its way
    assert len(sent) == 1
    replay.apply(model, example_event("unit.arrived"))   # logistics' word, read before the trip's end
    assert fleet.tick(ORDERED + timedelta(seconds=900)) == [] and len(sent) == 1


def test_reports_go_out_through_the_outbox_valid_and_as_the_twin(model, tmp_path):
    runtime = Runtime.build(offline_settings("twin", tmp_path))  # not started: the relay would publish, here we read the outbox
    try:
        devices.FieldDevices(model, devices.outbox_publisher(runtime)).tick(ORDERED + timedelta(seconds=300))
        [event] = runtime.outbox.events()
    finally:
        runtime.engine.dispose()
    assert event["type"] == "unit.position-reported" and event["source"] == "/mutual-deploy/twin"
    assert event["subject"] == "UNIT-330782-TS-01"
    assert validate_event("unit.position-reported", event) == []


def test_the_twin_follows_its_own_reports_on_the_stream(model):
    [trip] = movement.trips(model)
    report = copy.deepcopy(example_event("unit.position-reported"))
    report["data"] = trip.report(ORDERED + timedelta(seconds=800))
    replay.apply(model, report)
    unit = model.unit("UNIT-330782-TS-01")
    assert unit.status == "moving" and unit.position == (report["data"]["point"]["lon"], report["data"]["point"]["lat"])


@pytest.mark.parametrize("mode, env, on", [
    ("live", {"DEMO": "1"}, True), ("live", {}, False), ("live", {"DEMO": "0"}, False), ("exercise", {"DEMO": "0"}, True),
    ("live", {"DEMO": "0", "TWIN_DEVICES": "1"}, False), ("exercise", {"TWIN_DEVICES": "0"}, False)])
def test_devices_run_in_the_demo_and_exercises_only(mode, env, on):
    assert pace.enabled(mode, env) is on


def test_the_field_devices_drive_along_the_road_graphs_route_not_straight_across(model):
    """Wenzhou's 鹿城区 to the mountain county 泰顺: the route passes the seats of 青田 and 文成 (the
    fastest seat-to-seat path), so halfway the unit is on that road, not on the straight line."""
    field = devices.FieldDevices(model, Sent())
    origin, destination = model.county("330302").seat, model.county("330329").seat
    route = field.route(origin, destination)
    names = [model.geography.counties[int(i)].name for i in model.geography.locate(route[1:-1])]
    assert names == ["鹿城区", "青田县", "文成县", "泰顺县"]
    trip = movement.Trip("U", "O", None, origin, destination, ORDERED, 7200.0, tuple(route))
    positions = [trip.report(ORDERED + timedelta(seconds=s)) for s in range(0, 7201, 600)]
    points = [(p["point"]["lon"], p["point"]["lat"]) for p in positions]
    assert points[0] == pytest.approx(origin, abs=1e-6) and points[-1] == pytest.approx(destination, abs=1e-6)
    qingtian = model.county("331121").seat
    closest = min(movement.km(p, qingtian) for p in points)
    straight = movement.Trip("U", "O", None, origin, destination, ORDERED, 7200.0)
    straight_closest = min(movement.km((r["point"]["lon"], r["point"]["lat"]), qingtian)
                           for r in (straight.report(ORDERED + timedelta(seconds=s)) for s in range(0, 7201, 600)))
    assert closest < 6 < straight_closest  # it drives through 青田's seat; the straight line misses it
    assert all(0 <= p["heading"] < 360 for p in positions) and positions[3]["speed_kmh"] > 0
