"""Explanations and shortfalls say, in words and numbers, why officers were or were not chosen."""
from __future__ import annotations

import numpy as np

from services.matching.domain import explain
from services.matching.domain.model import Line
from services.matching.domain.planner import CountyLoad, plan_batch
from services.matching.domain.pool import build_pool
from tests.unit.test_matching_optimiser import ACCEPTS, COUNTIES, TRAVEL, officer, plenty, request


def test_a_nearby_officer_left_out_is_explained_by_the_rule_that_excludes_them():
    records = [officer("TIRED", "330102", duty=660, certs=[("firearms", "2030-01-01")]), officer("LAPSED", "330102", certs=[("firearms", "2020-01-01")]),
               officer("OLDCAM", "330102", certs=[("firearms", "2030-01-01")], kit=[("body_camera", "vendor-A")]),
               officer("FAR", "330105", certs=[("firearms", "2030-01-01")])]
    pool = build_pool(records, COUNTIES)
    line = Line("L1", "patrol", 1, certifications=("firearms",), equipment=("body_camera",))
    req = request(lines=(line,))
    text = " ".join(explain.why_not(pool, req, line, 0, set(), TRAVEL, ACCEPTS, np.full(5, 9), {}))
    assert "TIRED on duty 11 h" in text and "would pass 12 h" in text
    assert "LAPSED certificate firearms expires 2020-01-01" in text
    assert "OLDCAM body_camera (vendor-A) not usable in 330101" in text


def test_a_line_with_designated_donors_explains_only_their_officers_and_names_the_cities():
    counties = COUNTIES[:4] + ("330482",)          # the farthest county is Pinghu, in Jiaxing
    accepts = {c: ACCEPTS[COUNTIES[0]] for c in counties}
    loads = {c: CountyLoad(on_duty=100, available=100, reserve_floor=0) for c in counties}
    records = [officer("NEAR", "330102", duty=660), officer("MINE", "330482", duty=660)]
    pool = build_pool(records, counties)
    line = Line("L1", "patrol", 1, donor_cities=("330400",))   # Jiaxing, by its city code
    req = request(lines=(line,))
    text = " ".join(explain.why_not(pool, req, line, 0, set(), TRAVEL, accepts, np.full(5, 9), {}))
    assert "MINE on duty 11 h" in text and "NEAR" not in text  # the nearer county is not the command's choice
    batch = plan_batch(pool, [req], TRAVEL, accepts, loads=loads)
    option = batch.options[0]["fastest"]
    (short,) = explain.shortfall(req, option.assignments, {"L1": batch.classes.eligible.get(0, np.zeros(0))},
                                 pool, TRAVEL, 0)
    assert short["text"].endswith("0 in the designated cities")
    words = explain.explanation(req, "fastest", option.assignments, explain.metrics(req, [], loads, {})[0],
                                [short], {}, {"330400": "嘉兴市"})
    assert "only from the designated cities 嘉兴市" in words


def test_a_county_at_its_reserve_floor_is_named_as_such():
    pool = build_pool([officer("HOME", "330102")], COUNTIES)
    line = Line("L1", "patrol", 1)
    reason = explain.refusal(pool, 0, request(lines=(line,)), line, 0, TRAVEL, ACCEPTS, np.zeros(5, dtype=int))
    assert reason == "county at reserve floor"


def test_an_infeasible_request_says_what_is_missing_and_keeps_the_best_partial_plan():
    records = [officer(f"E{i}", "330102", "technical_support", tags=("e_forensics",)) for i in range(3)]
    records += [officer("E9", "330105", "technical_support", tags=("e_forensics",))]
    req = request(lines=(Line("L1", "technical_support", 5, tags=("e_forensics",)),), minutes=45)
    pool = build_pool(records, COUNTIES)
    batch = plan_batch(pool, [req], TRAVEL, ACCEPTS, loads=plenty())
    option = batch.options[0]["fastest"]
    assert len(option.assignments) == 4                       # the best partial plan: everyone who qualifies
    eligible = {"L1": batch.classes.eligible[0]}
    (short,) = explain.shortfall(req, option.assignments, eligible, pool, TRAVEL, 0)
    assert short["text"].startswith("L1: 5 e_forensics needed, 4 assigned; 3 qualified officers can arrive "
                                    "within 45 min")
    metrics, donors = explain.metrics(req, option.assignments, plenty(**{"330102": CountyLoad(100, 50, 40)}), {})
    assert metrics["fill_ratio"] == 0.8 and metrics["deadline_met"] is False
    assert {"county": "330102", "officers": 3, "points_balance": 0.0, "reserve_left": 7,
            "reserve_ratio": 0.47} in donors


