"""Duty limits to the second, through the whole task, and who may be sent (the seed's pool structure)."""
from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import numpy as np
import pytest
import yaml

from services.matching.domain import eligibility, explain
from services.matching.domain import policy as matching_policy
from services.matching.domain.model import DUTY_LIMIT_S, Line
from services.matching.domain.planner import CountyLoad, lendable_array, plan_batch
from services.matching.domain.pool import build_pool
from tests.unit.test_matching_optimiser import ACCEPTS, COUNTIES, T0, TRAVEL, officer, plenty, request

ONE = (Line("L1", "patrol", 1),)


def travel_with(seconds: int) -> np.ndarray:
    t = TRAVEL.copy()
    t[1, 0] = t[0, 1] = seconds
    return t


def chosen(records, req, travel=TRAVEL, **kw):
    batch = plan_batch(build_pool(records, COUNTIES), [req], travel, ACCEPTS, loads=kw.pop("loads", plenty()), **kw)
    return [a.officer_id for a in batch.options[0]["fastest"].assignments]


def test_the_twelve_hour_limit_holds_to_the_second_travel_is_never_rounded_down():
    # 323 min on duty + 2,273 s travel + 360 min on scene = 12 h 53 s: the case the old rule let through
    req = request(grade="III", lines=ONE)
    assert req.on_scene_minutes == 360
    assert chosen([officer("OVER", "330102", duty=323)], req, travel_with(2273)) == []
    # 2,220 s is exactly 12 h: allowed
    assert chosen([officer("EXACT", "330102", duty=323)], req, travel_with(2220)) == ["EXACT"]


def test_the_refusal_names_the_seconds_past_the_limit():
    pool = build_pool([officer("OVER", "330102", duty=323)], COUNTIES)
    why = explain.refusal(pool, 0, request(grade="III", lines=ONE), ONE[0], 0, travel_with(2273), ACCEPTS,
                          np.array([5] * 5))
    assert why.startswith("on duty 5 h 23 min") and "by 53 s" in why


def test_a_relief_shift_counts_the_wait_until_it_takes_over():
    # ordered now, takes over in 3 h, 8 h on scene: an officer with 1 h 30 min worked would end at 12 h 30 min;
    # a stint of 4 h from 4 h after the order (as late as the shift can start) ends at 9 h 30 min: sent
    relief = replace(request(grade="II", lines=ONE, minutes=180), starts_at=T0 + timedelta(hours=3))
    assert relief.wait_s == 3 * 3600 and relief.on_scene_minutes == 480 and relief.stint_start_s == 4 * 3600
    assert chosen([officer("TIRED", "330102", duty=90)], relief) == ["TIRED"]
    assert chosen([officer("SPENT", "330102", duty=241)], relief) == []     # 4 h 01 + 4 h + 4 h
    assert chosen([officer("FRESH", "330102", duty=60)], relief) == ["FRESH"]
    # a relief that takes over after 5 h counts the stint from then
    later = replace(relief, starts_at=T0 + timedelta(hours=5))
    assert later.stint_start_s == 5 * 3600
    assert chosen([officer("TIRED", "330102", duty=181)], later) == []      # 3 h 01 + 5 h + 4 h
    assert chosen([officer("TIRED", "330102", duty=180)], later) == ["TIRED"]


def test_an_officer_without_a_whole_shift_left_is_sent_for_a_stint_that_every_arrival_leaves_whole():
    # an 8-hour grade II task: the mobile watch, 4 h into its shift, cannot serve the whole shift after an
    # hour's drive, but arrives within the 4 h every officer of the plan arrives by and still has 4 h then
    req = request(grade="II", lines=ONE)
    assert (req.on_scene_minutes, req.stint_minutes, req.stint_start_s) == (480, 240, 4 * 3600)
    assert chosen([officer("MOBILE", "330102", duty=240)], req, travel_with(3600)) == ["MOBILE"]
    assert chosen([officer("LATE", "330102", duty=241)], req, travel_with(3600)) == []     # a minute short
    # no stint for a journey past the latest start, however fresh: the shift could be over before arrival
    assert chosen([officer("FAR", "330102", duty=0)], req, travel_with(4 * 3600 + 1)) == []
    assert chosen([officer("FAR", "330102", duty=0)], req, travel_with(4 * 3600)) == ["FAR"]
    # a task no longer than the stint is the whole time on scene: nothing shorter is offered
    short = replace(req, task_minutes=180)
    assert (short.stint_minutes, short.stint_start_s) == (180, 9 * 3600)
    assert chosen([officer("LATE", "330102", duty=241)], short, travel_with(3600)) == ["LATE"]   # 4 h 01 + 1 h + 3 h
    assert chosen([officer("SPENT", "330102", duty=481)], short, travel_with(3600)) == []
    why = explain.refusal(build_pool([officer("LATE", "330102", duty=241)], COUNTIES), 0, req, ONE[0], 0,
                          travel_with(3600), ACCEPTS, np.array([5] * 5))
    assert "by 3660 s" in why and "a stint of 240 min from 240 min after the order would pass it by 60 s" in why


