"""The demo's simulated devices drive faster than real time, and logistics' plausibility bound for a
position report is scaled with them by `make run` (twin.sim.pace): else every report of a demo journey
implied 400-600 km/h and logistics dead-lettered it (1,226 in one demo run) as implausible."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from services.common.contracts import example_event
from services.logistics.domain import tracking
from services.logistics.policy import Policy
from twin.mirror import replay
from twin.sim import devices, pace
from twin.sim.model import ProvinceModel


@pytest.mark.parametrize(("mode", "env", "speedup"), [
    ("live", {}, 10.0), ("exercise", {}, 1.0), ("live", {"TWIN_DEVICE_SPEEDUP": "60"}, 60.0),
    ("exercise", {"TWIN_DEVICE_SPEEDUP": "2"}, 2.0),
])
def test_the_devices_speedup(mode, env, speedup):
    assert pace.device_speedup(mode, env) == speedup


def test_a_speedup_below_real_time_is_refused():
    with pytest.raises(ValueError, match="TWIN_DEVICE_SPEEDUP must be at least 1"):
        pace.device_speedup("live", {"TWIN_DEVICE_SPEEDUP": "0.5"})


@pytest.mark.parametrize(("env", "bound"), [
    ({"DEMO": "1"}, 2000.0),
    ({"DEMO": "1", "TWIN_DEVICE_SPEEDUP": "60"}, 12000.0),
    ({"DEMO": "1", "TWIN_DEVICE_SPEEDUP": "1"}, None),          # real time: the bound as it is
    ({"DEMO": "1", "LOGISTICS_MAX_SPEED_KMH": "150"}, None),     # set explicitly: left alone
    ({"DEMO": "1", "TWIN_DEVICES": "0"}, None),                 # no simulated devices
    ({"DEMO": "0"}, None), ({}, None),                           # live: real devices, real bound
    ({"DEMO": "1", "MODE": "exercise"}, None),                  # an exercise drives on its own clock, at 1x
])
def test_logistics_bound_follows_the_demo_devices_only(env, bound):
    assert pace.logistics_max_speed(200.0, env) == bound


@pytest.mark.parametrize(("mode", "env", "shown"), [
    ("live", {"DEMO": "1"}, 10.0), ("live", {"DEMO": "1", "TWIN_DEVICE_SPEEDUP": "60"}, 60.0),
    ("live", {}, 1.0),                                  # live mode: real devices, nothing to say
    ("live", {"DEMO": "1", "TWIN_DEVICES": "0"}, 1.0),  # no simulated devices
    ("exercise", {}, 1.0),
])
def test_the_pages_say_how_fast_the_units_move_only_where_simulated_devices_drive_them(mode, env, shown):
    assert pace.shown_speedup(mode, env) == shown


def test_the_demo_devices_reports_pass_the_scaled_bound_and_not_the_real_one():
    model = ProvinceModel(seed=0)
    replay.apply(model, example_event("plan.proposed"))
    replay.apply(model, example_event("dispatch.ordered"))
    ordered = example_event("dispatch.ordered")["data"]["ordered_at"]
    start = datetime.fromisoformat(ordered)
    speedup = pace.device_speedup("live", {})
    sent = []
    fleet = devices.FieldDevices(model, lambda data, _c: sent.append(data), speedup=speedup)
    for s in (30, 60, 90):
        fleet.tick(start + timedelta(seconds=s))
    first, second = sent[0], sent[1]
    implied = tracking.speed_kmh((first["point"]["lon"], first["point"]["lat"]), datetime.fromisoformat(first["at"]),
                                 (second["point"]["lon"], second["point"]["lat"]), datetime.fromisoformat(second["at"]))
    real = Policy.load().max_speed_kmh
    scaled = pace.logistics_max_speed(real, {"DEMO": "1"})
    assert implied > real and second["speed_kmh"] > real          # what logistics refused before
    assert tracking.implausible_speed(((first["point"]["lon"], first["point"]["lat"]), datetime.fromisoformat(first["at"])),
                                      (second["point"]["lon"], second["point"]["lat"]), datetime.fromisoformat(second["at"]),
                                      second["speed_kmh"], scaled) is None
