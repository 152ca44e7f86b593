"""The integration guide in the README works as written against the real broker."""
from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from services.common import contracts
from services.common.bus import Bus

pytestmark = pytest.mark.integration
README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
SNIPPETS = re.findall(r"```python\n(.*?)```", README, re.S)


def test_the_readme_producer_publishes_an_event_the_broker_and_the_contract_accept(broker, monkeypatch):
    monkeypatch.chdir(Path(__file__).resolve().parents[2])
    producer = next(s for s in SNIPPETS if "KafkaProducer" in s)
    namespace: dict = {}
    exec(producer.replace("127.0.0.1:19092", broker.bootstrap), namespace)  # noqa: S102 - our own README
    sent = namespace["event"]
    assert contracts.validate_event("incident.reported", sent) == []
    sub = Bus(broker.bootstrap).consumer(["incident.reported"], None)
    deadline, found = time.monotonic() + 20, None
    while found is None and time.monotonic() < deadline:
        for record in sub.poll(200):
            event = json.loads(record.value)
            if event["id"] == sent["id"]:
                found = event
    sub.close()
    assert found == sent


def test_the_readme_consumer_uses_the_documented_topics():
    consumer = next(s for s in SNIPPETS if "KafkaConsumer" in s)
    names = {t.name for t in contracts.topics()}
    for topic in re.findall(r'"([a-z]+\.[a-z-]+)"', consumer):
        assert topic in names
