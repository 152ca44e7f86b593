"""The embedded broker keeps nothing: after it restarts, producers re-publish their ledgers and
consumers' inboxes drop what they had already handled."""
from __future__ import annotations

import uuid

import pytest

from services.common.runtime import Runtime
from tests.conftest import BrokerHandle
from tests.helpers import wait_for
from tests.integration.test_kit import counting_service, emit_incidents, seen_ids

pytestmark = pytest.mark.integration


@pytest.fixture
def own_broker(tmp_path):
    handle = BrokerHandle(tmp_path / "broker").start()
    yield handle
    handle.stop()


def test_a_wiped_broker_is_refilled_from_the_outbox_without_double_effects(own_broker, tmp_path):
    from services.common.config import Settings

    def settings(name):
        return Settings(service=name, database_url=f"sqlite:///{tmp_path / (name + '.db')}",
                        kafka_bootstrap=own_broker.bootstrap,
                        acts_as="demand" if name == "producer" else None)  # incident.reported is demand's

    producer = Runtime.build(settings("producer"))
    producer.relay.check_every_s = 0.5
    producer.start()
    consumer = counting_service(settings("consumer"))
    consumer.worker.check_every_s = 0.5
    consumer.start()
    try:
        before = [f"INC-{uuid.uuid4().hex[:6]}" for _ in range(5)]
        emit_incidents(producer, before)
        wait_for(lambda: set(seen_ids(consumer)) == set(before), what="first round")

        own_broker.restart()  # every record and committed offset is gone
        wait_for(lambda: producer.relay.stats["republished_after_wipe"] >= 5, timeout=30, what="re-publish")
        after = [f"INC-{uuid.uuid4().hex[:6]}" for _ in range(3)]
        emit_incidents(producer, after)
        wait_for(lambda: set(seen_ids(consumer)) == set(before + after), timeout=60, what="second round")
        wait_for(lambda: consumer.worker.stats["duplicates"] >= 5, timeout=30, what="replayed events dropped")
        # Caught up either by the worker's own check (a rewind) or, when the consumer re-joined the
        # restarted broker first, by its offset reset to the earliest record: both re-read everything.
        assert sorted(seen_ids(consumer)) == sorted(before + after)
        assert producer.outbox.verify() == []
    finally:
        consumer.stop()
        producer.stop()


def test_a_topic_a_client_re_creates_after_a_restart_has_the_partitions_of_its_spec(own_broker):
    """After a restart, clients reach the empty broker before any relay and it creates each topic
    they ask about with its own default count: every spec must have that count, or records sent to
    the partitions beyond it are never read."""
    from kafka import KafkaConsumer

    from services.common.bus import Bus
    from services.common.topics import topic_specs

    topic = f"recreated-{uuid.uuid4().hex[:8]}"
    consumer = KafkaConsumer(topic, bootstrap_servers=own_broker.bootstrap, group_id=topic,
                             allow_auto_create_topics=False)  # the embedded broker creates it all the same
    try:
        consumer.poll(timeout_ms=3000)
    finally:
        consumer.close()
    created = Bus(own_broker.bootstrap).topic_partitions([topic])[topic]
    assert created, "the broker created the topic a subscription asked for"
    assert {p for _, p, _ in topic_specs()} == {len(created)}
