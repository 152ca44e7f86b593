"""The support circle's coverage: the rota against the demo's shifts, the vectorised counts against a
plain loop over officers, and each rule (duty left, reserve floors, team size, shift changes) by hand."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from services.demo import shifts
from services.resources.readiness import coverage, rota
from services.resources.readiness.force import AVAILABLE, AWAY, COMMITTED, MODULES, Force
from services.resources.readiness.policy import ReadinessPolicy

POLICY = ReadinessPolicy.from_env({})
NOW = datetime(2025, 9, 15, 6, 30, tzinfo=timezone.utc)
CST = timezone(timedelta(hours=8))
PATROL, INVESTIGATION = MODULES.index("patrol"), MODULES.index("investigation")


def test_the_policy_file_names_its_sources_and_the_circle_is_one_of_the_thresholds():
    assert POLICY.thresholds_min == (30, 60, 120) and POLICY.circle_min == 60
    assert {r.name for r in POLICY.rotations} == set(shifts.ROTATIONS)


@pytest.mark.parametrize("name", sorted(shifts.ROTATIONS))
def test_the_rota_agrees_with_the_demo_shifts_at_every_quarter_hour_of_two_days(name):
    """The demo's rota runs on the province's local time (Beijing, UTC+8); ours too, whatever zone `at` is in."""
    ours = next(r for r in POLICY.rotations if r.name == name)
    theirs = shifts.ROTATIONS[name]
    for q in range(0, 48 * 4):
        at = NOW + timedelta(minutes=15 * q)
        for watch in range(ours.watches):
            on, worked, _ = shifts.worked_minutes(theirs, watch, at.astimezone(CST))
            assert rota.on_shift(ours, watch, at) == on
            assert rota.worked_minutes(ours, watch, at) == worked


def test_shift_changes_within_twelve_hours_are_every_rotations_boundaries_in_order():
    changes = rota.changes(POLICY.rotations, NOW, 12)   # 14:30 → 02:30 Beijing time: 16:00, 20:00 (two rotas), 00:00
    assert [t.astimezone(CST).hour for t in changes] == [16, 20, 0]
    assert [t.astimezone(timezone.utc).hour for t in changes] == [8, 12, 16]


def force(n_counties: int, rows: list[dict], shares=None, origins=None) -> Force:
    """A force from hand-written rows: county, module, state, duty, origin, deployable, rotation, watch."""
    col = lambda k, d, t: np.array([r.get(k, d) for r in rows], dtype=t)  # noqa: E731
    return Force(ids=np.array([f"o{i}" for i in range(len(rows))], dtype=object),
                 counties=tuple(f"33010{i}" for i in range(n_counties)), county=col("county", 0, np.int16),
                 module=col("module", PATROL, np.int8), deployable=col("deployable", True, bool),
                 state=col("state", AVAILABLE, np.int8), unavailable=col("unavailable", False, bool),
                 duty=col("duty", 0, np.int32), origin=col("origin", None, np.int32) if rows and "origin" in rows[0]
                 else col("county", 0, np.int32),
                 origins=origins if origins is not None else np.zeros((n_counties, 2)),
                 rotation=col("rotation", 0, np.int8), watch=col("watch", -1, np.int8),
                 share=np.array(shares or [0.0] * n_counties, dtype=float))


# travel minutes between three counties' seats: 0 ↔ 1 in 25 min, 0 ↔ 2 in 50, 1 ↔ 2 in 100
MINUTES = np.array([[12, 25, 50], [25, 12, 100], [50, 100, 12]], dtype=np.float32)


def at_now(f: Force) -> coverage.Coverage:
    return coverage.compute(f, POLICY, MINUTES, NOW, coverage.project(f, POLICY, NOW, NOW))


def test_support_from_other_counties_counts_by_threshold_and_the_own_county_is_local():
    f = force(3, [{"county": 1}] * 5 + [{"county": 2}] * 3 + [{"county": 0}] * 2)
    cov = at_now(f)
    assert cov.support[0, PATROL].tolist() == [5, 8, 8]      # 5 within 30 min (county 1), 3 more within 60
    assert cov.local[0, PATROL].tolist() == [2, 2, 2]
    assert cov.support[2, PATROL].tolist() == [0, 2, 7]      # county 1 is 100 min away
    assert cov.covered[0, PATROL] and not cov.covered[2, PATROL]  # a team is 4; county 2 gets 2 within 60
    assert cov.support[0, INVESTIGATION].tolist() == [0, 0, 0]


def test_an_officer_without_the_duty_time_for_the_journey_and_an_hour_on_scene_is_not_counted():
    # 720 - 600 - 60 = 60 minutes left: reaches county 0 (25 min) and county 2 (100 min) not even within 120
    f = force(3, [{"county": 1, "duty": 600}, {"county": 1, "duty": 680}])
    cov = at_now(f)
    assert cov.support[0, PATROL].tolist() == [1, 1, 1]
    assert cov.support[2, PATROL].tolist() == [0, 0, 0]


def test_committed_away_and_undeployable_officers_are_not_counted():
    f = force(3, [{"county": 1, "state": COMMITTED}, {"county": 1, "state": AWAY}, {"county": 1, "deployable": False},
                  {"county": 1}])
    assert at_now(f).support[0, PATROL].tolist() == [1, 1, 1]


def test_a_donor_sends_no_more_than_it_may_lend_above_its_reserve_floor():
    # county 1: 10 available, 10 committed → strength 20, floor at 70% = 14 > 10 available: lends nothing
    rows = [{"county": 1}] * 10 + [{"county": 1, "state": COMMITTED}] * 10 + [{"county": 2}] * 10
    cov = at_now(force(3, rows, shares=[0.7, 0.7, 0.5]))
    assert cov.lendable.tolist() == [0, 0, 5]                 # county 2: 10 - ceil(0.5 × 10)
    assert cov.support[0, PATROL].tolist() == [0, 5, 5]       # only county 2's five, within 60 min
    assert cov.local[1, PATROL].tolist() == [10, 10, 10]      # at home the floor does not apply


def test_the_vectorised_counts_equal_a_loop_over_officers_on_a_random_force():
    rng = np.random.default_rng(5)
    n, n_c, n_o = 3000, 12, 40
    minutes = rng.uniform(5, 200, (n_o, n_c)).astype(np.float32)
    rows = [{"county": int(rng.integers(n_c)), "module": int(rng.integers(6)), "state": int(rng.choice(3, p=[.6, .2, .2])),
             "duty": int(rng.integers(0, 720)), "origin": int(rng.integers(n_o)), "deployable": bool(rng.random() < .7)}
            for _ in range(n)]
    f = force(n_c, rows, origins=np.zeros((n_o, 2)))
    cov = coverage.compute(f, POLICY, minutes, NOW, coverage.project(f, POLICY, NOW, NOW))
    loop = coverage.loop_baseline(f, POLICY, minutes)
    diag = np.arange(n_c)
    assert np.array_equal(cov.local, loop[diag, :, diag, :])
    capped = np.minimum(loop, cov.lendable[:, None, None, None])
    capped[diag, :, diag, :] = 0
    assert np.array_equal(cov.support, capped.sum(axis=0).transpose(1, 0, 2))
    assert cov.support.sum() > 0


def test_as_shifts_change_the_watch_on_duty_is_relieved_by_the_next_one():
    four = [r.name for r in POLICY.rotations].index("four_watch")
    on_now = rota.slot_at(POLICY.rotations[four], NOW)[0] % 4          # 14:30 Beijing time: the 08:00-16:00 shift's watch
    nxt = (on_now + 1) % 4
    rows = ([{"county": 1, "rotation": four, "watch": on_now, "duty": 390}] * 4
            + [{"county": 1, "rotation": four, "watch": nxt, "state": AWAY}] * 3
            + [{"county": 1, "rotation": four, "state": AVAILABLE}])  # no known watch: off after the change
    f = force(3, rows)
    now_cov, later = coverage.timeline(f, POLICY, MINUTES, NOW, NOW, 2)  # 06:30 and 08:00 UTC (16:00 Beijing)
    assert later.at == NOW.replace(hour=8, minute=0)
    assert now_cov.support[0, PATROL, 1] == 5 and now_cov.covered[0, PATROL]
    assert later.support[0, PATROL, 1] == 3 and not later.covered[0, PATROL]  # county 0 leaves the circle at 16:00
    available, _, duty_later = coverage.project(f, POLICY, NOW, later.at)
    assert available.tolist() == [False] * 4 + [True] * 3 + [False]
    assert duty_later[4] == 0                                 # the fresh watch has worked nothing in 24 h


def test_before_the_shift_change_duty_minutes_grow_with_the_time_elapsed():
    f = force(3, [{"county": 1, "duty": 300, "rotation": 0}])
    available, _, minutes = coverage.project(f, POLICY, NOW, NOW + timedelta(minutes=60))
    assert available.tolist() == [True] and minutes.tolist() == [360]


def test_taking_a_plans_officers_out_can_push_a_county_out_of_the_circle():
    f = force(3, [{"county": 1}] * 5)
    assert at_now(f).covered[0, PATROL]
    after = at_now(f.without(["o0", "o1"]))
    assert after.support[0, PATROL].tolist() == [3, 3, 3] and not after.covered[0, PATROL]
    assert at_now(f).support[0, PATROL].tolist() == [5, 5, 5]  # the force itself is unchanged
