"""A deployment released twice at once (a tap twice, two commanders), on both databases: one release goes
out, the other is told it is released (409); an order acknowledged twice at once, once. (On PostgreSQL
both read the deployment as running and both published deployment.released, so resources closed the
officers' duty twice; both read the order unacknowledged and both published dispatch.acknowledged.)"""
from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import pytest

from services.common.auth import Identity
from services.common.config import Settings
from services.common.http import Problem
from services.logistics import dispatch, reception_flow, store
from services.logistics.bootstrap import build_runtime
from tests.helpers import NO_BROKER, drop_schemas
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
    both_read = threading.Barrier(2)
    release = reception_flow.release

    def read_then_wait(tx, dep, *args, **kwargs):   # both have read the deployment before either writes
        try:
            both_read.wait(timeout=3)    # taking turns, the other waits on the deployment's lock: go on alone
        except threading.BrokenBarrierError:
            pass
        return release(tx, dep, *args, **kwargs)
    monkeypatch.setattr(reception_flow, "release", read_then_wait)
    results = [None, None]

    def tap(i):
        try:
            results[i] = reception_flow.release_as(runtime.outbox, deployment_id, RECEIVER, "completed",
                                                   runtime.deps.policy, now.at)
        except Problem as exc:
            results[i] = exc
    threads = [threading.Thread(target=tap, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not any(t.is_alive() for t in threads)
    refused = [r for r in results if isinstance(r, Problem)]
    assert len(refused) == 1 and refused[0].status == 409, results
    assert len(emitted(runtime, "deployment.released")) == 1


def test_an_order_acknowledged_twice_at_once_is_acknowledged_once(logistics, monkeypatch):
    runtime = logistics
    [order, *_] = dispatched(runtime)
    both_read = threading.Barrier(2)
    mark = store.acknowledge_order

    def read_then_wait(conn, order_id, at):   # both have read the order unacknowledged before either writes
        try:
            both_read.wait(timeout=3)
        except threading.BrokenBarrierError:
            pass
        return mark(conn, order_id, at)
    monkeypatch.setattr(store, "acknowledge_order", read_then_wait)
    lead = f"lead-{order['unit_id']}"
    threads = [threading.Thread(target=dispatch.acknowledge_as, args=(runtime.outbox, order["order_id"],
                                                                       order["unit_id"], lead)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not any(t.is_alive() for t in threads)
    acks = [a for a in emitted(runtime, "dispatch.acknowledged") if a["order_id"] == order["order_id"]]
    assert len(acks) == 1
