"""Kafka users, ACLs and topics for the compose stack, all derived from contracts/topics.yaml."""
from __future__ import annotations

from kafka.admin import ACLOperation, ACLResourcePatternType, ResourceType

from infra.create_topics import planned_topics, planned_users
from infra.kafka_access import access_by_principal, acls, password_variable
from services.common import contracts
from services.common.topics import DEADLETTER, topic_specs


def test_a_service_may_write_only_what_it_produces_and_the_dead_letter_topic():
    access = access_by_principal()
    for topic in contracts.topics():
        producers = set(topic.producers or (topic.producer,))
        for name, a in access.items():
            allowed = topic.name == DEADLETTER or name in producers or "any" in producers
            assert (topic.name in a.write) == allowed, (name, topic.name)
    assert "plan.proposed" in access["matching"].write and "support.requested" not in access["matching"].write


def test_a_service_reads_what_it_consumes_and_nothing_it_neither_consumes_nor_produces():
    access = access_by_principal()
    for topic in contracts.topics():
        for name in topic.consumers:
            assert topic.name in access[name].read
    for name, a in access.items():
        related = {t.name for t in contracts.topics() if name in t.consumers or name in (t.producers or (t.producer,))}
        assert a.read == related | {DEADLETTER}, name  # its own topics are read back by the relay
    assert "plan.rejected" not in access["demand"].read  # only the twin consumes it


def test_acls_allow_each_principal_its_topics_and_its_own_consumer_groups():
    access = access_by_principal()
    bindings = acls(access)
    matching = [b for b in bindings if b.principal == "User:matching"]
    writes = {b.resource_pattern.resource_name for b in matching if b.operation == ACLOperation.WRITE}
    assert writes == access["matching"].write
    (group,) = [b for b in matching if b.resource_pattern.resource_type == ResourceType.GROUP]
    assert group.resource_pattern.resource_name == "matching"
    assert group.resource_pattern.pattern_type == ACLResourcePatternType.PREFIXED  # matching.exercise.X too
    assert len(bindings) == sum(len(a.write) + len(a.read) + 1 for a in access.values())
    assert all(b.operation in (ACLOperation.READ, ACLOperation.WRITE) for b in bindings)


def test_the_setup_job_creates_the_same_topics_as_the_embedded_default():
    specs, replication = planned_topics({})
    assert [(n, p, c) for n, p, c in specs] == topic_specs() and replication == 1
    cluster, replication = planned_topics({"TOPIC_REPLICATION_FACTOR": "3", "TOPIC_MIN_INSYNC_REPLICAS": "2"})
    assert replication == 3
    assert [(n, p) for n, p, _ in cluster] == [(n, p) for n, p, _ in topic_specs()]
    assert all(c["min.insync.replicas"] == 2 for _, _, c in cluster)
    by_name = dict((n, c) for n, _, c in cluster)
    assert by_name["unit.position-reported"]["retention.ms"] == contracts.topic("unit.position-reported").retention_ms


def test_users_are_created_for_the_principals_with_a_password():
    env = {password_variable("matching"): "pw-m", password_variable("twin"): "pw-t"}
    users, missing = planned_users(env)
    assert users == {"matching": "pw-m", "twin": "pw-t"}
    assert set(missing) == set(access_by_principal()) - {"matching", "twin"}
    assert password_variable("matching") == "KAFKA_PASSWORD_MATCHING"
