"""The resource pool through the real broker: approved plans in, commits and rejections out."""
from __future__ import annotations

import copy
from datetime import datetime, timedelta, timezone

import pytest

from services.common import contracts
from services.common.auth import Identity, headers_for, signed_in
from services.resources.bootstrap import build_runtime, create_app
from tests.helpers import wait_for
from tests.integration.test_kit import signed_approval
from tests.integration.test_resources_support import approved, load, squad, uid

pytestmark = pytest.mark.integration


@pytest.fixture
def live(make_settings, database_url, stand_ins):
    """A running resources service, and producers standing in for matching and logistics (their events
    carry those services' sources: resources refuses a topic from a service that does not own it)."""
    resources = build_runtime(make_settings(database_url=database_url))
    client = signed_in(create_app(resources).test_client(), Identity("pool-admin", "resource_manager"))
    upstream = stand_ins("matching", "logistics")
    resources.start()
    yield resources, client, upstream
    resources.stop()


def published(runtime, topic: str, **match) -> list[dict]:
    """Events of `topic` the service has handed to the broker (relayed), whose data match."""
    from sqlalchemy import select

    from services.common.storage import outbox
    with runtime.engine.connect() as conn:
        rows = conn.execute(select(outbox.c.event).where(outbox.c.topic == topic, outbox.c.sent_at.is_not(None)))
        return [r.event for r in rows if all(r.event["data"].get(k) == v for k, v in match.items())]


def send(upstream, topic: str, data: dict, key: str) -> dict:
    """Publish `topic` from the stand-in for its producer."""
    owner = next(name for name in upstream if name in contracts.topic(topic).producers)
    if topic == "plan.approved":
        data = signed_approval(data)
    with upstream[owner].outbox.transaction() as tx:
        return tx.emit(topic, data, key=key)


def test_an_approved_plan_is_committed_and_a_competing_one_rejected_with_reasons(live):
    resources, client, upstream = live
    prefix = f"T{uid()}"               # the broker is shared: other tests' plans must not name our officers
    load(client, squad("330782", 10, prefix=prefix))
    shared = [f"{prefix}-001", f"{prefix}-002"]
    first, second = approved(f"PLAN-{uid()}", shared), approved(f"PLAN-{uid()}", shared)
    cause = send(upstream, "plan.approved", first, key=first["request_id"])
    wait_for(lambda: published(resources, "officers.committed", plan_id=first["plan_id"]), 60, "the commit")
    event = published(resources, "officers.committed", plan_id=first["plan_id"])[0]
    assert event["data"]["officer_ids"] == shared and event["causationid"] == cause["id"]
    send(upstream, "plan.approved", second, key=second["request_id"])
    wait_for(lambda: published(resources, "commit.rejected", plan_id=second["plan_id"]), 60, "the rejection")
    reasons = published(resources, "commit.rejected", plan_id=second["plan_id"])[0]["data"]["reasons"]
    assert {(r["officer_id"], r["reason"]) for r in reasons} == {(o, "already_committed") for o in shared}


def test_dispatch_positions_and_release_flow_back_into_the_pool(live):
    resources, client, upstream = live
    prefix = f"T{uid()}"
    load(client, squad("330782", 10, prefix=prefix))
    me = f"{prefix}-001"
    plan = approved(f"PLAN-{uid()}", [me])
    send(upstream, "plan.approved", plan, key=plan["request_id"])
    wait_for(lambda: published(resources, "officers.committed", plan_id=plan["plan_id"]), 60, "the commit")
    now = datetime.now(timezone.utc).isoformat()
    order = copy.deepcopy(contracts.example_event("dispatch.ordered")["data"])
    order.update(plan_id=plan["plan_id"], request_id=plan["request_id"], unit_id="UNIT-T-1",
                 officer_ids=[me], ordered_at=now)
    send(upstream, "dispatch.ordered", order, key=plan["request_id"])
    province = headers_for(Identity("zj-commander", "province_commander"))  # the only one who sees positions
    seen = lambda: client.get(f"/officers/{me}", headers=province).get_json()  # noqa
    wait_for(lambda: seen()["status"] == "deployed", 60, "the dispatch")
    send(upstream, "unit.position-reported", {"unit_id": "UNIT-T-1", "order_id": order["order_id"],
                                              "point": {"lon": 120.2, "lat": 29.29}, "at": now}, key="UNIT-T-1")
    wait_for(lambda: seen()["position"] == {"lon": 120.2, "lat": 29.29}, 60, "the position")
    earlier = (datetime.fromisoformat(now) - timedelta(minutes=5)).isoformat()
    handled = resources.worker.stats["handled"]
    send(upstream, "unit.position-reported", {"unit_id": "UNIT-T-1", "order_id": order["order_id"],
                                              "point": {"lon": 120.0, "lat": 29.0}, "at": earlier}, key="UNIT-T-1")
    wait_for(lambda: resources.worker.stats["handled"] > handled, 60, "the late report handled")
    assert seen()["position"] == {"lon": 120.2, "lat": 29.29}, "a report older than the applied one moved the unit"
    send(upstream, "deployment.released", {"deployment_id": "DEP-T", "request_id": plan["request_id"],
                                           "plan_id": plan["plan_id"], "officer_ids": [me],
                                           "duty_minutes": 240, "released_at": now}, key=plan["request_id"])
    wait_for(lambda: published(resources, "points.awarded", officer_id=me), 60, "the points")
    assert published(resources, "points.awarded", officer_id=me)[0]["data"]["points"] == 10.0
    assert seen()["status"] == "on_duty" and seen()["duty_minutes_24h"] == 240
