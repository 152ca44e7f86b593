"""logistics through the real broker: a committed plan is dispatched, tracked and arrives; bad reports
are dead-lettered with the reason; the ledger check reads every chain back from the broker."""
from __future__ import annotations

import copy
import json
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from kafka import KafkaConsumer
from sqlalchemy import select

from services.common import contracts
from services.common.auth import Identity, signed_in
from services.common.bus import Bus
from services.common.runtime import Runtime
from services.common.storage import deadletters, outbox
from services.logistics.bootstrap import build_runtime, create_app
from tests.helpers import wait_for
from tests.integration.test_kit import signed_approval

pytestmark = pytest.mark.integration


@pytest.fixture
def live(make_settings, database_url, stand_ins):
    logistics = build_runtime(make_settings(database_url=database_url, acts_as="logistics")).start()
    upstream = stand_ins("demand", "matching", "resources", "twin")
    yield logistics, upstream
    logistics.stop()


def send(upstream, topic: str, data: dict, key: str) -> dict:
    owner = next(name for name in upstream if name in contracts.topic(topic).producers)
    if topic == "plan.approved":
        data = signed_approval(data)
    with upstream[owner].outbox.transaction() as tx:
        return tx.emit(topic, data, key=key, correlationid=data.get("incident_id"))


def published(runtime, topic: str) -> list[dict]:
    with runtime.engine.connect() as conn:
        rows = conn.execute(select(outbox.c.event).where(outbox.c.topic == topic, outbox.c.sent_at.is_not(None)))
        return [r.event["data"] for r in rows]


def a_committed_plan(upstream) -> dict:
    """A support request in 东阳 and its approved, committed plan, under fresh ids (the broker is shared)."""
    tag = uuid.uuid4().hex[:8].upper()
    ids = {"request_id": f"REQ-{tag}", "incident_id": f"INC-{tag}"}
    now = datetime.now(timezone.utc)
    request = dict(copy.deepcopy(contracts.example_event("support.requested")["data"]), **ids,
                   requested_at=now.isoformat(), deadline=(now + timedelta(minutes=45)).isoformat())
    officers = [f"P-330782-{tag}1", f"P-330782-{tag}2"]
    approval = dict(copy.deepcopy(contracts.example_event("plan.approved")["data"]), **ids, plan_id=f"PLAN-{tag}",
                    assignments=[{"officer_id": o, "line_id": "L1"} for o in officers], at=now.isoformat())
    commit = {"commit_id": f"CMT-{tag}", "plan_id": f"PLAN-{tag}", **ids, "officer_ids": officers,
              "at": now.isoformat()}
    send(upstream, "support.requested", request, key=ids["request_id"])
    send(upstream, "plan.approved", approval, key=ids["request_id"])
    send(upstream, "officers.committed", commit, key=ids["request_id"])
    return ids


def test_a_committed_plan_is_ordered_tracked_and_arrives_through_the_broker(live, broker):
    logistics, upstream = live
    ids = a_committed_plan(upstream)
    mine = lambda: [o for o in published(logistics, "dispatch.ordered") if o["request_id"] == ids["request_id"]]  # noqa: E731
    wait_for(mine, 60, "the dispatch order")
    order = mine()[0]
    assert order["officer_ids"] == sorted(order["officer_ids"]) and order["from_county"] == "330782"
    point = order["reporting_point"]["point"]
    at = datetime.now(timezone.utc).isoformat()
    send(upstream, "unit.position-reported", {"unit_id": order["unit_id"], "order_id": order["order_id"],
                                              "point": point, "at": at}, key=order["unit_id"])
    arrived = lambda: [a for a in published(logistics, "unit.arrived") if a["order_id"] == order["order_id"]]  # noqa: E731
    wait_for(arrived, 60, "the arrival")
    assert arrived()[0]["deadline_met"] is True
    consumer = KafkaConsumer("dispatch.ordered", bootstrap_servers=broker.bootstrap, auto_offset_reset="earliest",
                             consumer_timeout_ms=3000, group_id=None)
    on_topic = [json.loads(r.value) for r in consumer]
    consumer.close()
    assert any(e["data"]["order_id"] == order["order_id"] and e["source"] == "/mutual-deploy/logistics"
               for e in on_topic)


