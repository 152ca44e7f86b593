"""The wiped-broker check looks at the last record handled on every partition, not only the last one
overall: producers re-publish in their own order, so one partition can match by chance. And the
consumer is never torn down while its group re-forms (a commit refused, a rewind asked too early)."""
from __future__ import annotations

from kafka.errors import CommitFailedError, RebalanceInProgressError

from services.common.bus import Record, Subscription
from services.common.config import Settings
from services.common.worker import Worker


class Broker:
    def __init__(self, stored: dict, ids: dict | None = None):
        self.stored, self.asked, self.ids = stored, None, ids or {"incident.reported": "id-1"}

    def describe(self, topics):
        return {t: (self.ids.get(t), {0, 1, 2, 3}) for t in topics}

    def fetch_many(self, wanted, partitions=None):
        self.asked = dict(wanted)
        return {tp: self.stored[(tp, off)] for tp, off in wanted.items() if (tp, off) in self.stored}

    def topic_partitions(self, topics):
        return {t: {0, 1, 2, 3} for t in topics}

    def end_offsets(self, pairs):
        return {}  # every partition empty: what is not at its offset any more is gone


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


def test_a_topic_created_again_is_a_wipe_even_when_every_partition_still_matches():
    stored = {(("incident.reported", 0), 4): b"a", (("incident.reported", 3), 9): b"b"}
    broker = Broker(stored)
    w = worker_after([A, B], broker)
    assert w._broker_lost_log() is False  # the first look only learns the ids
    broker.ids = {"incident.reported": "id-2"}
    assert w._broker_lost_log() is True
    assert w._broker_lost_log() is False, "the new id is the one compared next time"


def test_nothing_handled_yet_asks_nothing():
    broker = Broker({})
    assert worker_after([], broker)._broker_lost_log() is False and broker.asked is None


# --- a group that is re-forming is waited for, never torn down ------------------------------------
class Consumer:
    """kafka-python's KafkaConsumer as far as Subscription uses it, failing as told."""

    def __init__(self, commit_error=None, assigned=True):
        self.commit_error, self.assigned, self.commits, self.seeks = commit_error, assigned, 0, 0

    def commit(self):
        if self.commit_error:
            raise self.commit_error
        self.commits += 1

    def seek_to_beginning(self):
        if not self.assigned:
            raise ValueError("No partitions are currently assigned")
        self.seeks += 1


def test_a_commit_refused_by_a_rebalance_is_reported_not_raised():
    assert Subscription(Consumer(RebalanceInProgressError())).commit() is False
    assert Subscription(Consumer(CommitFailedError())).commit() is False
    ok = Consumer()
    assert Subscription(ok).commit() is True and ok.commits == 1


def test_a_rewind_before_the_assignment_is_known_is_reported_not_raised():
    assert Subscription(Consumer(assigned=False)).rewind() is False
    ok = Consumer()
    assert Subscription(ok).rewind() is True and ok.seeks == 1


class Sub:
    """A subscription whose group forms after `joins_after` polls; stops the worker after `polls`."""

    def __init__(self, worker, joins_after, polls):
        self.worker, self.joins_after, self.polls, self.n, self.rewinds = worker, joins_after, polls, 0, 0

    def poll(self, timeout_ms=100):
        self.n += 1
        if self.n >= self.polls:
            self.worker._stop.set()
        return []

    def rewind(self):
        if self.n < self.joins_after:
            return False
        self.rewinds += 1
        return True

    def lag(self):
        return {}

    def assignment(self):
        return set()


def test_a_lost_log_noticed_before_the_group_formed_is_rewound_once_it_has():
    w = worker_after([A, B], Broker({}))
    w._lost.set()
    sub = Sub(w, joins_after=5, polls=8)
    w._poll_loop(sub, last_lag=0.0)
    assert sub.rewinds == 1 and w.stats["rewinds"] == 1, "rewound once, after the group formed"
    assert not w._lost.is_set() and w._last == {}


def test_a_lost_log_is_kept_while_the_group_never_forms():
    w = worker_after([A, B], Broker({}))
    w._lost.set()
    sub = Sub(w, joins_after=100, polls=5)
    w._poll_loop(sub, last_lag=0.0)
    assert sub.rewinds == 0 and w.stats["rewinds"] == 0 and w._lost.is_set()
