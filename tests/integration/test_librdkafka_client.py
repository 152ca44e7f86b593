"""A Kafka client other than kafka-python: librdkafka (confluent-kafka), as most integrators use.

What docs/integration.md promises such a client, against the real broker: the guide's librdkafka
producer reports an incident that demand records like its own; the guide's librdkafka consumer,
in a consumer group, reads the services' events as they were published, keyed as
topics.yaml says; and with the guide's partitioner a key lands on the partition kafka-python (and
Java) choose, which librdkafka's default does not.
"""
from __future__ import annotations

import json
import re
import time
import uuid
from pathlib import Path

import pytest
from confluent_kafka import Producer

from services.common import contracts, keys
from services.common.envelope import signature_problem
from services.demand import store
from services.demand.bootstrap import build_runtime
from tests.helpers import wait_for

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
GUIDE = (ROOT / "docs" / "integration.md").read_text(encoding="utf-8")
SNIPPETS = re.findall(r"```python\n(.*?)```", GUIDE, re.S)


def snippet(*needles: str) -> str:
    [found] = [s for s in SNIPPETS if all(n in s for n in needles)]
    return found


def delivered_partitions(producer, topic: str, keys_: list[str]) -> dict[str, int]:
    """Where a librdkafka producer put each key, from its delivery reports."""
    out: dict[str, int] = {}

    def report(err, record):
        assert err is None, err
        out[record.key().decode()] = record.partition()
    for key in keys_:
        producer.produce(topic, key=key.encode(), value=b"{}", on_delivery=report)
    assert producer.flush(20) == 0
    return out


def test_with_the_guides_partitioner_a_key_lands_where_kafka_python_puts_it(broker):
    from kafka import KafkaProducer
    from kafka.admin import KafkaAdminClient, NewTopic

    topic = f"partitioning-{uuid.uuid4().hex[:8]}"  # no contract: any value is accepted
    admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap)
    admin.create_topics([NewTopic(topic, num_partitions=12, replication_factor=1)])
    admin.close()
    ids = ([f"REQ-330783-{n:04d}" for n in range(40)] + [f"U-3307{n:02d}-07" for n in range(40)]
           + ["330783", "330782", "330106"])

    ours = KafkaProducer(bootstrap_servers=broker.bootstrap)
    expected = {k: ours.send(topic, key=k.encode(), value=b"{}").get(10).partition for k in ids}
    ours.close()
    assert len(set(expected.values())) > 6  # the keys spread: the comparison below means something

    settings = dict(re.findall(r'"(partitioner)": "([a-z0-9_]+)"', snippet("confluent_kafka", "Producer")))
    assert settings == {"partitioner": "murmur2_random"}
    guided = delivered_partitions(Producer({"bootstrap.servers": broker.bootstrap, **settings}),
                                  topic, ids)
    assert guided == expected
    default = delivered_partitions(Producer({"bootstrap.servers": broker.bootstrap}), topic, ids)
    assert sum(default[k] != expected[k] for k in ids) > len(ids) // 2  # why the guide names the setting


def test_the_guides_librdkafka_producer_reports_an_incident_demand_records(broker, make_settings, monkeypatch):
    monkeypatch.chdir(ROOT)
    keys.registry().signer("integrators/cad-110")  # `python -m services.common.keys issue integrators/cad-110`
    demand = build_runtime(make_settings(acts_as="demand")).start()
    try:
        sealing = snippet("KafkaProducer", "def sealed").split("producer = KafkaProducer")[0]
        sending = snippet("confluent_kafka", "Producer(")
        namespace: dict = {}
        exec((sealing + sending).replace("127.0.0.1:19092", broker.bootstrap)  # noqa: S102 - our own guide
             .replace('"cad-110.pem"', repr(str(keys.registry().private_path("integrators/cad-110")))), namespace)
        sent = namespace["event"]
        assert sent["source"] == "/mutual-deploy/integrators/cad-110"
        assert signature_problem(sent, keys.registry()) is None
        incident_id = sent["data"]["incident_id"]

        def recorded():
            with demand.engine.connect() as conn:
                return store.incident(conn, incident_id)
        found = wait_for(recorded, 30, "demand records the integrator's incident")
        assert found["incident_id"] == incident_id
        assert found["location"]["county"] == sent["data"]["location"]["county"]
    finally:
        demand.stop()


def test_the_guides_librdkafka_consumer_reads_the_services_events_as_published(broker, stand_ins):
    demand = stand_ins("demand")["demand"]
    data = json.loads((ROOT / "contracts/events/incident.reported.example.json").read_text())["data"]
    data["incident_id"] = f"INC-330783-{uuid.uuid4().hex[:10]}"
    with demand.outbox.transaction() as tx:
        published = tx.emit("incident.reported", data, key=data["incident_id"], subject=data["incident_id"])

    setup = snippet("confluent_kafka", "Consumer(").split("while True:")[0]
    namespace: dict = {}
    exec(setup.replace("127.0.0.1:19092", broker.bootstrap)  # noqa: S102 - our own guide
         .replace('"integrators.city-dispatch"', repr(f"integrators.city-dispatch-{uuid.uuid4().hex[:8]}")), namespace)
    consumer = namespace["consumer"]
    try:
        record, deadline = None, time.monotonic() + 20  # the guide's session: joined in about 3 s
        while record is None and time.monotonic() < deadline:
            got = consumer.poll(0.5)
            if got is not None and got.error() is None and json.loads(got.value())["id"] == published["id"]:
                record = got
        assert record is not None, "the guide's consumer read nothing of the service's event within 20 s"
    finally:
        consumer.close()
    event = json.loads(record.value())
    assert event == published                                 # what the kit signed, unchanged
    assert record.key() == data["incident_id"].encode()       # keyed as topics.yaml says
    assert record.topic() == "incident.reported" == event["type"]
    assert contracts.validate_event("incident.reported", event) == []
    assert signature_problem(event, keys.registry()) is None  # a librdkafka reader can verify it too
