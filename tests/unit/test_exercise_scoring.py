"""After-action scoring from recorded events: response vs deadline, plans chosen vs best, reserve
floors, duty limits, logistics coverage, indicators, targets and the timeline."""
import copy

from services.common.contracts import example_event
from services.exercise.decisions import best_plan, decisions, pending
from services.exercise.scoring import (
    duty_limits,
    indicators,
    logistics_coverage,
    requests_table,
    reserve_breaches,
    score,
    timeline,
)

REQ = "REQ-330783-20250915-0003"


def ev(topic, time=None, **changes):
    event = copy.deepcopy(example_event(topic))
    event["data"].update(changes)
    if time:
        event["time"] = time
    return event


def plan(suffix, latest, *, fill=1.0, met=True, time="2025-09-15T01:07:00Z", reserve=0.75, donors=None):
    e = ev("plan.proposed", time, plan_id=f"PLAN-{suffix}")
    e["data"]["metrics"].update(latest_eta_s=latest, mean_eta_s=latest, fill_ratio=fill, deadline_met=met,
                                min_reserve_ratio=reserve)
    if donors:
        e["data"]["metrics"]["per_donor"] = donors
    return e


def loop(arrived_at="2025-09-15T09:37:02+08:00", response_s=1620):
    """One request served end to end, as the contract examples tell it."""
    return [ev("support.requested", "2025-09-15T01:06:40Z"),
            plan("A", 2400, donors={"330782": 2, "330703": 2, "330727": 2}), plan("B", 3000),
            ev("plan.approved", "2025-09-15T01:09:30Z", plan_id="PLAN-A"),
            ev("dispatch.ordered", "2025-09-15T01:10:02Z", plan_id="PLAN-A"),
            ev("logistics.arranged", "2025-09-15T01:30:00Z", medic={"status": "arranged", "quantity": 3}),
            ev("unit.arrived", "2025-09-15T01:37:02Z", arrived_at=arrived_at, response_s=response_s)]


def test_a_request_whose_units_all_arrived_before_the_deadline_is_on_time():
    [row] = requests_table(loop())
    assert row["request_id"] == REQ and row["on_time"] and row["max_response_s"] == 1620
    assert row["units_ordered"] == row["units_arrived"] == 1


def test_a_re_sent_order_is_one_unit_to_wait_for_not_two():
    events = loop()
    events.insert(-1, ev("dispatch.ordered", "2025-09-15T01:12:02Z", plan_id="PLAN-A", attempt=2))
    [row] = requests_table(events)
    assert row["units_ordered"] == 1 and row["on_time"]


def test_a_late_arrival_makes_the_request_late():
    [row] = requests_table(loop(arrived_at="2025-09-15T10:05:00+08:00", response_s=3300))
    assert not row["on_time"]


def test_a_request_without_arrivals_is_not_on_time():
    [row] = requests_table(loop()[:-1])
    assert not row["on_time"] and row["max_response_s"] is None


def test_the_best_plan_fills_the_request_first_then_arrives_earliest():
    fast_but_short = plan("X", 600, fill=0.5)["data"]
    full = plan("Y", 2400)["data"]
    late = plan("Z", 1800, met=False)["data"]
    assert best_plan([fast_but_short, full, late])["plan_id"] == "PLAN-Y"
    assert best_plan([]) is None


def test_approving_a_slower_plan_is_scored_against_the_best_available_then():
    events = loop()
    events[3] = ev("plan.approved", "2025-09-15T01:09:30Z", plan_id="PLAN-B")
    [d] = decisions(events)
    assert d["verdict"] == "approved" and not d["chose_best"]
    assert d["best_plan_id"] == "PLAN-A" and d["eta_cost_s"] == 600
    assert d["waited_s"] == 150  # plans proposed 01:07:00, approved 01:09:30


def test_a_decision_in_another_offset_is_ordered_by_its_instant_not_its_text():
    """09:09:30+08:00 is 01:09:30Z: after the plans proposed at 01:07Z, though its text sorts before them."""
    events = loop()
    events[3] = ev("plan.approved", "2025-09-15T09:09:30+08:00", plan_id="PLAN-A")
    [d] = decisions(events)
    assert d["candidates"] == 2 and d["chose_best"] and d["waited_s"] == 150


def test_a_plan_proposed_after_the_decision_does_not_count_as_available():
    events = loop() + [plan("C", 100, time="2025-09-15T02:00:00Z")]
    [d] = decisions(events)
    assert d["chose_best"] and d["candidates"] == 2


def test_rejections_by_matching_itself_are_not_trainee_decisions():
    events = loop() + [ev("plan.rejected", "2025-09-15T01:09:31Z", plan_id="PLAN-B", rejected_by="matching")]
    assert [d["verdict"] for d in decisions(events)] == ["approved"]
    events.append(ev("plan.rejected", "2025-09-15T01:09:40Z", plan_id="PLAN-A", rejected_by="U-330000-0031"))
    assert decisions(events)[-1] == {**decisions(events)[-1], "verdict": "rejected", "rejected_best": True}


