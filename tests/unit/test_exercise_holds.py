"""Work in hand holds the exercise clock: from a request to its dispatch, and an inject until demand has it."""
from services.exercise.holds import WorkInHand


def ev(kind, **data):
    return {"type": kind, "data": data}


def test_a_request_holds_until_its_plans_and_the_auto_trainee_until_it_approved():
    work = WorkInHand(auto_decisions=True)
    events = [ev("support.requested", request_id="R1")]
    assert work.update(events, 0.0) == ["plan:R1"]
    events.append(ev("plan.proposed", request_id="R1", plan_id="P1A"))
    assert work.update(events, 1.0) == ["decide:R1"]
    events += [ev("plan.approved", request_id="R1", plan_id="P1A")]
    assert work.update(events, 2.0) == ["commit:P1A"]
    events += [ev("officers.committed", request_id="R1", plan_id="P1A")]
    assert work.update(events, 3.0) == ["dispatch:P1A"]
    events += [ev("dispatch.ordered", request_id="R1", plan_id="P1A", order_id="O1")]
    assert work.update(events, 4.0) == []


def test_a_human_trainees_decision_is_never_held():
    work = WorkInHand(auto_decisions=False)
    assert work.update([ev("support.requested", request_id="R1"), ev("plan.proposed", request_id="R1")], 0.0) == []


def test_a_refused_commit_holds_for_the_re_plan():
    work = WorkInHand()
    events = [ev("support.requested", request_id="R1"), ev("plan.proposed", request_id="R1", plan_id="P1A"),
              ev("plan.approved", request_id="R1", plan_id="P1A"), ev("commit.rejected", request_id="R1", plan_id="P1A")]
    assert work.update(events, 0.0) == ["plan:R1"]


def test_an_inject_holds_until_demand_reports_the_incident():
    work = WorkInHand()
    work.expect("reported:EX-1", 0.0)
    assert work.update([], 0.5) == ["reported:EX-1"]
    assert work.update([ev("incident.reported", incident_id="EX-1")], 0.6) == []


def test_a_step_that_never_ends_stops_holding_after_the_limit():
    work = WorkInHand(max_wall_s=20.0)
    events = [ev("support.requested", request_id="R1")]  # matching finds nobody: no plan.proposed ever
    assert work.update(events, 0.0) == ["plan:R1"]
    assert work.update(events, 21.0) == []


def test_a_request_matching_planned_without_candidates_stops_holding_at_once():
    work = WorkInHand()
    events = [ev("support.requested", request_id="R1"), ev("support.requested", request_id="R2")]
    assert work.update(events, 0.0) == ["plan:R1", "plan:R2"]
    assert work.planning() == {"R1", "R2"}
    work.planned({"R1"})
    assert work.update(events, 0.5) == ["plan:R2"]
