"""Batch emit (`Tx.emit_many`) writes the very rows one `emit` per event writes: the same envelopes,
seq, chain links, signatures and stored text, the chain head advanced once; all of them or none."""
from __future__ import annotations

import copy
import itertools

import pytest
from sqlalchemy import select

from services.common import contracts, envelope
from services.common.outbox import ContractViolation, Emit
from services.common.runtime import Runtime
from services.common.storage import chain_head, outbox
from tests.helpers import offline_settings

CAUSE = {"id": "cause-1", "correlationid": "INC-7"}


@pytest.fixture
def fixed_ids(monkeypatch):
    """Event ids and times from a counter, so two ledgers written alike hold the same bytes."""
    counter = itertools.count(1)

    def restart():
        nonlocal counter
        counter = itertools.count(1)

    monkeypatch.setattr(envelope.uuid, "uuid4", lambda: f"00000000-0000-4000-8000-{next(counter):012d}")
    monkeypatch.setattr(envelope, "now_iso", lambda: "2024-05-01T08:00:00.000Z")
    return restart


def items() -> list[Emit]:
    incident = copy.deepcopy(contracts.example_event("incident.reported")["data"])
    status = copy.deepcopy(contracts.example_event("support.status-changed")["data"])
    return [Emit("incident.reported", dict(incident, incident_id=f"INC-{i}"), f"INC-{i}") for i in range(3)] + [
        Emit("support.status-changed", status, "REQ-1", subject="REQ-1", correlationid="INC-1"),
        Emit("incident.reported", incident, "INC-9", "subject-9")]


def ledger(rt) -> tuple[list[tuple], tuple]:
    with rt.engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(select(outbox.c.seq, outbox.c.event_id, outbox.c.topic, outbox.c.key,
                                                        outbox.c.event, outbox.c.hash).order_by(outbox.c.seq))]
        head = tuple(conn.execute(select(chain_head.c.seq, chain_head.c.hash)).one())
    return rows, head


def write(tmp_path, name: str, batched: bool, cause: dict | None) -> tuple[list, tuple, list[dict]]:
    rt = Runtime.build(offline_settings("demand", tmp_path, file=f"{name}.db"))
    returned: list[dict] = []
    try:
        for round_ in range(2):  # a fresh ledger (seq 1 names the chain), then one that goes on
            with rt.outbox.transaction(cause if round_ else None) as tx:
                if batched:
                    returned += tx.emit_many(items())
                else:
                    returned += [tx.emit(i.topic, i.data, key=i.key, subject=i.subject, correlationid=i.correlationid)
                                 for i in items()]
        rows, head = ledger(rt)
        assert rt.outbox.verify() == []
    finally:
        rt.stop()
    return rows, head, returned


def test_a_batch_emit_writes_the_same_rows_chain_and_signatures_as_one_emit_each(registry, tmp_path, fixed_ids):
    single = write(tmp_path, "single", False, CAUSE)
    fixed_ids()
    batched = write(tmp_path, "batched", True, CAUSE)
    assert batched[0] == single[0]          # seq, id, topic, key, stored text, hash
    assert batched[1] == single[1] == (10, single[0][-1][5])
    assert batched[2] == single[2]          # the events handed back
    events = batched[2]
    assert [e["seq"] for e in events] == list(range(1, 11))
    assert {e["chainid"] for e in events} == {events[0]["id"]}
    assert all(envelope.signature_problem(e, registry) is None for e in events)
    assert [e.get("causationid") for e in events] == [None] * 5 + ["cause-1"] * 5
    assert [e["correlationid"] for e in events[5:]] == ["INC-7", "INC-7", "INC-7", "INC-1", "INC-7"]


def test_an_item_that_breaks_its_contract_writes_none_of_the_batch(registry, tmp_path):
    rt = Runtime.build(offline_settings("demand", tmp_path))
    try:
        with rt.outbox.transaction() as tx:
            tx.emit_many(items()[:2])
        before = ledger(rt)
        bad = items()
        bad[3] = bad[3]._replace(data={"nonsense": True})
        with pytest.raises(ContractViolation):
            with rt.outbox.transaction() as tx:
                tx.emit_many(bad)
        with rt.outbox.transaction() as tx:
            assert tx.emit_many([]) == [] and tx.emitted == []
        assert ledger(rt) == before
        with rt.outbox.transaction() as tx:  # the chain goes on where it stood
            third = tx.emit_many([items()[0]])
        assert third[0]["seq"] == 3 and third[0]["prevhash"] == before[1][1]
        assert rt.outbox.verify() == []
    finally:
        rt.stop()
