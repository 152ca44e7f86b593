"""The wiped-broker looks describe topics on one admin client kept open between looks; a look that
fails closes it, and the next look opens another (a broker that restarted is reached afresh)."""
from __future__ import annotations

import pytest

from services.common import admin
from services.common.wipe import WipeCheck


class FakeAdmin:
    opened: list["FakeAdmin"] = []
    fail_next = False

    def __init__(self, **config):
        self.config, self.closed, self.requests = config, False, 0
        FakeAdmin.opened.append(self)

    def describe_topics(self, topics):
        self.requests += 1
        if FakeAdmin.fail_next:
            FakeAdmin.fail_next = False
            raise ConnectionError("broker went away")
        return [{"name": t, "topic_id": f"id-{t}", "partitions": [{"partition_index": 0}, {"partition_index": 1}]}
                for t in topics]

    def close(self):
        self.closed = True


@pytest.fixture
def fake_admin(monkeypatch):
    FakeAdmin.opened, FakeAdmin.fail_next = [], False
    monkeypatch.setattr(admin, "KafkaAdminClient", FakeAdmin)
    return FakeAdmin


def test_looks_share_one_client_and_each_is_a_fresh_request(fake_admin):
    d = admin.Describer({"bootstrap_servers": "127.0.0.1:1"}, timeout_s=2.0)
    for _ in range(3):
        assert d.describe(["a", "b"]) == {"a": ("id-a", {0, 1}), "b": ("id-b", {0, 1})}
    assert len(fake_admin.opened) == 1 and fake_admin.opened[0].requests == 3
    assert fake_admin.opened[0].config["request_timeout_ms"] == 2000  # bounded, as every look is
    d.close()
    assert fake_admin.opened[0].closed


def test_a_failed_look_closes_the_client_and_the_next_opens_another(fake_admin):
    d = admin.Describer({"bootstrap_servers": "127.0.0.1:1"})
    d.describe(["a"])
    fake_admin.fail_next = True
    with pytest.raises(ConnectionError):
        d.describe(["a"])
    assert fake_admin.opened[0].closed
    assert d.describe(["a"]) == {"a": ("id-a", {0, 1})}
    assert len(fake_admin.opened) == 2 and not fake_admin.opened[1].closed


class Broker:
    """Counts what the check asks: one description per look, its partitions handed to the read-back."""

    def __init__(self):
        self.described, self.partitions_given = 0, []

    def describe(self, topics):
        self.described += 1
        return {t: ("id-1", {0, 1, 2}) for t in topics}

    def fetch_many(self, wanted, partitions=None):
        self.partitions_given.append(partitions)
        return {place: b"ours" for place in wanted}


def test_a_look_describes_the_topics_once_and_reads_back_with_those_partitions():
    broker = Broker()
    check = WipeCheck(broker, "test")
    assert check.lost(["t"], lambda: {("t", 1): (5, lambda v: v == b"ours")}) is None
    assert broker.described == 1
    assert broker.partitions_given == [{"t": {0, 1, 2}}]
