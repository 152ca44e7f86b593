"""Consuming: a consumer-group member (`Subscription`) and the `Record` every read of the bus gives.

Timeouts are tuned for a small cluster on one host: a consumer group joins in ~3 s with a 6 s
session timeout (~23 s with the library defaults), and a 10 ms fetch wait keeps publish → handled
latency in milliseconds instead of the default 500 ms.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from kafka import KafkaConsumer
from kafka.errors import (
    CommitFailedError,
    IllegalGenerationError,
    IllegalStateError,
    RebalanceInProgressError,
    UnknownMemberIdError,
)

log = logging.getLogger(__name__)

CONSUMER_DEFAULTS = dict(
    enable_auto_commit=False,
    auto_offset_reset="earliest",
    session_timeout_ms=6000,
    heartbeat_interval_ms=1000,
    fetch_max_wait_ms=10,
    max_poll_records=500,
    # A topic that came back with other partitions after a broker restart is seen in seconds.
    metadata_max_age_ms=5000,
    # A subscription asks the broker not to create its topics (after a restart they would come back
    # with the broker's default partition count); a missing topic is waited for and joins the
    # assignment once it exists. Apache Kafka honours this; the embedded broker creates the topic
    # anyway, with 4 partitions, which is why every topic is specified with 4 (contracts/topics.yaml).
    allow_auto_create_topics=False,
    # kafka-python's own sensors (per fetch and record) are read by nothing here (lag is read from
    # the fetch positions): off, they cost no CPU on every fetch.
    metrics_enabled=False,
    # A poll that finds no fetch in flight sleeps for this long (kafka-python 3.0), hearing nothing
    # meanwhile. Now and then one takes a fetch answered just before for none in flight, and the
    # records that came during the sleep waited for it: with the default 100 ms these were the kit's
    # slowest events at 1,000 events/s (bench/README.md). It is also the pause before retrying a
    # failed request (coordinator, heartbeat, metadata): 20 ms keeps those from spinning while a
    # broker is away (connecting again has its own, growing, backoff).
    retry_backoff_ms=20,
)


@dataclass(frozen=True)
class Record:
    topic: str
    partition: int
    offset: int
    key: str | None
    value: bytes

    @classmethod
    def of(cls, message) -> "Record":
        """The record of one of kafka-python's ConsumerRecords."""
        key = message.key.decode(errors="replace") if message.key else None
        return cls(message.topic, message.partition, message.offset, key, message.value)


def subscribe(client: dict, topics: list[str], group_id: str | None, **overrides) -> "Subscription":
    """A member of `group_id` reading `topics` (CONSUMER_DEFAULTS, changed by `overrides`)."""
    return Subscription(KafkaConsumer(*topics, **client, group_id=group_id, **dict(CONSUMER_DEFAULTS, **overrides)))


# A commit refused because the group is re-forming (a member joined or left, the broker restarted).
# The consumer re-joins on its next poll; the records of the refused commit come again, and the
# inbox drops them.
_REJOINING = (CommitFailedError, RebalanceInProgressError, IllegalGenerationError, UnknownMemberIdError)


class Subscription:
    """A consumer-group member: poll records, commit after handling.

    A member is never closed and re-created for a group that is re-forming: on the embedded broker,
    a member that leaves while its join is still pending can stay in the group as its leader, and
    the group then never completes another join. Commits refused by a rebalance and rewinds asked
    for before the assignment is known are reported back instead of raised.
    """

    def __init__(self, consumer: KafkaConsumer):
        self._consumer = consumer

    def poll(self, timeout_ms: int = 100) -> list[Record]:
        batches = self._consumer.poll(timeout_ms=timeout_ms)
        return [Record.of(m) for msgs in batches.values() for m in msgs]

    def commit(self) -> bool:
        """Commit the positions of everything polled; False if the group is re-forming."""
        try:
            self._consumer.commit()
            return True
        except _REJOINING as exc:
            log.info("commit refused while the group re-forms (%s); the records come again", exc)
            return False

    def rewind(self) -> bool:
        """Read every assigned partition again from its beginning (after the broker lost its log);
        False if no partition is assigned yet (ask again once the group has formed)."""
        try:
            self._consumer.seek_to_beginning()
            return True
        except (ValueError, IllegalStateError) as exc:  # nothing assigned, or the assignment changed meanwhile
            log.info("cannot rewind yet (%s)", exc)
            return False

    def assignment(self) -> set[tuple[str, int]]:
        return {(tp.topic, tp.partition) for tp in self._consumer.assignment()}

    def lag(self) -> dict[tuple[str, int], int]:
        """Records behind the partition's end, per assigned partition, from what the last fetches
        told us (no request to the broker); partitions not fetched yet are left out."""
        out = {}
        for tp in self._consumer.assignment():
            end = self._consumer.highwater(tp)
            if end is None:
                continue
            try:
                position = self._consumer.position(tp, timeout_ms=0)
            except Exception:  # no position yet (just assigned)
                continue
            if position is not None:
                out[(tp.topic, tp.partition)] = max(0, end - position)
        return out

    def close(self) -> None:
        self._consumer.close()
