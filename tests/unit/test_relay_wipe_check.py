"""The relay's wiped-broker check: a topic created again since the last look means records sent to it
before are gone, even when the last record sent is still in place (sent after the loss)."""
from __future__ import annotations

from datetime import datetime, timezone

from services.common.outbox import Outbox
from services.common.relay import Relay
from services.common.storage import create_tables, make_engine, outbox
from services.common.topics import topic_specs


class Broker:
    """What the relay asks of the broker: topic ids, partitions, a record read back, ensure_topics."""

    def __init__(self):
        self.ids = {name: f"{name}-1" for name, _, _ in topic_specs()}
        self.stored: dict = {}
        self.ensured = 0

    def describe(self, topics):
        return {t: (self.ids.get(t), {0, 1, 2, 3}) for t in topics}

    def topic_partitions(self, topics):
        return {t: {0, 1, 2, 3} for t in topics}

    def fetch_many(self, wanted, partitions=None):
        return {tp: self.stored[(*tp, off)] for tp, off in wanted.items() if (*tp, off) in self.stored}

    def end_offsets(self, pairs):
        return {}

    def ensure_topics(self, specs):
        self.ensured += 1

    def reset_producer(self):
        pass


def relay_with_one_sent_event(tmp_path, broker) -> tuple[Relay, object]:
    engine = make_engine(f"sqlite:///{tmp_path / 'r.db'}")
    create_tables(engine)
    at = datetime(2026, 1, 1, tzinfo=timezone.utc)
    with engine.begin() as conn:  # a row as the relay leaves it once the broker acknowledged it
        conn.execute(outbox.insert().values(seq=1, event_id="E1", topic="incident.reported", key="k", hash="h",
                                            event={"id": "E1"}, created_at=at, sent_at=at, partition=0, offset=7))
    broker.stored[("incident.reported", 0, 7)] = b'{"id": "E1"}'
    return Relay(Outbox(engine, source="/mutual-deploy/demand"), broker), engine


def unsent(engine) -> int:
    with engine.connect() as conn:
        return len(conn.execute(outbox.select().where(outbox.c.sent_at.is_(None))).all())


def test_nothing_lost_nothing_re_published(tmp_path):
    broker = Broker()
    relay, engine = relay_with_one_sent_event(tmp_path, broker)
    assert relay.check_for_wipe() is False and relay.check_for_wipe() is False
    assert unsent(engine) == 0 and broker.ensured == 0


def test_a_topic_created_again_re_publishes_everything_though_the_last_record_is_in_place(tmp_path):
    broker = Broker()
    relay, engine = relay_with_one_sent_event(tmp_path, broker)
    assert relay.check_for_wipe() is False  # learns the ids
    broker.ids["plan.proposed"] = "plan.proposed-2"  # lost and created again; E1 still in place
    assert relay.check_for_wipe() is True
    assert unsent(engine) == 1 and broker.ensured == 1
    assert relay.check_for_wipe() is False, "the new id is the one compared next time"


def test_a_last_record_gone_re_publishes_on_the_first_look(tmp_path):
    broker = Broker()
    relay, engine = relay_with_one_sent_event(tmp_path, broker)
    broker.stored.clear()  # lost before this relay started: no ids to compare yet
    assert relay.check_for_wipe() is True
    assert unsent(engine) == 1
