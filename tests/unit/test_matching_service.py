"""The matching service in one process (its real database, handlers and HTTP app; no broker):
requests become signed, tiered approvals; stale plans are refused; refusals re-plan only what changed."""
from __future__ import annotations

import copy
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from services.common import contracts
from services.common.auth import Identity, headers_for
from services.common.clock import now
from services.demo import generate
from services.matching import signing, snapshot
from services.matching.bootstrap import create_app
from services.matching.planning import Places
from services.matching.store import duty_minutes, holds, requests
from tests.helpers import deliver, example_envelope
from twin.mirror.client import Decision
from twin.ui.views import decision_message

PROVINCE = headers_for(Identity("zj-duty-chief", "province_commander", "330000"))
LINES = [{"line_id": "cyber", "module": "investigation", "tags": ["cybercrime_investigation"], "certifications": [],
          "equipment": ["body_camera"], "headcount": 3},
         {"line_id": "patrol", "module": "patrol", "tags": [], "certifications": [], "equipment": [], "headcount": 4}]


@pytest.fixture(scope="module")
def force():
    return generate(officers=6000, seed=5)


@pytest.fixture(scope="module")
def places():
    p = Places("330000")
    p.matrix  # noqa: B018  (load the travel matrix once for the module)
    return p


@pytest.fixture
def service(tmp_path, offline_runtime, force, places):
    runtime = offline_runtime("matching", extra={"signing_key": str(tmp_path / "key.pem"), "places": places},
                              build_options={"resources_url": None})
    with runtime.engine.begin() as conn:
        snapshot.load_force(conn, force, now())
    return runtime, create_app(runtime).test_client()


def handle(runtime, topic: str, data: dict) -> None:
    """matching's handler of `topic` on the contract's example event carrying `data`."""
    deliver(runtime, topic, event=example_envelope(topic, data))


def ask(runtime, request_id: str, *, county: str = "330783", grade: str = "III", level: str = "city",
        lines=LINES) -> dict:
    data = copy.deepcopy(contracts.example_event("support.requested")["data"])
    at = now()
    data.update(request_id=request_id, county=county, grade=grade, approval_level=level, lines=copy.deepcopy(lines),
                requested_at=at.isoformat(), deadline=(at + timedelta(minutes=45)).isoformat())
    for optional in ("task_window", "launch_deadline"):
        data.pop(optional, None)
    handle(runtime, "support.requested", data)
    return data


def plans_of(client, request_id: str) -> list[dict]:
    return client.get(f"/requests/{request_id}/plans", headers=PROVINCE).get_json()["plans"]


def proposed(client, request_id: str, kind: str = "fastest") -> dict:
    return next(p for p in plans_of(client, request_id) if p["kind"] == kind and p["status"] == "proposed")


def events(runtime, topic: str) -> list[dict]:
    return [e["data"] for e in runtime.outbox.events() if e["type"] == topic]