def test_reports_of_unknown_units_and_impossible_jumps_go_to_the_dead_letter_topic_with_the_reason(live):
    logistics, upstream = live
    ids = a_committed_plan(upstream)
    wait_for(lambda: [o for o in published(logistics, "dispatch.ordered") if o["request_id"] == ids["request_id"]],
             60, "the dispatch order")
    order = next(o for o in published(logistics, "dispatch.ordered") if o["request_id"] == ids["request_id"])
    t0 = datetime.now(timezone.utc)
    base = {"unit_id": order["unit_id"], "order_id": order["order_id"]}
    ghost = f"UNIT-GHOST-{ids['request_id']}"
    send(upstream, "unit.position-reported", dict(base, unit_id=ghost, point={"lon": 120.1, "lat": 29.2},
                                                  at=t0.isoformat()), key=ghost)
    send(upstream, "unit.position-reported", dict(base, point={"lon": 120.0, "lat": 29.2}, at=t0.isoformat()),
         key=order["unit_id"])
    send(upstream, "unit.position-reported", dict(base, point={"lon": 121.0, "lat": 29.2},
                                                  at=(t0 + timedelta(seconds=60)).isoformat()), key=order["unit_id"])

    def reasons():
        with logistics.engine.connect() as conn:
            return [r.reason for r in conn.execute(select(deadletters.c.reason))]
    # this unit's own reasons: the topic also holds the other parametrisation's reports, read from the start
    wait_for(lambda: any(ghost in r for r in reasons())
             and any("km/h" in r and order["unit_id"] in r for r in reasons()), 60, "dead letters")
    assert any(f"UnknownUnit: unknown unit {ghost}" in r for r in reasons())
    assert any("ImplausibleSpeed" in r and order["unit_id"] in r for r in reasons())
    def letters():
        return [d for d in published(logistics, "deadletter") if d["original_topic"] == "unit.position-reported"]
    wait_for(lambda: any(ghost in d["raw"] and "unknown unit" in d["reason"] for d in letters()), 30,
             "the dead letter on its topic")


def test_the_ledger_check_names_the_first_forged_record_on_the_broker(make_settings, broker):
    producer = Runtime.build(make_settings(acts_as=None)).start()          # a source of its own on the shared broker
    logistics = build_runtime(make_settings())
    client = signed_in(create_app(logistics).test_client(), Identity("audit", "auditor"))
    try:
        with producer.outbox.transaction() as tx:
            events = [tx.emit("deadletter", dict(copy.deepcopy(contracts.example_event("deadletter")["data"]),
                                                 reason=f"case {i}"), key="unit.position-reported")
                      for i in range(3)]
        wait_for(lambda: producer.relay.stats.get("sent", 0) >= 3 or len(published(producer, "deadletter")) == 3,
                 30, "the relay")
        forged = dict(events[-1], seq=4, prevhash=events[-1]["hash"], id=str(uuid.uuid4()))
        forged["hash"] = events[-1]["hash"]                                    # content does not match its hash
        meta = Bus(broker.bootstrap).send("deadletter", "unit.position-reported", json.dumps(forged).encode()).get(30)
        body = client.get("/audit/verify").get_json()
        assert contracts.validate_body("chain-audit", body) == []
        mine = body["producers"][producer.settings.source]
        assert mine["events"] == 4 and mine["ok"] is False
        assert mine["first_broken"]["seq"] == 4 and "altered" in mine["first_broken"]["problem"]
        assert (mine["first_broken"]["partition"], mine["first_broken"]["offset"]) == (meta.partition, meta.offset)
        assert body["own_ledger"]["problems"] == []
    finally:
        producer.stop()
        logistics.engine.dispose()
