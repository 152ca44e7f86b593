"""A service's refusal in the page's language (twin.ui.refusals): the codes the twin knows worded by it,
with places and roles named as its pages name them; anything else as the service said it."""
from __future__ import annotations

from twin.ui import refusals

PLACES = {"330783": "东阳市", "330106": "西湖区", "330700": "金华市"}.get


def place(code: str) -> str:
    return PLACES(code, code)


def problem(*errors: dict, detail: str = "Refused") -> dict:
    return {"type": "about:blank", "title": "Refused", "status": 409, "detail": detail, "errors": list(errors)}


BEDS = {"field": "lodging.quantity", "reason": "40 beds requested but the county has 12 free of 260",
        "code": "reception.beds_short", "params": {"requested": 40, "free": 12, "capacity": 260, "county": "330783"}}


def test_a_known_refusal_is_worded_in_either_language_with_its_figures_and_places():
    assert refusals.said(problem(BEDS), "zh", place) == "住宿床位不足：申请 40 张，东阳市目前空余 12 张（共 260 张）"
    assert refusals.said(problem(BEDS), "en", place) == "Not enough beds: 40 asked, 东阳市 has 12 free of 260"
    region = {"field": "Authorization", "reason": "role county_duty_officer may call ... not 330783",
              "code": "permission.region",
              "params": {"role": "county_duty_officer", "region": "330106", "outside": "330783,330700"}}
    assert refusals.said(problem(region), "zh", place) == "县级值班员只能处理本辖区（西湖区）的事务，不能处理东阳市、金华市"
    obj = {"field": "Authorization", "reason": "deployment_id DEP-1 is of region 330783, outside ...",
           "code": "permission.object", "params": {"object": "deployment_id", "id": "DEP-1", "regions": "330783",
                                                   "region": "330106", "role": "county_duty_officer"}}
    assert refusals.said(problem(obj), "en", place) == "This deployment concerns 东阳市, outside your region (西湖区)"


def test_anything_the_twin_does_not_know_is_shown_as_the_service_said_it():
    unknown = {"field": "until", "reason": "must be after the current end", "code": "reception.some_new_rule"}
    assert refusals.said(problem(unknown), "zh", place) == "until: must be after the current end"
    short = {**BEDS, "params": {"requested": 40}}  # a known code without its figures: the service's words
    assert refusals.said(problem(short), "zh", place) == "lodging.quantity: 40 beds requested but the county has 12 free of 260"
    plain = {"field": "lodging.quantity", "reason": "'many' is not of type 'integer'"}
    assert refusals.said(problem(plain, BEDS), "zh", place) == (
        "lodging.quantity: 'many' is not of type 'integer'；住宿床位不足：申请 40 张，东阳市目前空余 12 张（共 260 张）")
    assert refusals.said(problem(detail="no deployment DEP-9"), "zh", place) == "no deployment DEP-9"
    assert refusals.said(["not", "a", "problem"], "zh", place, 502) == "HTTP 502"


def test_matching_refusals_of_an_approval_name_the_plan_state_the_version_and_the_time():
    status = {"field": "plan_id", "reason": "the plan is approved", "code": "plan.status", "params": {"status": "approved"}}
    assert refusals.said(problem(status), "zh", place) == "该方案当前为「已批准」"
    assert refusals.said(problem(status), "en", place) == "The plan is approved"
    version = {"field": "version", "reason": "the request is at version 3, the plan at 3", "code": "plan.version",
               "params": {"request_version": 3, "plan_version": 3, "shown": 2}}
    assert refusals.said(problem(version), "zh", place) == "您看到的是第 2 版方案，请求已更新为第 3 版，请审批最新方案"
    expired = {"field": "valid_until", "reason": "valid until ...", "code": "plan.expired",
               "params": {"valid_until": "2026-09-15T06:40:00+00:00"}}
    assert refusals.said(problem(expired), "zh", place) == "方案有效期至 09-15 14:40，已过期，态势可能已变化"  # Beijing time
    held = {"field": "assignments.0.officer_id", "reason": "held", "code": "plan.officer_held",
            "params": {"officer": "330783-0001", "county": "330783", "plan": "PLAN-R2-1A"}}
    assert refusals.said(problem(held), "en", place) == "Officer 330783-0001 (东阳市) is held by plan PLAN-R2-1A"
    region = {"field": "Authorization", "reason": "outside", "code": "approval.region",
              "params": {"role": "city_commander", "region": "330700", "county": "330106"}}
    assert refusals.said(problem(region), "zh", place) == "接收县区西湖区不在您的辖区（金华市）内"


def test_at_most_so_many_refusals_and_how_many_more():
    many = problem(*[BEDS] * 5)
    assert refusals.said(many, "en", place, most=2) == ("Not enough beds: 40 asked, 东阳市 has 12 free of 260; not enough "
                                                         "beds: 40 asked, 东阳市 has 12 free of 260; and 3 more")
    assert refusals.said(problem(BEDS, {"reason": "HTTP 502 from logistics"}), "en", place).endswith("; HTTP 502 from logistics")
    assert refusals.said(many, "zh", place, most=5).count("住宿床位不足") == 5 and "另有" not in refusals.said(many, "zh", place, most=5)


def test_why_a_request_was_planned_again_is_worded_by_what_changed():
    """matching's replanning reasons for a request changed at its own grade (handlers.escalation_reason)."""
    from services.matching.handlers import escalation_reason
    base = {"from_grade": "III", "to_grade": "III", "kind": "growth", "approval_level": "city"}
    lines = escalation_reason({**base, "lines": [{"line_id": "L1"}]}, "III")
    referred = escalation_reason({**base, "kind": "deadline_missed:approval", "approval_level": "province"}, "III")
    raised = escalation_reason({**base, "to_grade": "II"}, "III")
    said = {why["code"]: (refusals.said({"errors": [why]}, "zh", place), refusals.said({"errors": [why]}, "en", place))
            for why in (lines, referred, raised)}
    assert said == {"request.lines_changed": ("请求的警力需求已更新", "The request's lines changed"),
                    "request.referred": ("请求逾期未办，已转上一级审批",
                                         "The request missed a deadline and went to the next approval level"),
                    "request.escalated": ("请求已升级为II级", "The request was escalated to grade II")}