def test_a_request_gets_distinct_valid_candidates_and_a_signed_approval_anyone_can_verify(service):
    runtime, client = service
    ask(runtime, "REQ-A")
    made = runtime.deps.planner.plan_pending()
    sent = events(runtime, "plan.proposed")
    assert made == len(sent) >= 1 and sent[0]["kind"] == "fastest"
    # criteria that agree are one plan: no two candidates send the same officers
    crews = [frozenset(a["officer_id"] for a in p["assignments"]) for p in sent]
    assert len(crews) == len(set(crews))
    fastest = proposed(client, "REQ-A")
    assert len(fastest["assignments"]) == 7 and fastest["certificate"]["optimal"]
    assert fastest["metrics"]["latest_eta_s"] == max(a["eta_s"] for a in fastest["assignments"])
    resp = client.post(f"/plans/{fastest['plan_id']}/approve", json={"version": 1, "comment": "同意"}, headers=PROVINCE)
    assert resp.status_code == 200, resp.get_json()
    (approval,) = events(runtime, "plan.approved")
    assert approval["county"] == "330783" and approval["grade"] == "III" and approval["comment"] == "同意"
    start, end = (datetime.fromisoformat(approval[k]) for k in ("task_start", "task_end"))
    # the request's 480 minutes on scene, one shift, ended when its first officer reaches 12 hours (an
    # officer without the whole shift left is sent for a stint of at least 4 h) and relieved from then
    with runtime.engine.connect() as conn:
        worked = duty_minutes(conn, [a["officer_id"] for a in approval["assignments"]])
    limit = datetime.fromisoformat(approval["at"]) + timedelta(minutes=720 - max(worked.values()))
    assert end - start == min(timedelta(hours=8), limit - start) >= timedelta(hours=4)
    with runtime.engine.connect() as conn:
        relief = conn.execute(select(requests.c.data).where(requests.c.request_id == "REQ-A-S2")).scalar()
    assert (relief is not None) == (end - start < timedelta(hours=8))
    assert relief is None or datetime.fromisoformat(relief["relief_from"]) == end
    assert sorted(a["officer_id"] for a in approval["assignments"]) == sorted(a["officer_id"] for a in fastest["assignments"])
    # each officer's county and unit as proposed: logistics orders the units from the approval alone
    assert {a["officer_id"]: (a["from_county"], a.get("unit_id")) for a in approval["assignments"]} == \
        {a["officer_id"]: (a["from_county"], a.get("unit_id")) for a in fastest["assignments"]}
    assert all(a.get("unit_id") for a in approval["assignments"])
    key = client.get("/keys").get_json()
    assert signing.verify(approval, key["public_key"])
    assert {r["plan_id"] for r in events(runtime, "plan.rejected")} == \
        {p["plan_id"] for p in sent if p["kind"] != "fastest"}          # the other candidates are void


def test_only_a_commander_of_the_right_level_and_city_may_approve(service):
    runtime, client = service
    ask(runtime, "REQ-B", grade="III", level="city")            # 330783 lies in city 330700
    ask(runtime, "REQ-C", county="330106", grade="II", level="province")
    runtime.deps.planner.plan_pending()
    b, c = proposed(client, "REQ-B"), proposed(client, "REQ-C")
    other_city = headers_for(Identity("hz-chief", "city_commander", "330100"))
    county = headers_for(Identity("dy-duty", "county_duty_officer", "330783"))
    outside = client.post(f"/plans/{b['plan_id']}/approve", json={"version": 1}, headers=other_city)
    assert outside.status_code == 403
    assert outside.get_json()["errors"][0]["code"] == "permission.object"   # the plan's counties, none of its city
    by_county = client.post(f"/plans/{b['plan_id']}/approve", json={"version": 1}, headers=county)
    assert by_county.status_code == 403
    assert by_county.get_json()["errors"][0]["code"] == "permission.role"  # the table refuses before the approval rules
    province_level = client.post(f"/plans/{c['plan_id']}/approve", json={"version": 1},
                                 headers=headers_for(Identity("hz-chief", "city_commander", "330100")))
    assert province_level.status_code == 403
    assert {k: province_level.get_json()["errors"][0][k] for k in ("code", "params")} == \
        {"code": "approval.role", "params": {"role": "city_commander", "grade": "II", "roles": "province_commander"}}
    mine = headers_for(Identity("jh-chief", "city_commander", "330700"))
    assert client.post(f"/plans/{b['plan_id']}/approve", json={"version": 1}, headers=mine).status_code == 200
    bad = client.post(f"/plans/{c['plan_id']}/approve", json={"version": "one"}, headers=PROVINCE)
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["field"].endswith("version")


