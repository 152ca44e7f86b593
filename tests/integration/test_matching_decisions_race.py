"""Two commanders decide on a request's plans at the same moment, on both databases: one decision wins,
the other is told what happened (409), and one plan.approved goes out, never two. (On PostgreSQL both
passed their checks: the second died on the officer holds' key, a 500, where the two crews shared an
officer, and would have gone out too where they did not.)"""
from __future__ import annotations

import threading
import time
import uuid

import pytest

from services.common.auth import Identity
from services.common.clock import now
from services.common.config import Settings
from services.demo import generate
from services.matching import approvals, snapshot
from services.matching.bootstrap import build_runtime
from services.matching.planning import Places
from tests.helpers import NO_BROKER, at_once, drop_schemas, meeting
from tests.unit.test_matching_service import ask, events

PROVINCE = Identity("zj-duty-chief", "province_commander", "330000")
CITY = Identity("jh-commander", "city_commander", "330700")   # 东阳 330783 lies in 金华


@pytest.fixture(scope="module")
def places():
    return Places("330000")


@pytest.fixture
def matching(database_url, tmp_path, places):
    settings = Settings(service=f"t{uuid.uuid4().hex[:10]}", database_url=database_url, kafka_bootstrap=NO_BROKER,
                        extra={"signing_key": str(tmp_path / "key.pem"), "places": places})
    runtime = build_runtime(settings, resources_url=None)
    with runtime.engine.begin() as conn:
        snapshot.load_force(conn, generate(officers=3000, seed=5), now())
    yield runtime
    runtime.engine.dispose()
    drop_schemas(database_url, [settings.db_schema])


def decide_at_once(monkeypatch, *decisions) -> list:
    """The decisions in threads that each pass their checks before either writes (when nothing makes
    them take turns); each one's result or the Problem it raised."""
    monkeypatch.setattr(approvals, "check_current", meeting(approvals.check_current, parties=len(decisions)))
    return at_once(*decisions)


def test_two_commanders_approving_two_candidates_at_once_send_one_plan(matching, monkeypatch):
    runtime = matching
    ask(runtime, "REQ-RACE")
    assert runtime.deps.planner.plan_pending() >= 2
    plans = [p for p in events(runtime, "plan.proposed") if p["request_id"] == "REQ-RACE"][:2]
    key = runtime.deps.signing_key
    results = decide_at_once(
        monkeypatch,
        lambda p=plans[0]: approvals.decide_approve(runtime.outbox, p["plan_id"], PROVINCE, {"version": 1}, key, now()),
        lambda p=plans[1]: approvals.decide_approve(runtime.outbox, p["plan_id"], CITY, {"version": 1}, key, now()))
    refused = [r for r in results if isinstance(r, approvals.Problem)]
    assert len(refused) == 1 and refused[0].status == 409, results
    assert len([a for a in events(runtime, "plan.approved") if a["request_id"] == "REQ-RACE"]) == 1


def test_a_double_click_on_approve_approves_once(matching, monkeypatch):
    runtime = matching
    ask(runtime, "REQ-TWICE")
    runtime.deps.planner.plan_pending()
    plan = next(p for p in events(runtime, "plan.proposed") if p["request_id"] == "REQ-TWICE")
    key = runtime.deps.signing_key
    approve = lambda: approvals.decide_approve(runtime.outbox, plan["plan_id"], PROVINCE, {"version": 1}, key, now())  # noqa: E731
    results = decide_at_once(monkeypatch, approve, approve)
    assert sum(isinstance(r, approvals.Problem) and r.status == 409 for r in results) == 1, results
    assert len([a for a in events(runtime, "plan.approved") if a["plan_id"] == plan["plan_id"]]) == 1


def test_two_reasons_to_plan_a_request_again_at_once_keep_both_at_one_new_version(matching):
    """An officer drops out while the pool refuses the request's commit: both handlers mark the request for
    planning again at the same moment. The second must see the first's mark (pending, its reason kept) and
    add its own at the same version; on PostgreSQL it used to read the request as proposed, bump the version
    a second time and replace the first reason with its own."""
    from services.matching import store
    runtime = matching
    with runtime.engine.begin() as conn:
        store.insert_request(conn, "REQ-TWO-WHYS", {"county": "330783", "grade": "II", "lines": []}, status="proposed",
                             exclude=[], received_at=now())
    first_marked, second_started = threading.Event(), threading.Event()

    def first():
        with runtime.engine.begin() as conn:
            store.mark_for_replanning(conn, "REQ-TWO-WHYS", [{"code": "plan.officer_off_duty", "reason": "first"}])
            first_marked.set()
            second_started.wait(5)
            time.sleep(0.5)   # the second reads (or waits for the lock) while this one has not committed

    def second():
        assert first_marked.wait(5)
        second_started.set()
        with runtime.engine.begin() as conn:
            store.mark_for_replanning(conn, "REQ-TWO-WHYS", [{"code": "commit.rejected", "reason": "second"}])
    assert at_once(first, second) == [None, None]
    with runtime.engine.connect() as conn:
        row = store.request(conn, "REQ-TWO-WHYS")
    assert (row.status, row.version) == ("pending", 2)
    assert [w["reason"] for w in row.replanned] == ["first", "second"]