def test_pending_plans_are_those_without_a_decision_and_a_re_plan_brings_new_ones():
    events = loop()[:3]
    assert [p["plan_id"] for p in pending(events)] == ["PLAN-A", "PLAN-B"]
    superseded = ev("plan.rejected", "2025-09-15T01:09:31Z", plan_id="PLAN-B", rejected_by="matching")
    assert pending(loop() + [superseded]) == []
    refused = ev("plan.rejected", "2025-09-15T01:10:00Z", plan_id="PLAN-A", rejected_by="matching")
    replan = plan("A2", 2700, time="2025-09-15T01:11:00Z")
    assert [p["plan_id"] for p in pending(loop() + [superseded, refused, replan])] == ["PLAN-A2"]
    cancelled = ev("support.cancelled", "2025-09-15T01:12:00Z", request_id=REQ)
    assert pending(loop() + [superseded, refused, replan, cancelled]) == []


def test_a_load_report_below_the_reserve_floor_and_an_approved_plan_below_70_percent_are_breaches():
    low = ev("county.load-reported", on_duty=200, committed=70, reserve_floor=140)
    ok = ev("county.load-reported", on_duty=240, committed=2, reserve_floor=168)
    events = loop() + [low, ok]
    events[1] = plan("A", 2400, reserve=0.6)
    breaches = reserve_breaches(events)
    assert [b["source"] for b in breaches] == ["load report", "approved plan"]
    assert breaches[0]["at_home"] == 130


def test_officers_released_after_more_than_12_hours_break_the_duty_limit():
    events = [ev("deployment.released", duty_minutes=415),
              ev("deployment.released", deployment_id="DEP-2", duty_minutes=780, officer_ids=["P-1", "P-2"]),
              ev("commit.rejected")]
    limits = duty_limits(events)
    assert [o["officer_id"] for o in limits["exceeded"]] == ["P-1", "P-2"]
    assert limits["commits_refused_for_duty_limit"] == 1


def test_logistics_coverage_counts_deployments_with_lodging_meals_transport_and_medic_arranged():
    events = loop() + [ev("dispatch.ordered", deployment_id="DEP-2")]
    cov = logistics_coverage(events)
    assert cov == {"deployments": 2, "covered": 1, "coverage": 0.5, "missing": ["DEP-2"]}
    pending_lodging = ev("logistics.arranged", deployment_id="DEP-2", medic={"status": "arranged"})
    pending_lodging["data"]["lodging"]["status"] = "pending"
    assert logistics_coverage(events + [pending_lodging])["coverage"] == 0.5
    small_team_no_medic = ev("logistics.arranged", deployment_id="DEP-2", medic={"status": "not_needed"})  # not covered
    assert logistics_coverage(events + [small_team_no_medic])["coverage"] == 0.5


def test_indicators_come_from_the_stream_and_served_figures_win():
    events = loop() + [ev("county.load-reported", available=80, committed=20), ev("deployment.released")]
    got = indicators(events)
    assert got["response_time_s"]["mean"] == 1620 and got["utilisation"] == 0.2
    assert got["logistics_coverage"] == 1.0
    assert got["equipment_compatibility"] is None and got["cross_region_clearance"] is None   # not on the stream
    served = {"equipment_compatibility": {"rate": 0.93, "items_checked": 40}, "utilisation": {"utilisation": None},
              "satisfaction": {"score": 4.5, "by_side": {"officer": 5.0, "receiver": 4.0}, "responses": 12},
              "cross_region_clearance": {"rate": 0.75, "cases": 4, "solved": 3}}  # logistics' GET /indicators
    got = indicators(events, served)
    assert got["equipment_compatibility"] == 0.93 and got["officer_satisfaction"] == 4.5
    assert got["cross_region_clearance"] == 0.75
    assert got["utilisation"] == 0.2  # logistics had no figure: the stream's stands


def test_targets_are_checked_against_what_happened():
    result = score(loop(), targets={"max_response_min": 30, "min_donor_cities": 2, "logistics_coverage": 1.0,
                                    "min_officers_deployed": 3})
    met = {t["target"]: t["met"] for t in result["targets"]}
    assert met == {"max_response_min": True, "min_donor_cities": False, "logistics_coverage": True,
                   "min_officers_deployed": False}  # one city (3307) sent everyone; 2 officers dispatched


def test_the_timeline_merges_injects_and_events_in_time_order():
    log = [{"at": "2025-09-15T09:05:00+08:00", "label": "00:05 incident X", "outcome": "reported"}]
    rows = timeline(loop(), log)
    assert rows[0]["what"] == "inject" and rows[1]["what"] == "support.requested"
    assert rows[-1]["what"] == "unit.arrived"


def test_a_plan_matching_withdrew_before_the_decision_is_not_the_best_available():
    # PLAN-A (the faster) was superseded by a re-plan before the trainee approved PLAN-B: B was the best left
    withdrawn = ev("plan.rejected", "2025-09-15T01:08:00Z", plan_id="PLAN-A", rejected_by="matching")
    events = loop() + [withdrawn]
    events[3] = ev("plan.approved", "2025-09-15T01:09:30Z", plan_id="PLAN-B")
    [d] = decisions(events)
    assert d["chose_best"] and d["best_plan_id"] == "PLAN-B" and d["candidates"] == 1 and d["eta_cost_s"] == 0
