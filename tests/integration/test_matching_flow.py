"""matching through the real broker, beside a real resource pool served over HTTP: the snapshot,
a request planned into its candidates (one per distinct plan), a signed approval the pool commits, and a re-plan."""
from __future__ import annotations

import copy
import threading
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from werkzeug.serving import make_server

from infra.ports import free_port
from services.common import contracts
from services.common.auth import Identity, headers_for
from services.common.clock import now
from services.common.runtime import Runtime
from services.matching import signing
from services.matching.bootstrap import build_runtime as build_matching
from services.matching.bootstrap import create_app as matching_app
from services.matching.store import officers
from services.resources.bootstrap import build_runtime as build_resources
from services.resources.bootstrap import create_app as resources_app
from services.resources.bootstrap import seed_demo_if_empty
from tests.helpers import wait_for
from tests.integration.test_resources_events import published

pytestmark = pytest.mark.integration
PROVINCE = headers_for(Identity("zj-duty-chief", "province_commander", "330000"))


@pytest.fixture
def stack(make_settings, database_url, tmp_path):
    """resources (seeded, over HTTP) and matching, each acting as itself on the shared broker;
    a stand-in for demand publishes requests. All three run one exercise of their own, so events
    other tests leave on the broker (the same demo officer ids) never reach them."""
    run = {"mode": "exercise", "exercise_id": f"x{uuid.uuid4().hex[:8]}"}
    own = database_url if database_url.startswith("postgresql") else f"sqlite:///{tmp_path / 'pool.db'}"
    pool = build_resources(make_settings(database_url=own, acts_as="resources", **run))
    seed_demo_if_empty(pool, officers_n=1500, seed=11)
    port = free_port()
    server = make_server("127.0.0.1", port, resources_app(pool), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings = make_settings(database_url=database_url, acts_as="matching", **run)
    settings.extra.update(signing_key=str(tmp_path / "key.pem"), batch_window_s=0.3)
    matching = build_matching(settings, resources_url=f"http://127.0.0.1:{port}")
    demand = Runtime.build(make_settings(acts_as="demand", **run)).start()
    pool.start()
    matching.start()
    yield pool, matching, matching_app(matching).test_client(), demand
    matching.stop()
    demand.stop()
    pool.stop()
    server.shutdown()


def count(runtime) -> int:
    with runtime.engine.connect() as conn:       # a fresh read each time: SQLite's writers must not wait on us
        return conn.execute(select(func.count()).select_from(officers)).scalar_one()


def status(runtime, officer_id: str) -> str:
    with runtime.engine.connect() as conn:
        return conn.execute(select(officers.c.status).where(officers.c.officer_id == officer_id)).scalar_one()


def request_support(demand, county: str = "330783") -> dict:
    data = copy.deepcopy(contracts.example_event("support.requested")["data"])
    at = now()
    data.update(request_id=f"REQ-T{uuid.uuid4().hex[:10]}", county=county, grade="IV", approval_level="city",
                requested_at=at.isoformat(), deadline=(at + timedelta(minutes=60)).isoformat(),
                lines=[{"line_id": "L1", "module": "patrol", "tags": [], "certifications": [], "equipment": [],
                        "headcount": 3}])
    for optional in ("task_window", "launch_deadline"):
        data.pop(optional, None)
    with demand.outbox.transaction() as tx:
        tx.emit("support.requested", data, key=data["request_id"])
    return data


def test_a_request_is_planned_approved_signed_and_committed_by_the_pool(stack):
    pool, matching, client, demand = stack
    wait_for(lambda: count(matching) == 1500, 60, "the snapshot of the pool")
    req = request_support(demand)
    wait_for(lambda: any(e["data"]["kind"] == "fastest" for e in published(matching, "plan.proposed",
                                                                             request_id=req["request_id"])),
             60, "the fastest plan (criteria that agree share one plan)")
    fastest = next(e["data"] for e in published(matching, "plan.proposed", request_id=req["request_id"])
                   if e["data"]["kind"] == "fastest")
    assert len(fastest["assignments"]) == 3 and fastest["certificate"]["optimal"]
    resp = client.post(f"/plans/{fastest['plan_id']}/approve", json={"version": fastest["version"]}, headers=PROVINCE)
    assert resp.status_code == 200, resp.get_json()
    wait_for(lambda: published(pool, "officers.committed", plan_id=fastest["plan_id"]), 60, "the pool's commit")
    committed = published(pool, "officers.committed", plan_id=fastest["plan_id"])[0]["data"]
    assert sorted(committed["officer_ids"]) == sorted(a["officer_id"] for a in fastest["assignments"])
    wait_for(lambda: client.get(f"/plans/{fastest['plan_id']}", headers=PROVINCE).get_json()["status"] == "committed",
             60, "matching to learn of the commit")
    # The relay marks rows sent a little after the broker acknowledges them (up to its mark_every_s while
    # events keep coming), so the pool may act on the approval before matching's row says it was sent.
    wait_for(lambda: published(matching, "plan.approved", plan_id=fastest["plan_id"]), 30, "the approval marked sent")
    approval = published(matching, "plan.approved", plan_id=fastest["plan_id"])[0]["data"]
    assert signing.verify(approval, client.get("/keys").get_json()["public_key"])


def test_an_officer_taken_off_duty_in_the_pool_makes_the_plan_stale_and_re_planned(stack):
    pool, matching, client, demand = stack
    wait_for(lambda: count(matching) == 1500, 60, "the snapshot of the pool")
    req = request_support(demand)
    wait_for(lambda: any(e["data"]["kind"] == "fastest" for e in published(matching, "plan.proposed",
                                                                             request_id=req["request_id"])),
             60, "the fastest plan (criteria that agree share one plan)")
    fastest = next(e["data"] for e in published(matching, "plan.proposed", request_id=req["request_id"])
                   if e["data"]["kind"] == "fastest")
    gone = fastest["assignments"][0]["officer_id"]
    manager = headers_for(Identity("pool-admin", "resource_manager", "330000"))
    resp = resources_app(pool).test_client().patch(f"/officers/{gone}", json={"status": "unavailable", "reason": "sick"},
                                                   headers=manager)
    assert resp.status_code == 200, resp.get_json()
    wait_for(lambda: status(matching, gone) == "unavailable", 60, "the status change to reach matching")
    # re-planned on the status change alone, before anyone approves
    wait_for(lambda: any(e["data"]["version"] == 2 for e in published(matching, "plan.proposed",
                                                                        request_id=req["request_id"])), 60, "a re-plan")
    stale = client.post(f"/plans/{fastest['plan_id']}/approve", json={"version": fastest["version"]}, headers=PROVINCE)
    assert stale.status_code == 409 and stale.get_json()["errors"][0]["code"] == "plan.status"  # void: superseded
    fresh = [e["data"] for e in published(matching, "plan.proposed", request_id=req["request_id"])
             if e["data"]["version"] == 2]
    assert all(gone not in {a["officer_id"] for a in p["assignments"]} for p in fresh)
