"""Scale-out and graceful shutdown on the real broker and databases.

Two instances of one service (same consumer group, same database, as two containers would be)
split the topic's partitions between them and handle every event exactly once; a stopping
instance finishes the event in hand, commits its offsets and publishes what it emitted.
"""
from __future__ import annotations

import copy
import threading
import time
import uuid

import pytest
from kafka import KafkaConsumer, TopicPartition
from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select

from infra import broker as embedded
from infra import create_topics
from infra.ports import free_port
from services.common import contracts
from services.common.bus import Bus
from services.common.runtime import Runtime
from services.common.storage import outbox
from services.common.topics import topic_specs
from tests.helpers import wait_for

pytestmark = pytest.mark.integration
TOPIC = "incident.reported"


def incident_data(incident_id: str) -> dict:
    return dict(copy.deepcopy(contracts.example_event(TOPIC)["data"]), incident_id=incident_id)


def instance(settings, handle=None) -> Runtime:
    """One instance of a service whose effect is a row per handled event, so a double would show.
    (The session's broker also holds other tests' incidents: checks look at their own ids only.)"""
    md = MetaData()
    effects = Table("effects", md, Column("n", Integer, primary_key=True, autoincrement=True),
                    Column("incident_id", String(64), nullable=False), Column("instance", String(16), nullable=False))
    runtime = None

    def record(ctx):
        ctx.conn.execute(insert(effects).values(incident_id=ctx.data["incident_id"], instance=runtime.name))
        if handle:
            handle(ctx)

    runtime = Runtime.build(settings, metadata=md, handlers={TOPIC: record})
    runtime.name, runtime.effects = uuid.uuid4().hex[:8], effects
    return runtime


def effects_of(runtime, ids) -> list:
    with runtime.engine.connect() as conn:
        return conn.execute(select(runtime.effects.c.incident_id, runtime.effects.c.instance)
                            .where(runtime.effects.c.incident_id.in_(ids))).all()


def rows_by_instance(runtime) -> dict[str, int]:
    with runtime.engine.connect() as conn:
        return dict(conn.execute(select(runtime.effects.c.instance, func.count()).group_by(runtime.effects.c.instance)).all())


def own(database_url: str) -> str | None:
    """A database of its own for another service: a SQLite file of its own (None: make_settings
    makes one); on PostgreSQL each service name already gets a schema of its own."""
    return None if database_url.startswith("sqlite") else database_url


def emit(producer, ids):
    with producer.outbox.transaction() as tx:
        for i in ids:
            tx.emit(TOPIC, incident_data(i), key=i)


def test_two_instances_in_one_group_split_the_partitions_and_handle_each_event_once(make_settings, database_url):
    partitions = dict((n, p) for n, p, _ in topic_specs())[TOPIC]
    settings = make_settings(database_url=database_url)
    first, second = instance(settings), instance(settings)  # same service: same group, same database
    producer = Runtime.build(make_settings(database_url=own(database_url), acts_as="demand"))
    try:
        first.start()
        second.start()
        everything = {(TOPIC, p) for p in range(partitions)}
        wait_for(lambda: first.worker.assigned and second.worker.assigned
                 and first.worker.assigned | second.worker.assigned == everything
                 and not first.worker.assigned & second.worker.assigned,
                 timeout=40, what="the group to split the partitions")
        producer.start()
        ids = [f"INC-{uuid.uuid4().hex[:10]}" for _ in range(120)]
        emit(producer, ids)
        wait_for(lambda: len(effects_of(first, ids)) >= len(ids), timeout=40, what="every event handled")
        # every record consumed and its batch committed: no instance will be handed one again, so a double shows now
        wait_for(lambda: caught_up(settings), timeout=40, what="the group's offsets at the end of the topic",
                 interval=0.25)
        rows = effects_of(first, ids)
        assert sorted(r.incident_id for r in rows) == sorted(ids)  # each exactly once, no double
        shares = {name: sum(r.instance == name for r in rows) for name in (first.name, second.name)}
        assert all(n > 0 for n in shares.values()), shares  # both instances took a share
        everything_handled = rows_by_instance(first)
        assert everything_handled.get(first.name, 0) == first.worker.stats["handled"]
        assert everything_handled.get(second.name, 0) == second.worker.stats["handled"]
        assert first.worker.assigned.isdisjoint(second.worker.assigned)
        postgres = database_url.startswith("postgresql")
        assert [first.leading, second.leading].count(True) == (1 if postgres else 2)  # one relay on PostgreSQL
    finally:
        for rt in (producer, second, first):
            rt.stop()


