"""A consumer-group member never sleeps past the kit's latency budget between fetches.

kafka-python 3.0 sleeps for retry_backoff_ms whenever a poll finds no fetch in flight, deaf to what
arrives meanwhile; with its default of 100 ms, one such sleep in a run set the kit's p99 at 1,000
events/s (bench/README.md). Every member is built with the shorter pause, and a caller's overrides
keep it unless they name it.
"""
from __future__ import annotations

from services.common import subscription

LATENCY_BUDGET_MS = 50  # the p99 the kit is held to at 1,000 events/s (bench/README.md)


class _Consumer:
    def __init__(self, *topics, **config):
        self.topics, self.config = topics, config


def _member(monkeypatch, **overrides) -> _Consumer:
    monkeypatch.setattr(subscription, "KafkaConsumer", _Consumer)
    return subscription.subscribe({"bootstrap_servers": "127.0.0.1:1"}, ["incident.reported"], "g", **overrides)._consumer


def test_every_member_pauses_well_inside_the_latency_budget(monkeypatch):
    member = _member(monkeypatch)
    assert member.config["group_id"] == "g" and member.topics == ("incident.reported",)
    # an event caught by the pause waits for it and a fetch: 20 ms are left for the relay and the handler
    assert member.config["retry_backoff_ms"] + member.config["fetch_max_wait_ms"] <= LATENCY_BUDGET_MS - 20


def test_overrides_keep_the_short_pause_unless_they_name_it(monkeypatch):
    assert _member(monkeypatch, max_poll_records=50).config["retry_backoff_ms"] == subscription.CONSUMER_DEFAULTS["retry_backoff_ms"]
    assert _member(monkeypatch, retry_backoff_ms=100).config["retry_backoff_ms"] == 100
