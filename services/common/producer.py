"""Publishing: one KafkaProducer per bus, opened on the first send and dropped after the broker changed."""
from __future__ import annotations

from kafka import KafkaProducer

PRODUCER_OPTIONS = dict(
    # No linger: the relay hands over a whole batch at once and waits for it (send_many), and a lone
    # send (a dead letter without an outbox) should not sit for a linger before it goes.
    acks="all", linger_ms=0, batch_size=512 * 1024, max_request_size=4 * 1024 * 1024,
    retries=5, max_in_flight_requests_per_connection=1,
    # Idempotent producers need InitProducerId, which not every Kafka-protocol broker
    # implements; one request in flight keeps order on retry without it.
    enable_idempotence=False,
    # Never create a topic by publishing to (or refreshing metadata for) it: after a
    # broker restart it would come back with the default partition count. A send to a
    # missing topic fails after max_block_ms and the relay retries.
    allow_auto_create_topics=False, max_block_ms=10000,
    # Partition counts that changed under it (a topic re-created after a restart) are seen in seconds.
    metadata_max_age_ms=5000,
    # kafka-python's own sensors (per request, batch and record) are read by nothing here: /metrics
    # reports the kit's counters. Off, they cost no CPU on every request.
    metrics_enabled=False,
)


def _no_wakeup() -> None:
    pass


class Producer:
    def __init__(self, client: dict):
        self._client = client
        self._producer: KafkaProducer | None = None

    def send(self, topic: str, key: str | None, value: bytes):
        """Returns a future; `.get(timeout)` gives (partition, offset) metadata or raises."""
        if self._producer is None:
            self._producer = KafkaProducer(**self._client, **PRODUCER_OPTIONS)
        return self._producer.send(topic, key=key.encode() if key else None, value=value)

    def send_batch(self, records, timeout: float = 30) -> list:
        """Send (topic, key, value) records and flush: their futures, done or failed."""
        futures = self.send_many(records)
        self._producer.flush(timeout)
        return futures

    def send_many(self, records) -> list:
        """Hand (topic, key, value) records to the sender at once, without waiting: their futures.

        kafka-python wakes its sender thread on each record that opens a partition's batch; for
        records handed over together each wake-up is wasted work (a round of the sender's loop, and
        the interpreter lock handed to it and back): they are held back and the sender is woken
        once, after the last (with no linger, every batch is ready to go then)."""
        if self._producer is None:
            self._producer = KafkaProducer(**self._client, **PRODUCER_OPTIONS)
        producer = self._producer
        sender = getattr(producer, "_sender", None)
        held = sender is not None and "wakeup" not in vars(sender)
        if held:
            sender.wakeup = _no_wakeup
        try:
            futures = [producer.send(topic, key=key.encode() if key else None, value=value)
                       for topic, key, value in records]
        finally:
            if held:
                del sender.wakeup
                sender.wakeup()
        return futures

    def flush(self, timeout: float = 30) -> None:
        if self._producer is not None:
            self._producer.flush(timeout)

    def close(self) -> None:
        """Close it; the next send opens one with fresh metadata."""
        if self._producer is not None:
            self._producer.close(timeout=5)
            self._producer = None
