"""The wiped-broker check the relay and the worker share: a record that gives no answer is lost only
when its partition is gone or ends at or before it; a slow answer or records dropped by retention are
no proof of a wipe, and a broker that cannot be reached says nothing."""
from __future__ import annotations

from services.common.wipe import WipeCheck

PLACE = ("incident.reported", 2)


class Broker:
    def __init__(self, *, stored=None, partitions=(0, 1, 2, 3), end=0, down=False):
        self.stored, self.parts, self.end, self.down = stored or {}, set(partitions), end, down

    def describe(self, topics):
        if self.down:
            raise TimeoutError("no answer")
        return {t: ("id-1", self.parts) for t in topics}

    def fetch_many(self, wanted, partitions=None):
        return {p: self.stored[p] for p in wanted if p in self.stored}

    def topic_partitions(self, topics):
        return {t: self.parts for t in topics}

    def end_offsets(self, pairs):
        return {p: self.end for p in pairs}


def lost(broker, value=b"ours") -> str | None:
    return WipeCheck(broker, "test").lost([PLACE[0]], lambda: {PLACE: (7, lambda v: v == value)})


def test_the_record_still_in_place_is_no_wipe_and_another_record_there_is_one():
    assert lost(Broker(stored={PLACE: b"ours"})) is None
    assert "incident.reported[2]@7 is gone" in lost(Broker(stored={PLACE: b"theirs"}))


def test_no_answer_is_a_wipe_only_when_the_partition_is_gone_or_ends_at_or_before_the_record():
    assert lost(Broker(end=8)) is None, "the partition is past the record: a slow answer, or retention"
    assert lost(Broker(end=7)) is not None
    assert lost(Broker(partitions=(0, 1), end=100)) is not None


def test_a_broker_that_cannot_be_reached_says_nothing():
    assert lost(Broker(down=True)) is None