def test_a_late_plan_names_the_pre_positioning_that_would_have_met_its_deadline():
    """Two qualified officers, one 25 min away and one 90 min away, for a 30-min deadline and three
    places: one late, one missing. Staging two at the incident's county, or the county within the
    deadline, would have met it; the late one's home county is named."""
    records = [officer("NEAR", "330102", "riot_control", tags=("mass_incident_handling",)),
               officer("FAR", "330105", "riot_control", tags=("mass_incident_handling",))]
    line = Line("L1", "riot_control", 3, tags=("mass_incident_handling",))
    req = request(lines=(line,), minutes=30)
    pool = build_pool(records, COUNTIES)
    option = plan_batch(pool, [req], TRAVEL, ACCEPTS, loads=plenty()).options[0]["fastest"]
    assert sorted(a.officer_id for a in option.assignments) == ["FAR", "NEAR"]
    names = {"330101": "甲县", "330102": "乙县", "330105": "戊县"}
    (plan,) = explain.prepositioning(req, option.assignments, TRAVEL, 0, pool, names)
    assert (plan["officers"], plan["late"], plan["from"]) == (2, 1, {"330105": 1})
    assert [s["county"] for s in plan["stage_at"]] == ["330101", "330102"]  # home first, then within 30 min
    assert plan["text"] == ("L1: stage 2 mass_incident_handling at 甲县 (10 min), 乙县 (20 min) before the event"
                            " — e.g. 1 from 戊县")
    metrics, _ = explain.metrics(req, option.assignments, plenty(), {})
    text = explain.explanation(req, "fastest", option.assignments, metrics, [], {}, names, preposition=[plan])
    assert "Pre-positioning that would have met the deadline: L1: stage 2" in text
    assert explain.prepositioning(request(lines=(Line("L1", "riot_control", 1, tags=("mass_incident_handling",)),),
                                          minutes=30), option.assignments[:0], TRAVEL, 0, pool, names)[0]["late"] == 0


def test_a_re_plan_after_the_deadline_still_names_where_officers_would_have_had_to_wait():
    """Staged officers set out when the request comes: where to stage is judged by the grade's whole
    window (30 min here), not by the time left, which is none once the deadline has passed."""
    import dataclasses
    from datetime import timedelta

    records = [officer("NEAR", "330102", "riot_control", tags=("mass_incident_handling",)),
               officer("FAR", "330105", "riot_control", tags=("mass_incident_handling",))]
    line = Line("L1", "riot_control", 2, tags=("mass_incident_handling",))
    fresh = request(lines=(line,), minutes=30)
    pool = build_pool(records, COUNTIES)
    chosen = plan_batch(pool, [fresh], TRAVEL, ACCEPTS, loads=plenty()).options[0]["fastest"].assignments
    late = dataclasses.replace(fresh, planned_at=fresh.deadline + timedelta(minutes=8))  # 8 min past it
    assert late.budget_s == 0
    (without,) = explain.prepositioning(late, chosen, TRAVEL, 0, pool, {})
    assert without["stage_at"] == [] and without["late"] == 2  # judged by the time left: nowhere
    (staged,) = explain.prepositioning(dataclasses.replace(late, window_s=30 * 60), chosen, TRAVEL, 0, pool, {})
    assert staged["late"] == 2 and [s["county"] for s in staged["stage_at"]] == ["330101", "330102"]
    assert [s["county"] for s in explain.prepositioning(dataclasses.replace(fresh, window_s=30 * 60), chosen, TRAVEL,
                                                        0, pool, {})[0]["stage_at"]] == ["330101", "330102"]
    # its explanation says the deadline had passed, not that it was 0 minutes
    metrics, _ = explain.metrics(late, chosen, plenty(), {})
    text = explain.explanation(late, "fastest", chosen, metrics, [], {}, {})
    assert "(deadline passed 8 min before this plan: not met)" in text and "deadline 0 min" not in text


def test_a_plan_for_which_the_criteria_agree_says_so_first():
    pool = build_pool([officer("ONLY", "330102")], COUNTIES)
    req = request(lines=(Line("L1", "patrol", 1),))
    option = plan_batch(pool, [req], TRAVEL, ACCEPTS, loads=plenty()).options[0]["fastest"]
    metrics, _ = explain.metrics(req, option.assignments, plenty(), {})
    text = explain.explanation(req, "fastest", option.assignments, metrics, [], {}, {}, kinds=option.kinds)
    assert set(option.kinds) == {"fastest", "fairest", "least_reserve_damage"}
    assert text.startswith("fastest, ") and " agree: one plan. 1 of 1 officers" in text


def test_a_plan_with_nobody_says_so_instead_of_a_zero_minute_arrival():
    req = request(lines=(Line("L1", "technical_support", 2, tags=("e_forensics",)),), minutes=30)
    metrics, _ = explain.metrics(req, [], plenty(), {})
    text = explain.explanation(req, "fastest", [], metrics, [], {}, {})
    assert text.startswith("0 of 2 officers: nobody qualified can be sent (deadline 30 min)")
    assert "latest arrival 0 min" not in text and "nobody qualifies in time" in text


def test_a_request_carries_its_grades_window_from_the_support_request():
    from datetime import datetime, timezone
    from types import SimpleNamespace

    from services.common.contracts import example_event
    from services.matching.planning import to_request

    data = example_event("support.requested")["data"]  # deadline_minutes 45 (grade III)
    row = SimpleNamespace(request_id=data["request_id"], data=data, exclude=None)
    late = datetime(2025, 9, 15, 2, 0, tzinfo=timezone.utc)  # 10:00 Beijing, after the 09:51:40 deadline
    req = to_request(row, {}, late)
    assert (req.window_s, req.budget_s, req.staging_s) == (45 * 60, 0, 45 * 60)
    req = to_request(SimpleNamespace(request_id=row.request_id, exclude=None,
                                     data={k: v for k, v in data.items() if k != "deadline_minutes"}), {}, late)
    assert (req.window_s, req.staging_s) == (None, 0)
