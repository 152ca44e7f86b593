"""Which injects are due, the travel conditions in force, and travel times under them."""
import functools

import numpy as np
import pytest

from services.exercise.clock import ClockState, pause
from services.exercise.conditions import ConditionedTravel, ExerciseTravel, write_conditions
from services.exercise.scenario import load
from services.exercise.schedule import Conditions, condition_changes, conditions_at, due, next_at, wall_wait_s


@functools.cache
def geography():
    from services.geo.geography import Geography
    return Geography.load("330000")


def test_only_injects_whose_time_has_come_and_not_yet_played_are_due():
    injects = load("telecom-fraud").injects
    assert [j.index for j in due(injects, set(), 30 * 60)] == [0, 1]
    assert [j.index for j in due(injects, {0}, 30 * 60)] == [1]
    assert next_at(injects, {0, 1}) == 3600
    assert next_at(injects, {j.index for j in injects}) is None


def test_the_wait_reaches_the_target_on_the_wall_clock_and_is_capped():
    state = ClockState(sim=0.0, wall=100.0, speed=600)
    assert wall_wait_s(state, 0.0, 60.0, wall_now=100.0, cap_s=5) == pytest.approx(0.1)
    assert wall_wait_s(state, 0.0, 6000.0, wall_now=100.0, cap_s=5) == 5
    assert wall_wait_s(state, 0.0, 60.0, wall_now=200.0) == 0
    assert wall_wait_s(pause(state, wall=100.0), 0.0, 60.0, wall_now=100.0, cap_s=0.5) == 0.5


def test_closures_and_weather_hold_from_their_start_until_their_end():
    injects = load("rainstorm-six-cities").injects
    assert conditions_at(injects, 0).slowdowns == ((("330300", "331000", "331100"), 0.5),)
    assert conditions_at(injects, 3.5 * 3600).closed == (("330302", "330381"), ("331102", "331121"))
    assert conditions_at(injects, 6 * 3600).closed == (("330302", "330381"),)  # the landslide road reopened
    assert 6 * 3600 in condition_changes(injects)


def test_conditions_survive_the_round_trip_through_their_file():
    c = Conditions(closed=(("330108", "330109"),), slowdowns=((("330100",), 0.7),))
    assert Conditions.from_dict(c.as_dict()) == c


def seat(code):
    return tuple(geography().seats[geography().index_of(code)])


def test_a_closed_link_makes_the_trip_longer():
    a, b = seat("331126"), seat("331181")  # Qingyuan - Longquan
    open_s = ConditionedTravel(geography(), mobilisation_s=0).matrix([a], [b])[0, 0]
    closed_s = ConditionedTravel(geography(), Conditions(closed=(("331126", "331181"),)), mobilisation_s=0).matrix([a], [b])[0, 0]
    assert closed_s > open_s


def test_weather_slows_trips_through_the_region_and_leaves_others_alone():
    slow = Conditions(slowdowns=((("331100",), 0.5),))
    lishui = [seat("331102")], [seat("331126")]
    hangzhou = [seat("330106")], [seat("330182")]
    normal, rain = ConditionedTravel(geography(), mobilisation_s=0), ConditionedTravel(geography(), slow, mobilisation_s=0)
    assert rain.matrix(*lishui)[0, 0] == pytest.approx(2 * normal.matrix(*lishui)[0, 0], rel=0.1)
    assert rain.matrix(*hangzhou)[0, 0] == pytest.approx(normal.matrix(*hangzhou)[0, 0])


def test_the_exercise_provider_follows_its_conditions_file(tmp_path):
    path = tmp_path / "conditions.json"
    travel = ExerciseTravel(geography(), path, mobilisation_s=0)
    a, b = [seat("331126")], [seat("331181")]
    before = travel.matrix(a, b)[0, 0]
    write_conditions(path, Conditions(closed=(("331126", "331181"),)))
    assert travel.matrix(a, b)[0, 0] > before
    assert np.isfinite(travel.matrix(a, b)[0, 0])
