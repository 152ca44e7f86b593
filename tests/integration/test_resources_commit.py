"""Commits, dispatch, release and points on SQLite and PostgreSQL, including competing commits."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest

from services.resources.commit import commit_plan
from services.resources.tasks import dispatch, release
from tests.integration.test_resources_support import approved, load, officer, pool_fixture, squad, uid  # noqa: F401

pytestmark = pytest.mark.integration


def commit(runtime, plan: dict) -> dict:
    with runtime.outbox.transaction() as tx:
        return commit_plan(tx, plan, runtime.settings.extra["policy"], datetime.now(timezone.utc))


def statuses(client, ids) -> list[str]:
    return [client.get(f"/officers/{i}").get_json()["status"] for i in ids]


def test_an_approved_plan_commits_all_its_officers_and_publishes_it(pool):
    runtime, client = pool
    load(client, squad("330782", 10))
    ids = ["P330782-001", "P330782-002", "P330782-003"]
    result = commit(runtime, approved("PLAN-1", ids, certifications=["e_forensics_examiner"]))
    assert result["status"] == "committed" and result["officer_ids"] == ids
    assert statuses(client, ids) == ["reserved"] * 3
    events = runtime.outbox.events()
    assert [e["data"]["to"] for e in events if e["type"] == "officer.status-changed"] == ["reserved"] * 3
    committed = [e["data"] for e in events if e["type"] == "officers.committed"]
    assert committed[0]["plan_id"] == "PLAN-1" and committed[0]["officer_ids"] == ids
    donor = [e["data"] for e in events if e["type"] == "county.load-reported" and e["data"]["county"] == "330782"]
    assert (donor[-1]["available"], donor[-1]["committed"]) == (7, 3)
    assert commit(runtime, approved("PLAN-1", ids))["commit_id"] == result["commit_id"]   # a retry: same commit


def test_the_commit_carries_each_officers_own_base_wage_for_the_allowance(pool):
    runtime, client = pool
    load(client, [officer("W1", "330782", base_wage_daily=420), officer("W2", "330782", base_wage_daily=655),
                  officer("W3", "330782")] + squad("330782", 7))
    commit(runtime, approved("PLAN-W", ["W1", "W2", "W3"]))
    committed = [e["data"] for e in runtime.outbox.events() if e["type"] == "officers.committed"][-1]
    assert committed["base_wage_daily"] == {"W1": 420, "W2": 655}   # W3 has no recorded wage: left out


def test_a_plan_breaking_any_rule_commits_nobody_and_says_why_per_officer(pool):
    runtime, client = pool
    load(client, squad("330782", 10) + [officer("TIRED", "330782", duty_minutes_24h=600),
                                        officer("OFF", "330782", status="off_duty")])
    commit(runtime, approved("PLAN-A", ["P330782-001"]))
    plan = approved("PLAN-B", ["P330782-001", "P330782-002", "TIRED", "OFF", "GHOST"], hours=3)
    result = commit(runtime, plan)
    assert result["status"] == "rejected"
    assert [(r.get("officer_id"), r["reason"]) for r in result["reasons"]] == [
        ("GHOST", "unknown_officer"), ("P330782-001", "already_committed"), ("TIRED", "duty_limit_exceeded"),
        ("OFF", "not_available")]
    assert statuses(client, ["P330782-002", "TIRED"]) == ["on_duty", "on_duty"]     # nobody half-committed
    rejected = [e["data"] for e in runtime.outbox.events() if e["type"] == "commit.rejected"]
    assert rejected[-1]["plan_id"] == "PLAN-B" and len(rejected[-1]["reasons"]) == 4


def test_an_expiring_certificate_and_the_reserve_floor_refuse_a_commit(pool):
    runtime, client = pool
    expiring = [{"name": "e_forensics_examiner", "issued": "2020-01-01",
                 "expires": (datetime.now(timezone.utc) + timedelta(days=1)).date().isoformat()}]
    load(client, squad("330703", 10) + [officer("EXP", "330727", certifications=expiring)]
         + squad("330727", 9))
    result = commit(runtime, approved("PLAN-C", ["EXP"], start_in_h=48, certifications=["e_forensics_examiner"]))
    assert [(r["officer_id"], r["reason"]) for r in result["reasons"]] == [("EXP", "certification_expired")]
    four = [f"P330703-00{i}" for i in range(1, 5)]                                    # floor 7 of 10: 3 may go
    result = commit(runtime, approved("PLAN-D", four))
    assert [(r["officer_id"], r["reason"]) for r in result["reasons"]] == [("P330703-004", "reserve_floor_breached")]
    client.patch("/counties/330703", json={"reserve_share": 0.6})                      # floor 6: 4 may go
    assert commit(runtime, approved("PLAN-E", four))["status"] == "committed"


def test_a_deployed_officer_cannot_be_taken_off_the_task_by_hand(pool):
    runtime, client = pool
    load(client, squad("330782", 10))
    commit(runtime, approved("PLAN-1", ["P330782-001"]))
    resp = client.patch("/officers/P330782-001", json={"status": "off_duty"})
    assert resp.status_code == 409 and "only a release" in resp.get_json()["errors"][0]["reason"]


def race(runtime, plans: list[dict]) -> list[dict]:
    """Commit the plans from as many threads, released at the same instant."""
    gate, results = threading.Barrier(len(plans)), [None] * len(plans)

    def run(i):
        gate.wait()
        results[i] = commit(runtime, plans[i])
    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(plans))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def test_two_plans_competing_for_the_same_officers_never_both_get_them(pool):
    runtime, client = pool
    load(client, squad("330782", 60))
    for round_ in range(4):
        shared = [f"P330782-{round_ * 10 + i:03d}" for i in range(1, 4)]
        results = race(runtime, [approved(f"PLAN-{round_}-X", shared), approved(f"PLAN-{round_}-Y", shared)])
        assert sorted(r["status"] for r in results) == ["committed", "rejected"], results
        loser = next(r for r in results if r["status"] == "rejected")
        assert {(r["officer_id"], r["reason"]) for r in loser["reasons"]} == {(o, "already_committed") for o in shared}
        winner = next(r for r in results if r["status"] == "committed")
        assert {client.get(f"/officers/{o}").get_json()["commit_id"] for o in shared} == {winner["commit_id"]}


def test_two_plans_from_one_county_cannot_breach_its_floor_together(pool):
    runtime, client = pool
    load(client, squad("330782", 10))                      # 3 may leave
    results = race(runtime, [approved("PLAN-L", ["P330782-001", "P330782-002"]),
                             approved("PLAN-M", ["P330782-003", "P330782-004"])])
    assert sorted(r["status"] for r in results) == ["committed", "rejected"]
    loser = next(r for r in results if r["status"] == "rejected")
    assert [r["reason"] for r in loser["reasons"]] == ["reserve_floor_breached"]
    assert client.get("/counties/load?county=330782").get_json()[0]["available"] == 8


def test_release_accrues_duty_awards_points_and_rests_those_at_the_limit(pool):
    runtime, client = pool
    load(client, squad("330782", 10, duty_minutes_24h=60) + [officer("LONG", "330782", duty_minutes_24h=400)])
    ids = ["P330782-001", "LONG"]
    plan = approved("PLAN-R", ids, hours=5, grade="II")
    commit(runtime, plan)
    now = datetime.now(timezone.utc)
    order = {"order_id": "ORD-1", "plan_id": "PLAN-R", "request_id": plan["request_id"], "unit_id": "UNIT-X",
             "officer_ids": ids, "ordered_at": now.isoformat(), "deployment_id": "DEP-1"}
    with runtime.outbox.transaction() as tx:
        assert sorted(dispatch(tx, order, now)) == sorted(ids)
    assert statuses(client, ids) == ["deployed", "deployed"]
    released = {"deployment_id": "DEP-1", "request_id": plan["request_id"], "plan_id": "PLAN-R",
                "officer_ids": ids, "duty_minutes": 330, "released_at": now.isoformat()}
    with runtime.outbox.transaction() as tx:
        awards = release(tx, released, runtime.settings.extra["policy"], now)
    assert [a["points"] for a in awards] == [20.6, 20.6]      # grade II: 5.5 h × (0.5 + 0.5 × 4) × (1 + 0.25 × 2)
    first, long_ = (client.get(f"/officers/{i}").get_json() for i in ids)
    assert (first["status"], first["duty_minutes_24h"]) == ("on_duty", 390)
    assert (long_["status"], long_["duty_minutes_24h"]) == ("resting", 730) and long_["rest_until"]
    assert client.get("/points/officers/LONG").get_json()["points_balance"] == 20.6
    assert client.get("/points/cities").get_json()["330700"] == 41.2
    assert client.get("/points/reciprocity?city=330700").get_json() == []          # 义乌 → 东阳: same city
    assert client.get("/commitments?status=released").get_json()[0]["plan_id"] == "PLAN-R"
    with runtime.outbox.transaction() as tx:                                       # a repeat changes nothing
        assert release(tx, released, runtime.settings.extra["policy"], now) == []


def test_support_between_cities_shows_in_the_reciprocity_balance(pool):
    runtime, client = pool
    load(client, squad("330782", 10))
    plan = approved("PLAN-H", ["P330782-001"], county="330106", grade="IV")
    commit(runtime, plan)
    now = datetime.now(timezone.utc)
    with runtime.outbox.transaction() as tx:
        release(tx, {"deployment_id": "DEP-H", "request_id": plan["request_id"], "plan_id": "PLAN-H",
                     "officer_ids": ["P330782-001"], "duty_minutes": 120, "released_at": now.isoformat()},
                runtime.settings.extra["policy"], now)
    seen = client.get("/points/reciprocity?city=330100").get_json()
    assert seen == [{"city": "330100", "other_city": "330700", "given_points": 0.0, "received_points": 3.0,
                     "given_tasks": 0, "received_tasks": 1, "balance": -3.0}]
