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
