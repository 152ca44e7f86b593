"""Reading the log back outside any consumer group: partition ends, the records at given places,
and every record of some topics from the beginning.

A read-back never creates a topic: on a broker that has just restarted the topic would get the
default partition count before the topics are re-created with their own.
"""
from __future__ import annotations

import time
from contextlib import contextmanager

from kafka import KafkaConsumer, TopicPartition

from .admin import describe
from .subscription import Record

Place = tuple[str, int]  # (topic, partition)


@contextmanager
def _reader(client: dict, **options):
    consumer = KafkaConsumer(**client, allow_auto_create_topics=False, **options)
    try:
        yield consumer
    finally:
        consumer.close()


def _existing(client: dict, topics, timeout_s: float) -> dict[str, set[int]]:
    return {t: info[1] for t, info in describe(client, sorted(set(topics)), timeout_s).items()}


def end_offsets(client: dict, pairs: list[Place], timeout_s: float = 5.0) -> dict[Place, int]:
    """Raises KafkaTimeoutError after `timeout_s` (a broker that just restarted may not answer
    for a topic yet; callers look again later rather than block for the 30 s default)."""
    with _reader(client, bootstrap_timeout_ms=int(timeout_s * 1000)) as consumer:
        tps = [TopicPartition(t, p) for t, p in pairs]
        return {(tp.topic, tp.partition): off
                for tp, off in consumer.end_offsets(tps, timeout_ms=int(timeout_s * 1000)).items()}


def fetch_many(client: dict, wanted: dict[Place, int], timeout_s: float = 5.0,
               partitions: dict[str, set[int]] | None = None) -> dict[Place, bytes]:
    """The values stored at several (topic, partition) -> offset places, read with one connection.
    A place that has no record at that offset any more (or gave no answer in time) is left out.
    `partitions`: each topic's partitions as the caller has just described them (else described here)."""
    # A broker that lost its log may have re-created a topic with other partitions: those go unanswered.
    topics = {t for t, _ in wanted}
    exist = partitions if partitions is not None and topics <= partitions.keys() else \
        _existing(client, topics, timeout_s)
    places = {TopicPartition(t, p): offset for (t, p), offset in wanted.items() if p in exist[t]}
    if not places:
        return {}
    with _reader(client, enable_auto_commit=False, auto_offset_reset="latest", fetch_max_wait_ms=50,
                 bootstrap_timeout_ms=int(timeout_s * 1000)) as consumer:
        consumer.assign(list(places))
        for tp, offset in places.items():
            consumer.seek(tp, offset)
        found: dict[Place, bytes] = {}
        answered: set[TopicPartition] = set()
        deadline = time.monotonic() + timeout_s
        while len(answered) < len(places) and time.monotonic() < deadline:
            for tp, msgs in consumer.poll(timeout_ms=200).items():
                if tp in answered or not msgs:
                    continue
                answered.add(tp)
                consumer.pause(tp)
                if msgs[0].offset == places[tp]:  # else the broker moved us past it: that offset is gone
                    found[(tp.topic, tp.partition)] = msgs[0].value
        return found


def read_all(client: dict, topics: list[str], timeout_s: float = 30.0) -> list[Record]:
    """Every record the broker holds on `topics`, from the beginning to the current end (no group)."""
    exist = _existing(client, topics, min(timeout_s, 10.0))
    tps = [TopicPartition(t, p) for t in topics for p in sorted(exist[t])]
    if not tps:
        return []
    with _reader(client, enable_auto_commit=False, fetch_max_wait_ms=50, max_poll_records=5000) as consumer:
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        ends = consumer.end_offsets(tps)
        out: list[Record] = []
        deadline = time.monotonic() + timeout_s
        while any(consumer.position(tp) < ends[tp] for tp in tps):
            if time.monotonic() > deadline:
                raise TimeoutError(f"read {len(out)} records of {sum(ends.values())} in {timeout_s} s")
            for msgs in consumer.poll(timeout_ms=200).values():
                out.extend(Record.of(m) for m in msgs)
        return out
