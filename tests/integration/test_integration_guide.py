"""The integration guide (docs/integration.md) works as written against the real broker."""
from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from services.common import contracts, keys
from services.common.bus import Bus
from services.common.envelope import signature_problem

pytestmark = pytest.mark.integration
GUIDE = (Path(__file__).resolve().parents[2] / "docs" / "integration.md").read_text(encoding="utf-8")
SNIPPETS = re.findall(r"```python\n(.*?)```", GUIDE, re.S)


def test_the_guides_producer_publishes_an_event_the_broker_and_the_contract_accept(broker, monkeypatch):
    monkeypatch.chdir(Path(__file__).resolve().parents[2])
    producer = next(s for s in SNIPPETS if "KafkaProducer" in s)
    registry = keys.registry()
    registry.signer("integrators/cad-110")  # what `python -m services.common.keys issue integrators/cad-110` does
    namespace: dict = {}
    exec(producer.replace("127.0.0.1:19092", broker.bootstrap)  # noqa: S102 - our own guide
         .replace('"cad-110.pem"', repr(str(registry.private_path("integrators/cad-110")))), namespace)
    sent = namespace["event"]
    assert contracts.validate_event("incident.reported", sent) == []
    assert signature_problem(sent, registry) is None  # every consumer accepts it as the integrator's
    sub = Bus(broker.bootstrap).consumer(["incident.reported"], None)
    deadline, found = time.monotonic() + 20, None
    while found is None and time.monotonic() < deadline:
        for record in sub.poll(200):
            event = json.loads(record.value)
            if event["id"] == sent["id"]:
                found = event
    sub.close()
    assert found == sent


def test_the_guides_consumer_uses_the_documented_topics():
    consumer = next(s for s in SNIPPETS if "KafkaConsumer" in s)
    names = {t.name for t in contracts.topics()}
    assert 'group_id="integrators.city-dispatch"' in consumer   # a group of its own (contracts/asyncapi.yaml)
    topics = re.findall(r'"([a-z]+\.[a-z-]+)"', consumer.replace('group_id="integrators.city-dispatch"', ""))
    assert topics and all(topic in names for topic in topics), topics
