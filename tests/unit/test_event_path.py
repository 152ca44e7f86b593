"""The event path's fast forms hold to the slow ones: one encoding for signature, hash and text; the
producer's signer kept between emits yet following a rotation; a failing handler's savepoint undone
while the rest of its batch commits."""
from __future__ import annotations

import copy
import json

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select

from services.common import contracts
from services.common.bus import Record
from services.common.envelope import (
    GENESIS,
    canonical,
    event_hash,
    new_event,
    seal,
    sealed,
    signature_problem,
    signed_digest,
)
from services.common.runtime import Runtime
from services.common.storage import chain_links, inbox
from services.common.storage import outbox as outbox_table
from tests.helpers import offline_settings


def awkward_event(source="/mutual-deploy/demand"):
    data = {"text": "绍兴 \u2028 \"quoted\" \\ tab\t", "n": 3, "f": 1.5e-07, "none": None, "list": [{"b": 1, "a": [2, 1]}],
            "nested": {"z": True, "a": {"y": "ü", "b": -0.0}}}
    return new_event(topic="incident.reported", source=source, data=data, subject="s", correlationid="c",
                     causationid="cause")


@pytest.mark.parametrize("signed", [False, True])
def test_sealed_text_is_the_canonical_json_and_its_hash_and_signature_are_the_slow_ones(registry, signed):
    signer = registry.signer("demand") if signed else None
    event, text = sealed(awkward_event(), seq=1, prevhash=GENESIS, signer=signer)
    assert text.encode() == canonical(event)            # what is stored and published
    assert json.loads(text) == event
    assert event["hash"] == event_hash(event)           # the chain hash as any consumer computes it
    if signed:
        assert signer.key.public_key().verify(
            __import__("base64").b64decode(event["signature"]), signed_digest(event)) is None
        assert signature_problem(event, registry) is None
    else:
        assert "signature" not in event and "chainid" not in event
    again = seal(awkward_event(), seq=1, prevhash=GENESIS, signer=signer)
    assert set(again) == set(event)


def test_resealing_ignores_a_stale_hash_and_signature(registry):
    signer = registry.signer("demand")
    first = seal(awkward_event(), seq=1, prevhash=GENESIS, signer=signer)
    moved = seal(first, seq=2, prevhash="ab" * 32, signer=signer, chainid="chain-1")
    assert moved["hash"] == event_hash(moved) != first["hash"]
    assert signature_problem(moved, registry) is None


def test_the_outbox_stores_the_text_it_publishes_and_signs_with_a_rotated_key_at_once(registry, tmp_path):
    rt = Runtime.build(offline_settings("demand", tmp_path, file="p.db"))
    data = copy.deepcopy(contracts.example_event("incident.reported")["data"])
    try:
        with rt.outbox.transaction() as tx:
            first = tx.emit("incident.reported", data, key="k")
        new_kid = registry.rotate("demand")
        with rt.outbox.transaction() as tx:
            second = tx.emit("incident.reported", data, key="k")
        assert first["keyid"] != new_kid == second["keyid"]
        with rt.engine.connect() as conn:
            rows = conn.execute(select(outbox_table.c.event).order_by(outbox_table.c.seq)).scalars().all()
        assert rows == [first, second]
        assert rt.outbox.verify() == []
        assert signature_problem(first, registry) is None and signature_problem(second, registry) is None
    finally:
        rt.engine.dispose()


def test_a_failing_handler_is_undone_alone_and_the_rest_of_its_batch_commits(registry, tmp_path):
    producer = Runtime.build(offline_settings("demand", tmp_path, file="p.db"))
    data = copy.deepcopy(contracts.example_event("incident.reported")["data"])
    for i in range(5):
        with producer.outbox.transaction() as tx:
            tx.emit("incident.reported", dict(data, incident_id=f"INC-{i}"), key=f"INC-{i}")
    with producer.engine.connect() as conn:
        texts = conn.execute(select(outbox_table.c.seq, outbox_table.c.event).order_by(outbox_table.c.seq)).all()
    producer.engine.dispose()
    records = [Record("incident.reported", 0, seq, "k", json.dumps(ev).encode()) for seq, ev in texts]

    md = MetaData()
    done = Table("done", md, Column("n", Integer, primary_key=True), Column("incident_id", String(64)))

    def handle(ctx):
        ctx.conn.execute(insert(done).values(incident_id=ctx.data["incident_id"]))
        if ctx.data["incident_id"] == "INC-2":
            raise RuntimeError("no such county")

    consumer = Runtime.build(offline_settings("bench-consumer", tmp_path, file="c.db"), metadata=md,
                             handlers={"incident.reported": handle})
    try:
        consumer.worker.process_batch(records)
        consumer.worker.process_batch(records)  # redelivered: nothing happens twice
        with consumer.engine.connect() as conn:
            assert conn.execute(select(done.c.incident_id).order_by(done.c.n)).scalars().all() == [
                "INC-0", "INC-1", "INC-3", "INC-4"]
            assert conn.execute(select(func.count()).select_from(inbox)).scalar_one() == 4
            assert sorted(conn.execute(select(chain_links.c.seq)).scalars()) == [1, 2, 4, 5]
        stats = consumer.worker.stats
        assert (stats["handled"], stats["deadlettered"], stats["duplicates"]) == (4, 2, 4)
        letters = [e for e in consumer.outbox.events() if e["type"] == "deadletter"]
        assert [e["data"]["offset"] for e in letters] == [3, 3]
        assert "no such county" in letters[0]["data"]["reason"]
    finally:
        consumer.engine.dispose()


