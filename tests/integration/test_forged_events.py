"""An attacker with a plain Kafka client on the broker: forged approvals and releases are not acted on.

The broker is no trust boundary. A forged plan.approved (matching's source, a junk signature, two
on-duty officers) must commit nobody and dispatch nothing; a forged deployment.released must rest
nobody and award no points; each lands on the dead-letter topic with the reason. A genuine, signed
approval sent after them is committed: the consumers are alive and the refusals are theirs."""
from __future__ import annotations

import base64
import copy
import json
import os
import uuid
from datetime import datetime, timezone

import pytest
from kafka import KafkaProducer
from sqlalchemy import select

from services.common import contracts, keys
from services.common.auth import Identity, headers_for
from services.common.envelope import GENESIS, event_hash, new_event
from services.common.runtime import Runtime
from services.common.storage import deadletters
from services.logistics.bootstrap import build_runtime as build_logistics
from services.resources.bootstrap import build_runtime as build_resources
from services.resources.bootstrap import create_app as resources_app
from tests.helpers import wait_for
from tests.integration.test_kit import read_topic, signed_approval
from tests.integration.test_resources_events import published
from tests.integration.test_resources_support import approved, squad, uid

pytestmark = pytest.mark.integration


def forged(topic: str, data: dict, source: str, **envelope) -> bytes:
    """What anyone can compute: a contract-valid envelope with a correct hash, but no producer's key."""
    event = new_event(topic=topic, source=source, data=data, subject=data["request_id"],
                      correlationid=data.get("incident_id") or data["request_id"])
    event.update(seq=1, prevhash=GENESIS)
    event.update(envelope)
    event["hash"] = event_hash(event)
    assert contracts.validate_event(topic, event) == []  # nothing but the signature gives it away
    return json.dumps(event).encode()


def junk_signature() -> str:
    return base64.b64encode(os.urandom(64)).decode()


@pytest.fixture
def stack(make_settings):
    resources = build_resources(make_settings(acts_as="resources"))
    logistics = build_logistics(make_settings(acts_as="logistics"))
    matching = Runtime.build(make_settings(acts_as="matching")).start()  # the genuine approver's stand-in
    resources.start()
    logistics.start()
    yield resources, logistics, matching
    for runtime in (resources, logistics, matching):
        runtime.stop()


def dead_reasons(runtime) -> list[str]:
    with runtime.engine.connect() as conn:
        return [r.reason for r in conn.execute(select(deadletters.c.reason))]