def test_a_plan_whose_officer_went_off_duty_is_refused_with_409_and_re_planned_without_them(service):
    runtime, client = service
    ask(runtime, "REQ-D")
    ask(runtime, "REQ-D2", county="330106")
    runtime.deps.planner.plan_pending()
    plan = proposed(client, "REQ-D")
    gone = plan["assignments"][0]
    assert gone["officer_id"] not in {a["officer_id"] for p in plans_of(client, "REQ-D2") for a in p["assignments"]}
    handle(runtime, "officer.status-changed", {"officer_id": gone["officer_id"], "county": gone["from_county"],
                                               "module": "patrol", "from": "on_duty", "to": "resting",
                                               "at": now().isoformat()})
    # re-planned at once, before anyone tries to approve: only the request whose proposals name the officer
    state = {r["request_id"]: (r["status"], r["version"]) for r in client.get("/requests", headers=PROVINCE).get_json()}
    assert state == {"REQ-D": ("pending", 2), "REQ-D2": ("proposed", 1)}
    resp = client.post(f"/plans/{plan['plan_id']}/approve", json={"version": 1}, headers=PROVINCE)
    assert resp.status_code == 409 and gone["officer_id"] in resp.get_json()["errors"][0]["reason"]
    assert {k: resp.get_json()["errors"][0][k] for k in ("code", "params")} == \
        {"code": "plan.officer_off_duty",
         "params": {"officer": gone["officer_id"], "county": gone["from_county"], "status": "resting"}}
    # the twin words this very answer for the commander: who is gone, and that the request is re-planned
    told = decision_message(Decision("conflict", 409, "", resp.get_json()), plan["plan_id"], "zh",
                            {gone["from_county"]: "某县"}.get)
    assert f"民警 {gone['officer_id']}（某县）当前休整，无法调派" in told and "重新编制方案" in told
    runtime.deps.planner.plan_pending()
    fresh = proposed(client, "REQ-D")
    assert fresh["version"] == 2 and gone["officer_id"] not in {a["officer_id"] for a in fresh["assignments"]}
    assert fresh["replanned"] == [{"code": "plan.officer_off_duty", "reason": f"{gone['officer_id']} is resting, no longer "
                                   "on duty", "params": {"officer": gone["officer_id"], "county": gone["from_county"],
                                                         "status": "resting"}}]   # once: the refused approval adds none
    assert "replanned" not in plan                                                  # a request's first plans
    stale = client.post(f"/plans/{fresh['plan_id']}/approve", json={"version": 1}, headers=PROVINCE)
    assert stale.status_code == 409 and stale.get_json()["errors"][0]["field"] == "version"
    assert stale.get_json()["errors"][0]["code"] == "plan.version"
    assert stale.get_json()["errors"][0]["params"] == {"request_version": 2, "plan_version": 2, "shown": 1}
    # a rejection names the version it saw too: the plan now shown is not the one the commander turned down
    turned = client.post(f"/plans/{fresh['plan_id']}/reject", json={"version": 1, "reason": "too far"}, headers=PROVINCE)
    assert turned.status_code == 409 and turned.get_json()["errors"][0]["code"] == "plan.version"
    assert proposed(client, "REQ-D")["plan_id"] == fresh["plan_id"]                 # still there to decide on
    assert client.post(f"/plans/{fresh['plan_id']}/reject", json={"version": 2, "reason": "too far"},
                       headers=PROVINCE).status_code == 200


def test_a_commit_rejection_re_plans_only_the_refused_officer(service):
    runtime, client = service
    ask(runtime, "REQ-E")
    runtime.deps.planner.plan_pending()
    plan = proposed(client, "REQ-E")
    client.post(f"/plans/{plan['plan_id']}/approve", json={"version": 1}, headers=PROVINCE)
    refused = plan["assignments"][-1]["officer_id"]
    handle(runtime, "commit.rejected", {"plan_id": plan["plan_id"], "request_id": "REQ-E", "at": now().isoformat(),
                                        "reasons": [{"officer_id": refused, "reason": "duty_limit_exceeded"}]})
    runtime.deps.planner.plan_pending()
    new = proposed(client, "REQ-E")
    kept = {a["officer_id"] for a in plan["assignments"]} - {refused}
    ids = {a["officer_id"] for a in new["assignments"]}
    assert new["replaces"] == plan["plan_id"] and kept <= ids and refused not in ids and len(ids) == 7
    assert [(w["code"], w["params"]) for w in new["replanned"]] == [("commit.rejected", {"officers": 1})]


def test_officers_of_an_approved_plan_are_never_offered_to_a_new_request(service):
    runtime, client = service
    ask(runtime, "REQ-F")
    runtime.deps.planner.plan_pending()
    plan = proposed(client, "REQ-F")
    client.post(f"/plans/{plan['plan_id']}/approve", json={"version": 1}, headers=PROVINCE)
    ask(runtime, "REQ-G")                                             # same place, same needs
    runtime.deps.planner.plan_pending()
    taken = {a["officer_id"] for a in plan["assignments"]}
    for p in plans_of(client, "REQ-G"):
        assert not taken & {a["officer_id"] for a in p["assignments"]}


