"""A deployment released twice at once (a tap twice, two commanders), on both databases: one release goes
out, the other is told it is released (409); an order acknowledged twice at once, once. (On PostgreSQL
both read the deployment as running and both published deployment.released, so resources closed the
officers' duty twice; both read the order unacknowledged and both published dispatch.acknowledged.)"""
from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from services.common.auth import Identity
from services.common.config import Settings
from services.common.http import Problem
from services.logistics import dispatch, reception_flow, store
from services.logistics.bootstrap import build_runtime
from tests.helpers import NO_BROKER, at_once, drop_schemas, meeting
from tests.unit.test_logistics_flow import T0, dispatched, emitted, now  # noqa: F401 (now: the fixed clock)

RECEIVER = Identity("dy-duty", "county_duty_officer", "330783")      # 东阳市, the receiving county


@pytest.fixture
def logistics(database_url, now):  # noqa: F811
    settings = Settings(service=f"t{uuid.uuid4().hex[:10]}", database_url=database_url, kafka_bootstrap=NO_BROKER)
    runtime = build_runtime(settings)
    yield runtime
    runtime.engine.dispose()
    drop_schemas(database_url, [settings.db_schema])


def test_a_deployment_released_twice_at_once_is_released_once(logistics, now, monkeypatch):  # noqa: F811
    runtime = logistics
    [order, *_] = dispatched(runtime)
    deployment_id = order["deployment_id"]
    now.at = T0 + timedelta(hours=5)
    # both have read the deployment before either writes
    monkeypatch.setattr(reception_flow, "release", meeting(reception_flow.release, before=True))

    def tap():
        return reception_flow.release_as(runtime.outbox, deployment_id, RECEIVER, "completed", runtime.deps.policy,
                                         now.at)
    results = at_once(tap, tap)
    refused = [r for r in results if isinstance(r, Problem)]
    assert len(refused) == 1 and refused[0].status == 409, results
    assert len(emitted(runtime, "deployment.released")) == 1


def test_an_order_acknowledged_twice_at_once_is_acknowledged_once(logistics, monkeypatch):
    runtime = logistics
    [order, *_] = dispatched(runtime)
    # both have read the order unacknowledged before either writes
    monkeypatch.setattr(store, "acknowledge_order", meeting(store.acknowledge_order, before=True))

    def tap():
        return dispatch.acknowledge_as(runtime.outbox, order["order_id"], order["unit_id"], f"lead-{order['unit_id']}")
    assert not any(isinstance(r, Exception) for r in at_once(tap, tap))
    acks = [a for a in emitted(runtime, "dispatch.acknowledged") if a["order_id"] == order["order_id"]]
    assert len(acks) == 1