def test_forged_approvals_and_releases_from_a_plain_kafka_client_are_dead_lettered(stack, broker):
    resources, logistics, matching = stack
    client = resources_app(resources).test_client()
    admin = headers_for(Identity("pool-admin", "resource_manager"))
    province = headers_for(Identity("zj-commander", "province_commander"))
    prefix = f"F{uid()}"
    assert client.post("/roster/import", json={"officers": squad("330782", 10, prefix=prefix)},
                       headers=admin).status_code == 200
    targets = [f"{prefix}-001", f"{prefix}-002"]
    matching_key = keys.registry().signer("matching").keyid

    attacks = {
        # today's attack: matching's source, a junk approval signature, no envelope signature
        "PLAN-FORGED-A": forged("plan.approved", dict(approved(f"PLAN-FORGED-A{uid()}", targets),
                                                      signature=junk_signature()), "/mutual-deploy/matching"),
        # matching's real key id, junk signatures everywhere
        "PLAN-FORGED-B": forged("plan.approved", dict(approved(f"PLAN-FORGED-B{uid()}", targets),
                                                      signature=junk_signature()), "/mutual-deploy/matching",
                                seq=7, prevhash="ab" * 32, chainid=str(uuid.uuid4()), keyid=matching_key,
                                signature=junk_signature()),
        # a sub-source of matching used to pass the ownership check
        "PLAN-FORGED-C": forged("plan.approved", dict(approved(f"PLAN-FORGED-C{uid()}", targets),
                                                      signature=junk_signature()), "/mutual-deploy/matching/relay-2"),
    }
    release = {"deployment_id": f"DEP-FORGED-{uid()}", "request_id": f"REQ-FORGED-{uid()}",
               "plan_id": f"PLAN-FORGED-R{uid()}", "officer_ids": targets, "duty_minutes": 600,
               "outcome": "completed", "released_at": datetime.now(timezone.utc).isoformat()}
    attacks["DEP-FORGED"] = forged("deployment.released", release, "/mutual-deploy/logistics")

    ours = [json.loads(v)["data"].get("plan_id") for v in attacks.values()]  # the broker is shared with other tests
    attacker = KafkaProducer(bootstrap_servers=broker.bootstrap)
    for label, value in attacks.items():
        topic = "deployment.released" if label.startswith("DEP") else "plan.approved"
        attacker.send(topic, key=label.encode(), value=value).get(timeout=10)
    attacker.close()

    # The genuine approval after the forgeries: its officers are committed, so the consumers ran.
    real = approved(f"PLAN-REAL-{uid()}", [f"{prefix}-003"])
    real["at"] = real["task_start"]  # ordered now: the duty limit counts from the order
    with matching.outbox.transaction() as tx:
        tx.emit("plan.approved", signed_approval(real), key=real["request_id"])
    wait_for(lambda: published(resources, "officers.committed", plan_id=real["plan_id"]), 60, "the genuine commit")
    wait_for(lambda: sum("refused" in r for r in dead_reasons(resources)) >= 4, 30, "resources' refusals")
    wait_for(lambda: sum("refused" in r for r in dead_reasons(logistics)) >= 3, 30, "logistics' refusals")

    for officer in targets:  # neither committed nor rested: still on duty, no hours, no points
        body = client.get(f"/officers/{officer}", headers=province).get_json()
        assert body["status"] == "on_duty" and body["duty_minutes_24h"] == 0, body
    for topic in ("officers.committed", "commit.rejected"):  # not even considered
        assert not [e for e in published(resources, topic) if e["data"]["plan_id"].startswith("PLAN-FORGED")]
    assert not [e for e in published(resources, "points.awarded") if e["data"]["officer_id"] in targets]
    dispatched = [e["data"]["plan_id"] for e in logistics.outbox.events() if e["type"] == "dispatch.ordered"]
    assert not [p for p in dispatched if p.startswith("PLAN-FORGED")]

    reasons = dead_reasons(resources)
    assert any("unsigned (no chainid)" in r for r in reasons)
    assert any(f"signature does not verify with matching's key {matching_key}" in r for r in reasons)
    assert any("'/mutual-deploy/matching/relay-2' does not produce plan.approved" in r for r in reasons)
    letters = read_topic(broker, "deadletter", lambda e: e["source"] == "/mutual-deploy/resources"
                         and any(plan_id in e["data"]["raw"] for plan_id in ours), 4)
    assert len(letters) == 4 and all(e["data"]["reason"].startswith("refused: ") for e in letters)


def test_an_approval_whose_officers_are_not_the_signed_ones_is_refused(stack, broker):
    """Matching's envelope signature is not enough: the approval's own electronic signature must
    cover exactly the officers committed (a copy with another officer swapped in is refused)."""
    resources, _, matching = stack
    client = resources_app(resources).test_client()
    admin = headers_for(Identity("pool-admin", "resource_manager"))
    prefix = f"S{uid()}"
    assert client.post("/roster/import", json={"officers": squad("330782", 10, prefix=prefix)},
                       headers=admin).status_code == 200
    genuine = signed_approval(approved(f"PLAN-SWAP-{uid()}", [f"{prefix}-001"]))
    swapped = copy.deepcopy(genuine)
    swapped["assignments"] = [{"officer_id": f"{prefix}-002"}]
    with matching.outbox.transaction() as tx:
        tx.emit("plan.approved", swapped, key=swapped["request_id"])
    wait_for(lambda: any("approval's signature does not verify" in r for r in dead_reasons(resources)), 60,
             "the swapped approval refused")
    province = headers_for(Identity("zj-commander", "province_commander"))
    assert client.get(f"/officers/{prefix}-002", headers=province).get_json()["status"] == "on_duty"
    assert not published(resources, "officers.committed", plan_id=swapped["plan_id"])