def test_an_officer_dropping_out_after_commit_is_replaced_alone(service):
    runtime, client = service
    ask(runtime, "REQ-H")
    runtime.deps.planner.plan_pending()
    plan = proposed(client, "REQ-H")
    client.post(f"/plans/{plan['plan_id']}/approve", json={"version": 1}, headers=PROVINCE)
    ids = [a["officer_id"] for a in plan["assignments"]]
    handle(runtime, "officers.committed", {"commit_id": "CMT-1", "plan_id": plan["plan_id"], "request_id": "REQ-H",
                                           "officer_ids": ids, "at": now().isoformat()})
    handle(runtime, "officer.status-changed", {"officer_id": ids[0], "county": plan["assignments"][0]["from_county"],
                                               "module": "patrol", "from": "reserved", "to": "unavailable",
                                               "at": now().isoformat()})
    runtime.deps.planner.plan_pending()
    top_up = proposed(client, "REQ-H")
    assert len(top_up["assignments"]) == 1 and top_up["assignments"][0]["officer_id"] not in ids
    with runtime.engine.connect() as conn:
        assert len(conn.execute(select(holds).where(holds.c.request_id == "REQ-H")).all()) == 6
        assert conn.execute(select(requests.c.version).where(requests.c.request_id == "REQ-H")).scalar_one() == 2


def test_a_request_nobody_can_serve_gets_no_plan_but_says_what_is_missing(service):
    runtime, client = service
    ask(runtime, "REQ-I", lines=[{"line_id": "divers", "module": "emergency_rescue", "tags": ["cave_diving"],
                                  "certifications": [], "equipment": [], "headcount": 5}])
    assert runtime.deps.planner.plan_pending() == 0 and not events(runtime, "plan.proposed")
    body = client.get("/requests/REQ-I/plans", headers=PROVINCE).get_json()
    assert body["plans"] == [] and len(body["infeasible"]) == 1   # the three criteria agree on nothing
    (short,) = body["infeasible"][0]["shortfall"]
    assert short["text"].startswith("divers: 5 cave_diving needed, 0 assigned; 0 qualified officers")


def test_an_escalated_request_is_planned_again_and_its_plans_say_why(service):
    runtime, client = service
    asked = ask(runtime, "REQ-ESC")
    runtime.deps.planner.plan_pending()
    first = proposed(client, "REQ-ESC")
    data = copy.deepcopy(contracts.example_event("support.escalated")["data"])
    data.update(request_id="REQ-ESC", county=asked["county"], lines=asked["lines"],
                deadline=(now() + timedelta(minutes=30)).isoformat(), escalated_at=now().isoformat())
    handle(runtime, "support.escalated", data)
    runtime.deps.planner.plan_pending()
    again = proposed(client, "REQ-ESC")
    assert again["version"] == first["version"] + 1
    assert again["replanned"] == [{"code": "request.escalated", "reason": "escalated to grade II",
                                   "params": {"grade": "II"}}]


@pytest.mark.parametrize("change, code, params", [
    ({"lines": True}, "request.lines_changed", {"kind": "growth"}),
    ({"kind": "deadline_missed:approval", "approval_level": "province"}, "request.referred",
     {"kind": "deadline_missed:approval", "level": "province"}),
])
def test_a_request_changed_at_the_same_grade_says_what_changed_not_escalated(service, change, code, params):
    """support.escalated at the request's own grade (the reporter confirmed the lines, local officers were
    freed, a deadline missed sent it to the next approval level): its plans say that, not 'escalated to
    grade III' of a grade III request."""
    runtime, client = service
    asked = ask(runtime, "REQ-SAME")
    runtime.deps.planner.plan_pending()
    data = copy.deepcopy(contracts.example_event("support.escalated")["data"])
    data.update(request_id="REQ-SAME", county=asked["county"], from_grade="III", to_grade="III",
                deadline=(now() + timedelta(minutes=30)).isoformat(), escalated_at=now().isoformat(),
                **{k: v for k, v in change.items() if k != "lines"})
    if change.get("lines"):
        data["lines"] = asked["lines"]
    else:
        data.pop("lines", None)
    handle(runtime, "support.escalated", data)
    runtime.deps.planner.plan_pending()
    (why,) = proposed(client, "REQ-SAME")["replanned"]
    assert (why["code"], why["params"]) == (code, params) and "grade" not in why["reason"]