@pytest.mark.postgres
def test_one_instance_publishes_the_shared_outbox_and_another_takes_over_when_it_stops(make_settings,
                                                                                        database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("a SQLite database belongs to one process: every instance leads")
    settings = make_settings(database_url=database_url, acts_as="demand")
    first = Runtime.build(settings).start()
    first.leadership.retry_s = 0.3
    wait_for(lambda: first.leading, timeout=40, what="the first instance to lead")
    second = Runtime.build(settings).start()
    second.leadership.retry_s = 0.3
    try:
        time.sleep(1.0)
        assert first.leading and not second.leading
        emit(second, [f"INC-{uuid.uuid4().hex[:8]}"])  # written by the standby (as a web process would)
        wait_for(lambda: second.outbox_backlog() == 0, timeout=40, what="the leader to publish the standby's event")
        assert first.relay.stats["published"] >= 1 and second.relay.stats["published"] == 0
        first.stop()
        wait_for(lambda: second.leading, timeout=10, what="the standby to take over")
        emit(second, [f"INC-{uuid.uuid4().hex[:8]}"])
        wait_for(lambda: second.outbox_backlog() == 0, timeout=40, what="the new leader to publish")
        assert second.relay.stats["published"] >= 1
    finally:
        first.stop()
        second.stop()


def test_stopping_finishes_the_event_in_hand_commits_its_offset_and_publishes_what_it_emitted(make_settings,
                                                                                              database_url):
    in_handler, release = threading.Event(), threading.Event()
    rejected = contracts.example_event("plan.rejected")["data"]

    mine = f"INC-STOP-{uuid.uuid4().hex[:8]}"

    def slow(ctx):
        if ctx.data["incident_id"] != mine:
            return
        in_handler.set()
        release.wait(10)
        ctx.emit("plan.rejected", rejected, key=rejected["request_id"])

    settings = make_settings(database_url=database_url, acts_as="matching")
    service = instance(settings, handle=slow).start()
    producer = Runtime.build(make_settings(database_url=own(database_url), acts_as="demand")).start()
    try:
        emit(producer, [mine])
        assert in_handler.wait(40), "the event never reached the handler"
        stopper = threading.Thread(target=service.stop)
        stopper.start()
        time.sleep(0.5)
        assert stopper.is_alive()  # stop waits for the event in hand
        release.set()
        stopper.join(30)
        assert not stopper.is_alive()
        assert len(effects_of(service, [mine])) == 1
        assert service.outbox_backlog() == 0  # the relay published the emitted event before exiting
        partition, offset = published_at(producer, mine)
        assert committed_offsets(settings)[partition] > offset  # the offset past it was committed
    finally:
        release.set()
        producer.stop()


def _consumer(settings) -> KafkaConsumer:
    return KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, group_id=settings.group_id,
                         enable_auto_commit=False)


def committed_offsets(settings) -> dict[int, int]:
    consumer = _consumer(settings)
    try:
        return {p: consumer.committed(TopicPartition(TOPIC, p)) or 0 for p in consumer.partitions_for_topic(TOPIC)}
    finally:
        consumer.close()


def caught_up(settings) -> bool:
    """The group's committed offset on every partition of the topic is that partition's end: each record
    there was handled (the worker's stats counted) before its batch's offsets were committed."""
    consumer = _consumer(settings)
    try:
        parts = [TopicPartition(TOPIC, p) for p in consumer.partitions_for_topic(TOPIC)]
        ends = consumer.end_offsets(parts)
        return all((consumer.committed(tp) or 0) >= ends[tp] for tp in parts)
    finally:
        consumer.close()


def published_at(producer, key) -> tuple[int, int]:
    """Where the relay put the producer's event with this key."""
    wait_for(lambda: producer.outbox_backlog() == 0, timeout=40, what="the producer's relay")
    with producer.engine.connect() as conn:
        row = conn.execute(select(outbox.c.partition, outbox.c.offset).where(outbox.c.key == key)).one()
    return row.partition, row.offset


def test_the_topic_job_creates_every_topic_with_the_partitions_the_groups_split(tmp_path):
    port = free_port()
    proc = embedded.start(port, tmp_path / "broker")  # empty: no topic yet
    try:
        bootstrap = f"127.0.0.1:{port}"
        create_topics.main({"KAFKA_BOOTSTRAP_SERVERS": bootstrap}, attempts=5)
        bus = Bus(bootstrap, security={})
        assert bus.list_topics() >= {name for name, _, _ in topic_specs()}
        for name, partitions, _ in topic_specs():
            assert bus.partitions(name) == set(range(partitions)), name
        create_topics.main({"KAFKA_BOOTSTRAP_SERVERS": bootstrap}, attempts=5)  # again: nothing changes
    finally:
        embedded.stop(proc)