def test_a_batch_reads_its_inbox_and_links_once_and_still_refuses_forks_and_duplicates_within_it(registry, tmp_path,
                                                                                                  monkeypatch):
    producer = Runtime.build(offline_settings("demand", tmp_path, file="p.db"))
    data = copy.deepcopy(contracts.example_event("incident.reported")["data"])
    for i in range(3):
        with producer.outbox.transaction() as tx:
            tx.emit("incident.reported", dict(data, incident_id=f"INC-{i}"), key=f"INC-{i}")
    first, second, third = producer.outbox.events()
    producer.engine.dispose()

    def fork(of, n):  # another event at the same place of demand's chain, signed by demand
        return seal(new_event(topic="incident.reported", source=of["source"], data=dict(data, incident_id=f"FORK-{n}"),
                              subject="s", correlationid="c"),
                    seq=of["seq"], prevhash=of["prevhash"], signer=registry.signer("demand"), chainid=of["chainid"])

    def record(event, offset):
        return Record("incident.reported", 0, offset, "k", canonical(event))

    handled = []
    consumer = Runtime.build(offline_settings("bench-consumer", tmp_path, file="c.db"),
                             handlers={"incident.reported": lambda ctx: handled.append(ctx.data["incident_id"])})
    try:
        worker = consumer.worker
        worker.process_batch([record(first, 0), record(second, 1), record(second, 2), record(fork(second, 1), 3),
                              record(third, 4)])
        assert handled == ["INC-0", "INC-1", "INC-2"]
        assert (worker.stats["handled"], worker.stats["duplicates"], worker.stats["deadlettered"]) == (3, 1, 1)
        worker.process_batch([record(fork(third, 2), 5)])  # the fork of a place recorded by an earlier batch
        assert worker.stats["deadlettered"] == 2
        reasons = [e["data"]["reason"] for e in consumer.outbox.events() if e["type"] == "deadletter"]
        assert all("seen with another hash" in r for r in reasons), reasons
        with consumer.engine.connect() as conn:
            assert sorted(conn.execute(select(chain_links.c.seq)).scalars()) == [1, 2, 3]
            assert conn.execute(select(func.count()).select_from(inbox)).scalar_one() == 3

        # Another consumer of the group recorded an event after this batch looked in the inbox: the
        # batch (its handler's writes with it) is rolled back and handled again, the event a duplicate.
        from services.common import inbox as inbox_module
        later = dict(data, incident_id="INC-3")
        p2 = Runtime.build(offline_settings("demand", tmp_path, file="p.db"))
        with p2.outbox.transaction() as tx:
            fourth = tx.emit("incident.reported", later, key="INC-3")
        p2.engine.dispose()
        with consumer.engine.begin() as conn:
            inbox_module.record_batch(conn, [(fourth, "incident.reported")], [])
        real, calls = inbox_module.already_handled, []
        monkeypatch.setattr(inbox_module, "already_handled",
                            lambda conn, ids: calls.append(ids) or (set() if len(calls) == 1 else real(conn, ids)))
        worker.process_batch([record(fourth, 6)])
        assert len(calls) == 2
        assert (worker.stats["handled"], worker.stats["duplicates"]) == (3, 2)
        with consumer.engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(inbox)).scalar_one() == 4
    finally:
        consumer.engine.dispose()


