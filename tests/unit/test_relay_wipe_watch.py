"""The relay looks for a wiped broker in a thread of its own: a slow look (reading records back
takes tens of milliseconds, seconds on a broker that is restarting) never holds the events
committed meanwhile, and a loss it finds is still acted on by the sending thread."""
from __future__ import annotations

import threading
from datetime import datetime, timezone

from services.common.outbox import Outbox
from services.common.relay import Relay
from services.common.storage import create_tables, make_engine, outbox
from tests.helpers import wait_for
from tests.unit.test_relay_wipe_check import Broker

AT = datetime(2026, 1, 1, tzinfo=timezone.utc)


class SlowBroker(Broker):
    """The wipe check's broker, with a producer's send, whose topic-id look blocks until released."""

    def __init__(self):
        super().__init__()
        self.sent: list[str] = []
        self.looking = threading.Event()
        self.release = threading.Event()

    def describe(self, topics):
        self.looking.set()
        self.release.wait(10)
        return super().describe(topics)

    def send(self, topic, key, value):
        self.sent.append(value.decode())
        offset = len(self.sent) - 1
        self.stored[(topic, 0, offset)] = value
        return _Sent(0, offset)

    def flush(self, timeout=30):
        pass


class _Sent:
    def __init__(self, partition, offset):
        self.partition, self.offset = partition, offset

    def get(self, timeout=None):
        return self


def _add(engine, seq: int, event_id: str) -> None:
    with engine.begin() as conn:
        conn.execute(outbox.insert().values(seq=seq, event_id=event_id, topic="incident.reported", key="k", hash="h",
                                            event={"id": event_id}, created_at=AT))


def _relay(tmp_path, broker) -> tuple[Relay, object]:
    engine = make_engine(f"sqlite:///{tmp_path / 'r.db'}")
    create_tables(engine)
    relay = Relay(Outbox(engine, source="/mutual-deploy/demand"), broker, check_every_s=0.3, idle_s=0.02)
    return relay, engine


def test_events_are_published_while_a_look_for_a_wiped_broker_is_under_way(tmp_path):
    broker = SlowBroker()
    relay, engine = _relay(tmp_path, broker)
    relay.start()
    try:
        assert broker.looking.wait(5), "the relay looks for a wiped broker every check_every_s"
        _add(engine, 1, "E1")  # committed while the look is blocked
        relay.box.committed.set()
        wait_for(lambda: any('"E1"' in v for v in broker.sent), timeout=3, what="E1 published during the look")
        assert not broker.release.is_set()
    finally:
        broker.release.set()
        relay.stop()


def test_a_loss_found_by_the_watch_is_re_published_by_the_sending_thread(tmp_path):
    broker = SlowBroker()
    broker.release.set()  # looks answer at once
    relay, engine = _relay(tmp_path, broker)
    _add(engine, 1, "E1")
    relay.start()
    try:
        wait_for(lambda: relay.stats["published"] == 1, timeout=5, what="E1 published")
        assert broker.looking.wait(5)  # the watch has seen the topics' ids once
        broker.ids["plan.proposed"] = "plan.proposed-2"  # a topic lost and created again
        wait_for(lambda: relay.stats["republished_after_wipe"] == 1, timeout=5, what="the ledger queued again")
        wait_for(lambda: relay.stats["published"] == 2, timeout=5, what="E1 published again")
        assert broker.ensured == 1 and [v for v in broker.sent if '"E1"' in v] == [broker.sent[0]] * 2
    finally:
        relay.stop()
