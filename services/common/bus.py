"""The one door to Kafka (kafka-python); any Kafka-protocol broker will do.

`Bus` holds where the brokers are and how this process proves who it is, and hands each job to
the module that does it; those modules, and only they, import kafka:

- producer.py      publishing (one producer per bus, opened on the first send);
- subscription.py  consuming as a group member (`Subscription`), and the `Record` every read gives;
- admin.py         topics as the broker holds them: ids, partitions, creating, listing, access;
- readback.py      reading the log back outside a group: ends, records at given places, everything.
"""
from __future__ import annotations

import os

from . import admin, readback
from .producer import Producer
from .subscription import CONSUMER_DEFAULTS, Record, Subscription, subscribe

__all__ = ["Bus", "CONSUMER_DEFAULTS", "Record", "Subscription", "security_from_env"]


def security_from_env(env: dict | None = None) -> dict:
    """kafka-python's security options from KAFKA_SECURITY_PROTOCOL, KAFKA_SASL_MECHANISM,
    KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD and KAFKA_SSL_CAFILE; {} for a plaintext broker."""
    env = os.environ if env is None else env
    protocol = env.get("KAFKA_SECURITY_PROTOCOL", "PLAINTEXT").upper()
    if protocol == "PLAINTEXT":
        return {}
    opts: dict = {"security_protocol": protocol}
    if protocol.startswith("SASL_"):
        opts.update(sasl_mechanism=env.get("KAFKA_SASL_MECHANISM", "SCRAM-SHA-512"),
                    sasl_plain_username=env.get("KAFKA_SASL_USERNAME"),
                    sasl_plain_password=env.get("KAFKA_SASL_PASSWORD"))
    if env.get("KAFKA_SSL_CAFILE"):
        opts["ssl_cafile"] = env["KAFKA_SSL_CAFILE"]
    return opts


class Bus:
    def __init__(self, bootstrap: str, *, client_id: str = "mutual-deploy", security: dict | None = None):
        self.bootstrap = bootstrap
        self.client_id = client_id
        self.security = security_from_env() if security is None else security
        # Every client this bus opens: where the brokers are, who we are, how we prove it.
        self._client = dict(bootstrap_servers=bootstrap, client_id=client_id, **self.security)
        self._producer = Producer(self._client)
        self._describer = admin.Describer(self._client)  # the wiped-broker looks' client, kept open

    # --- publishing (producer.py) ---
    def send(self, topic: str, key: str | None, value: bytes):
        """Returns a future; `.get(timeout)` gives (partition, offset) metadata or raises."""
        return self._producer.send(topic, key, value)

    def flush(self, timeout: float = 30) -> None:
        self._producer.flush(timeout)

    def send_batch(self, records, timeout: float = 30) -> list:
        """Send (topic, key, value) records and flush: their futures (producer.Producer.send_batch)."""
        return self._producer.send_batch(records, timeout)

    def send_many(self, records) -> list:
        """Send (topic, key, value) records without waiting for them: their futures (Producer.send_many)."""
        return self._producer.send_many(records)

    def reset_producer(self) -> None:
        """Drop the producer: the next send opens one with fresh metadata (after the broker changed)."""
        self._producer.close()

    def close(self) -> None:
        self._producer.close()
        self._describer.close()

    # --- consuming (subscription.py) ---
    def consumer(self, topics: list[str], group_id: str | None, **overrides) -> Subscription:
        return subscribe(self._client, topics, group_id, **overrides)

    # --- topics (admin.py) ---
    def describe(self, topics: list[str]) -> dict[str, tuple[str | None, set[int]]]:
        """Each topic's (id, partitions) as the broker sees it now; (None, empty set) for a missing
        topic. A topic that was deleted or lost and created again has a new id (KIP-516): its
        records before are gone. On an admin client this bus keeps open for looks made every few
        seconds (admin.Describer); raises after about 5 s."""
        return self._describer.describe(topics)

    def topic_partitions(self, topics: list[str], timeout_s: float = 5.0) -> dict[str, set[int]]:
        """Each topic's partitions as the broker sees them now (an empty set for a missing topic),
        from one metadata request that gives up after about `timeout_s` (raises KafkaTimeoutError)."""
        return {t: info[1] for t, info in admin.describe(self._client, topics, timeout_s).items()}

    def partitions(self, topic: str) -> set[int]:
        """The topic's partitions as the broker sees them now (empty if the topic is missing)."""
        return self.topic_partitions([topic])[topic]

    def list_topics(self) -> set[str]:
        return admin.list_topics(self._client)

    def probe(self, timeout_s: float = 2.0) -> set[str]:
        """The broker's topic names, or an exception within about `timeout_s` (readiness checks)."""
        return admin.list_topics(self._client, timeout_s)

    def ensure_topics(self, specs: list[tuple[str, int, dict]], replication_factor: int = 1) -> list[str]:
        """Create missing topics: specs are (name, partitions, configs). Returns the names created."""
        return admin.ensure_topics(self._client, specs, replication_factor)

    def grant(self, passwords: dict[str, str], acls: list, mechanism: str = "SCRAM-SHA-512") -> dict:
        """Create or update SCRAM users and add ACL bindings (admin.grant)."""
        return admin.grant(self._client, passwords, acls, mechanism)

    # --- reading back (readback.py) ---
    def end_offsets(self, pairs: list[tuple[str, int]], timeout_s: float = 5.0) -> dict[tuple[str, int], int]:
        """Each partition's end; raises KafkaTimeoutError after `timeout_s` (readback.end_offsets)."""
        return readback.end_offsets(self._client, pairs, timeout_s)

    def fetch_many(self, wanted: dict[tuple[str, int], int], timeout_s: float = 5.0,
                   partitions: dict[str, set[int]] | None = None) -> dict[tuple[str, int], bytes]:
        """The values at several (topic, partition) -> offset places; places without one are left out.
        `partitions`: each topic's partitions as just described, when the caller has them."""
        return readback.fetch_many(self._client, wanted, timeout_s, partitions)

    def read_all(self, topics: list[str], timeout_s: float = 30.0) -> list[Record]:
        """Every record the broker holds on `topics`, from the beginning to the current end (no group)."""
        return readback.read_all(self._client, topics, timeout_s)