def test_libsodium_signs_as_cryptography_does_and_both_refuse_an_altered_signature(registry, monkeypatch):
    import base64

    signer = registry.signer("demand")
    message = b"0" * 64
    signature = signer.sign(message)
    assert base64.b64decode(signature) == signer.key.sign(message)  # Ed25519 is deterministic
    flipped = base64.b64encode(bytes([base64.b64decode(signature)[0] ^ 1]) + base64.b64decode(signature)[1:]).decode()
    assert registry.verify("demand", signer.keyid, signature, message) is None
    assert registry.verify("demand", signer.keyid, flipped, message) is not None
    assert registry.verify("demand", signer.keyid, signature, message + b"1") is not None
    monkeypatch.setattr(registry, "_verifiers", {})  # cryptography alone
    assert registry.verify("demand", signer.keyid, signature, message) is None
    assert registry.verify("demand", signer.keyid, flipped, message) is not None


def test_a_record_breaking_its_contract_is_parked_with_each_issue_and_one_that_keeps_it_with_none(registry, tmp_path):
    """The dead letter says what the contract refused, field by field (contracts/events/deadletter:
    `issues`), as an HTTP refusal does; a record refused for another reason (here a handler's) has none."""
    data = copy.deepcopy(contracts.example_event("incident.reported")["data"])
    broken = new_event(topic="incident.reported", source="/mutual-deploy/demand", subject="s", correlationid="c",
                       data=dict(data, reported_at="2025-13-45T99:99:99+08:00", incident_id=""))
    records = [Record("incident.reported", 0, 1, "k", json.dumps(broken).encode()),
               Record("incident.reported", 0, 2, "k", b"[1, 2]"),
               Record("incident.reported", 0, 3, "k", b"\xff not json")]

    def handle(ctx):
        raise AssertionError("no record here reaches a handler")

    consumer = Runtime.build(offline_settings("bench-consumer", tmp_path, file="c.db"),
                             handlers={"incident.reported": handle})
    try:
        consumer.worker.process_batch(records)
        letters = {e["data"]["offset"]: e["data"] for e in consumer.outbox.events() if e["type"] == "deadletter"}
        assert sorted(letters) == [1, 2, 3]
        fields = {i["field"] for i in letters[1]["issues"]}
        assert {"data.reported_at", "data.incident_id"} <= fields, letters[1]["issues"]
        assert all(i["reason"] for i in letters[1]["issues"])
        assert letters[2]["issues"] == [{"field": "(record)", "reason": "a JSON list, not an object"}]
        assert "issues" not in letters[3] and letters[3]["reason"].startswith("not JSON")
        for event in consumer.outbox.events():   # as emitted, the letters keep their own contract
            assert event["type"] != "deadletter" or contracts.validate_event("deadletter", event) == []
    finally:
        consumer.engine.dispose()


def test_two_producers_may_use_one_event_id_and_each_event_is_handled_once(registry, tmp_path):
    """Events are told apart by (source, id): two systems whose ids happen to coincide both get their
    incident handled, and each redelivery is still a duplicate."""
    data = copy.deepcopy(contracts.example_event("incident.reported")["data"])
    records = []
    for n, system in enumerate(("cad-110", "cad-120")):
        event = new_event(topic="incident.reported", source=f"/mutual-deploy/integrators/{system}", subject="s",
                          correlationid="c", data=dict(data, incident_id=f"INC-{system}"), event_id="evt-0001")
        sealed_event = seal(event, seq=1, prevhash=GENESIS, signer=registry.signer(f"integrators/{system}"))
        records.append(Record("incident.reported", 0, n, "k", json.dumps(sealed_event).encode()))
    md = MetaData()
    done = Table("done", md, Column("n", Integer, primary_key=True), Column("incident_id", String(64)))
    consumer = Runtime.build(offline_settings("bench-consumer", tmp_path, file="c.db"), metadata=md,
                             handlers={"incident.reported": lambda ctx: ctx.conn.execute(
                                 insert(done).values(incident_id=ctx.data["incident_id"]))})
    try:
        consumer.worker.process_batch(records)
        consumer.worker.process_batch(records[::-1])   # both delivered again
        with consumer.engine.connect() as conn:
            assert conn.execute(select(done.c.incident_id).order_by(done.c.n)).scalars().all() == [
                "INC-cad-110", "INC-cad-120"]
            assert conn.execute(select(func.count()).select_from(inbox)).scalar_one() == 2
        assert (consumer.worker.stats["handled"], consumer.worker.stats["duplicates"]) == (2, 2)
    finally:
        consumer.engine.dispose()
