"""The wiped-broker check looks at the last record handled on every partition, not only the last one
overall: producers re-publish in their own order, so one partition can match by chance."""
from __future__ import annotations

from services.common.bus import Record
from services.common.config import Settings
from services.common.worker import Worker


class Broker:
    def __init__(self, stored: dict):
        self.stored, self.asked = stored, None

    def fetch_many(self, wanted):
        self.asked = dict(wanted)
        return {tp: self.stored[(tp, off)] for tp, off in wanted.items() if (tp, off) in self.stored}


def worker_after(records, broker) -> Worker:
    w = Worker(Settings(service="t", database_url="sqlite://", kafka_bootstrap="127.0.0.1:1"),
               {"incident.reported": lambda ctx: None}, bus=broker)
    for r in records:
        w._last[(r.topic, r.partition)] = r
    return w


A = Record("incident.reported", 0, 4, "k", b"a")
B = Record("incident.reported", 3, 9, "k", b"b")


def test_every_partition_still_holding_what_was_handled_means_no_wipe():
    broker = Broker({(("incident.reported", 0), 4): b"a", (("incident.reported", 3), 9): b"b"})
    assert worker_after([A, B], broker)._broker_lost_log() is False
    assert broker.asked == {("incident.reported", 0): 4, ("incident.reported", 3): 9}


def test_one_partition_that_moved_is_a_wipe_even_when_the_last_record_overall_matches():
    broker = Broker({(("incident.reported", 0), 4): b"other", (("incident.reported", 3), 9): b"b"})
    assert worker_after([A, B], broker)._broker_lost_log() is True


def test_a_partition_with_no_record_at_that_offset_any_more_is_a_wipe():
    broker = Broker({(("incident.reported", 0), 4): b"a"})
    assert worker_after([A, B], broker)._broker_lost_log() is True


def test_nothing_handled_yet_asks_nothing():
    broker = Broker({})
    assert worker_after([], broker)._broker_lost_log() is False and broker.asked is None