def test_independent_check_no_planned_officer_passes_twelve_hours_on_generated_instances():
    from bench.instances import instance
    inst = instance(officers=20_000, requests=40, seed=3)
    pool, travel = inst.pool, inst.travel
    batch = plan_batch(pool, inst.requests, travel, inst.accepts)
    # the instances hold officers the old minute-rounded rule would have let past the limit
    rows = np.flatnonzero(pool.available)
    boundary = 0
    for r, req in enumerate(inst.requests):
        trip = travel.of(rows, r)           # from each officer's station to the request's point
        minutes_rule = pool.duty[rows].astype(np.int64) + trip // 60 + req.on_scene_minutes <= 720
        boundary += int((minutes_rule & (pool.duty[rows] * 60 + trip + req.on_scene_minutes * 60 > 43200)).sum())
    assert boundary > 0
    checked = stints = 0
    for req, options in zip(inst.requests, batch.options):
        for option in options.values():
            latest = max((a.eta_s for a in option.assignments), default=0)
            for a in option.assignments:
                worked = int(pool.duty[a.row]) * 60 + a.eta_s + req.on_scene_minutes * 60
                # the whole time on scene after the officer's own journey, or a stint from the latest start
                stint = int(pool.duty[a.row]) * 60 + req.stint_start_s + req.stint_minutes * 60
                assert worked <= 12 * 3600 or (a.eta_s <= req.stint_start_s and stint <= 12 * 3600), \
                    (req.request_id, a.officer_id, int(pool.duty[a.row]), a.eta_s)
                stints += worked > 12 * 3600
                # every officer still has the stint left when the plan's last officer arrives
                assert int(pool.duty[a.row]) * 60 + max(latest, req.wait_s) + req.stint_minutes * 60 <= 12 * 3600
                assert pool.role[a.row] in ("mobile", "specialist", "rotating") or pool.reserve[a.row]
                assert not pool.reserve[a.row] or req.grade in ("I", "II")
                checked += 1
    assert checked > 100 and stints > 0   # some officers are sent for a stint only


def test_regular_officers_are_not_proposed_unless_the_province_says_so(monkeypatch):
    records = [officer("REG", "330102", role="regular"), officer("SUP", "330105", role="rotating")]
    assert chosen(records, request(lines=ONE)) == ["SUP"]
    switched = replace(matching_policy.POLICY, regular_deployable=True)
    monkeypatch.setattr(eligibility, "POLICY", switched)
    assert chosen(records, request(lines=ONE)) == ["REG"]


@pytest.mark.parametrize("grade,sent", [("I", True), ("II", True), ("III", False), ("IV", False)])
def test_the_province_reserve_serves_grades_one_and_two_only(grade, sent):
    records = [officer("RES", "330102", reserve=True)]
    assert chosen(records, request(lines=ONE, grade=grade)) == (["RES"] if sent else [])


def test_the_refusal_says_why_an_officer_is_outside_the_pool():
    pool = build_pool([officer("REG", "330102", role="regular"), officer("RES", "330102", reserve=True)], COUNTIES)
    lend = np.array([5] * 5)
    assert "outside the deployable pool" in explain.refusal(pool, 0, request(lines=ONE), ONE[0], 0, TRAVEL, ACCEPTS, lend)
    assert "province reserve" in explain.refusal(pool, 1, request(lines=ONE), ONE[0], 0, TRAVEL, ACCEPTS, lend)


def test_the_reserve_floor_counts_officers_held_by_approved_plans():
    records = [officer(f"D{i}", "330102") for i in range(10)]
    pool = build_pool(records, COUNTIES)
    held = np.array([0, 1, 2])
    # without a load report: 10 on duty, floor 7; 3 already held leave nothing to lend
    assert lendable_array(pool, {})[1] == 3
    assert lendable_array(pool, {}, held)[1] == 0
    # with one: the pool still counts the held officers as available until they are committed
    loads = {"330102": CountyLoad(on_duty=10, available=10, reserve_floor=7)}
    assert lendable_array(pool, loads, held)[1] == 0
    batch = plan_batch(pool, [request(lines=ONE)], TRAVEL, ACCEPTS, taken=held)
    assert batch.options[0]["fastest"].assignments == []


def test_committed_officers_still_count_in_the_strength_the_floor_is_taken_from():
    records = [officer(f"D{i}", "330102") for i in range(7)] + [officer(f"C{i}", "330102", status="deployed")
                                                                for i in range(3)]
    # strength 10 (3 away on a task), floor 7, 7 free: nothing to lend
    assert lendable_array(build_pool(records, COUNTIES), {})[1] == 0


def test_every_value_of_the_policy_file_names_its_source():
    doc = yaml.safe_load(matching_policy.DEFAULT_FILE.read_text(encoding="utf-8"))
    sources = []

    def walk(node, path):
        if isinstance(node, dict):
            if any(not isinstance(v, dict) for k, v in node.items() if k != "source") and path:
                sources.append((path, node.get("source", "")))
            for k, v in node.items():
                walk(v, path + (k,))
    for key in doc:
        walk(doc[key], (key,))
    assert sources
    for path, source in sources:
        assert source.startswith(("seed §", "assumed (")), path
    broken = dict(doc, reserve={"share": 0.7})
    with pytest.raises(matching_policy.PolicyError, match="reserve needs a source"):
        matching_policy.parse(broken)
    assert matching_policy.POLICY.duty_limit_s == DUTY_LIMIT_S == 43200
