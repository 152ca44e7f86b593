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
