"""The one module that talks to Kafka (kafka-python). Any Kafka-protocol broker will do.

Timeouts are tuned for a small cluster on one host: a consumer group joins in ~3 s with a 6 s
session timeout (~23 s with the library defaults), and a 10 ms fetch wait keeps publish → handled
latency in milliseconds instead of the default 500 ms.
"""
from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic
from kafka.errors import (
    CommitFailedError,
    IllegalGenerationError,
    IllegalStateError,
    RebalanceInProgressError,
    TopicAlreadyExistsError,
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
)


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


@dataclass(frozen=True)
class Record:
    topic: str
    partition: int
    offset: int
    key: str | None
    value: bytes


class Bus:
    def __init__(self, bootstrap: str, *, client_id: str = "mutual-deploy", security: dict | None = None):
        self.bootstrap = bootstrap
        self.client_id = client_id
        self.security = security_from_env() if security is None else security
        # Every client this bus opens: where the brokers are, who we are, how we prove it.
        self._client = dict(bootstrap_servers=bootstrap, client_id=client_id, **self.security)
        self._producer: KafkaProducer | None = None

    @property
    def producer(self) -> KafkaProducer:
        if self._producer is None:
            self._producer = KafkaProducer(
                **self._client, acks="all",
                linger_ms=5, batch_size=512 * 1024, max_request_size=4 * 1024 * 1024,
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
            )
        return self._producer

    def send(self, topic: str, key: str | None, value: bytes):
        """Returns a future; `.get(timeout)` gives (partition, offset) metadata or raises."""
        return self.producer.send(topic, key=key.encode() if key else None, value=value)

    def flush(self, timeout: float = 30) -> None:
        if self._producer is not None:
            self._producer.flush(timeout)

    def consumer(self, topics: list[str], group_id: str | None, **overrides) -> "Subscription":
        opts = dict(CONSUMER_DEFAULTS, **overrides)
        consumer = KafkaConsumer(*topics, **self._client, group_id=group_id, **opts)
        return Subscription(consumer)

    def end_offsets(self, pairs: list[tuple[str, int]], timeout_s: float = 5.0) -> dict[tuple[str, int], int]:
        """Raises KafkaTimeoutError after `timeout_s` (a broker that just restarted may not answer
        for a topic yet; callers look again later rather than block for the 30 s default)."""
        consumer = KafkaConsumer(**self._client, allow_auto_create_topics=False,
                                 bootstrap_timeout_ms=int(timeout_s * 1000))
        try:
            tps = [TopicPartition(t, p) for t, p in pairs]
            return {(tp.topic, tp.partition): off
                    for tp, off in consumer.end_offsets(tps, timeout_ms=int(timeout_s * 1000)).items()}
        finally:
            consumer.close()

    def partitions(self, topic: str) -> set[int]:
        """The topic's partitions as the broker sees them now (empty if the topic is missing)."""
        return self.topic_partitions([topic])[topic]

    def topic_ids(self, topics: list[str], timeout_s: float = 5.0) -> dict[str, str | None]:
        """Each topic's id (KIP-516) as the broker sees it now, None for a missing topic. A topic
        that was deleted or lost and created again has a new id: its records before are gone."""
        return {t: info[0] for t, info in self._describe(topics, timeout_s).items()}

    def _describe(self, topics: list[str], timeout_s: float) -> dict[str, tuple[str | None, set[int]]]:
        ms = int(timeout_s * 1000)
        admin = KafkaAdminClient(**self._client, bootstrap_timeout_ms=ms, request_timeout_ms=max(ms, 1000))
        try:
            described = admin.describe_topics(sorted(set(topics)))
        finally:
            admin.close()
        found = {t["name"]: (str(t.get("topic_id")) if t.get("topic_id") else None,
                             {p["partition_index"] for p in t.get("partitions") or () if not p.get("error_code")})
                 for t in described if not t.get("error_code")}
        return {t: found.get(t, (None, set())) for t in topics}

    def topic_partitions(self, topics: list[str], timeout_s: float = 5.0) -> dict[str, set[int]]:
        """Each topic's partitions as the broker sees them now (an empty set for a missing topic), from
        one metadata request that gives up after about `timeout_s` (raises KafkaTimeoutError).

        Not the consumer's partitions_for_topic: that waits without a limit for a metadata refresh,
        and a broker restarting under it can leave that wait, and the relay or probe calling it,
        hanging for good."""
        return {t: info[1] for t, info in self._describe(topics, timeout_s).items()}

    def fetch_one(self, topic: str, partition: int, offset: int, timeout_s: float = 3.0) -> bytes | None:
        """The value stored at (topic, partition, offset), or None if there is none any more."""
        # A read-back must never create the topic: on a broker that has just restarted it would get
        # the default partition count before the topics are re-created with their own.
        consumer = KafkaConsumer(**self._client, enable_auto_commit=False, auto_offset_reset="latest",
                                 fetch_max_wait_ms=50, allow_auto_create_topics=False,
                                 bootstrap_timeout_ms=int(timeout_s * 1000))
        try:
            tp = TopicPartition(topic, partition)
            consumer.assign([tp])
            consumer.seek(tp, offset)
            deadline = time.monotonic() + timeout_s
            while time.monotonic() < deadline:
                for msgs in consumer.poll(timeout_ms=200).values():
                    for m in msgs:
                        if m.offset == offset:
                            return m.value
                        return None  # the broker moved us past it: that offset no longer exists
            return None
        finally:
            consumer.close()

    def fetch_many(self, wanted: dict[tuple[str, int], int], timeout_s: float = 5.0) -> dict[tuple[str, int], bytes]:
        """The values stored at several (topic, partition) -> offset places, read with one connection.
        A place that has no record at that offset any more (or gave no answer in time) is left out."""
        # A broker that lost its log may have re-created a topic with other partitions: those go unanswered.
        exist = self.topic_partitions(sorted({t for t, _ in wanted}), timeout_s)
        places = {TopicPartition(t, p): offset for (t, p), offset in wanted.items() if p in exist[t]}
        if not places:
            return {}
        consumer = KafkaConsumer(**self._client, enable_auto_commit=False, auto_offset_reset="latest",
                                 fetch_max_wait_ms=50, allow_auto_create_topics=False,
                                 bootstrap_timeout_ms=int(timeout_s * 1000))
        try:
            consumer.assign(list(places))
            for tp, offset in places.items():
                consumer.seek(tp, offset)
            found: dict[tuple[str, int], bytes] = {}
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
        finally:
            consumer.close()

    def read_all(self, topics: list[str], timeout_s: float = 30.0) -> list[Record]:
        """Every record the broker holds on `topics`, from the beginning to the current end (no group)."""
        exist = self.topic_partitions(topics, min(timeout_s, 10.0))
        tps = [TopicPartition(t, p) for t in topics for p in sorted(exist[t])]
        if not tps:
            return []
        consumer = KafkaConsumer(**self._client, enable_auto_commit=False, fetch_max_wait_ms=50,
                                 max_poll_records=5000, allow_auto_create_topics=False)
        try:
            consumer.assign(tps)
            consumer.seek_to_beginning(*tps)
            ends = consumer.end_offsets(tps)
            out: list[Record] = []
            deadline = time.monotonic() + timeout_s
            while any(consumer.position(tp) < ends[tp] for tp in tps):
                if time.monotonic() > deadline:
                    raise TimeoutError(f"read {len(out)} records of {sum(ends.values())} in {timeout_s} s")
                for msgs in consumer.poll(timeout_ms=200).values():
                    out.extend(Record(m.topic, m.partition, m.offset, m.key.decode(errors="replace") if m.key else None,
                                      m.value) for m in msgs)
            return out
        finally:
            consumer.close()

    def ensure_topics(self, specs: list[tuple[str, int, dict]], replication_factor: int = 1) -> list[str]:
        """Create missing topics: specs are (name, partitions, configs). Returns the names created."""
        admin = KafkaAdminClient(**self._client)
        try:
            existing = set(admin.list_topics())
            new = [NewTopic(n, p, replication_factor, topic_configs={k: str(v) for k, v in c.items()})
                   for n, p, c in specs if n not in existing]
            if new:
                try:
                    admin.create_topics(new)
                except TopicAlreadyExistsError:
                    pass  # another process created it between list and create
            return [t.name for t in new]
        finally:
            admin.close()

    def reset_producer(self) -> None:
        """Drop the producer: the next send opens one with fresh metadata (after the broker changed)."""
        self.close()

    def probe(self, timeout_s: float = 2.0) -> set[str]:
        """The broker's topic names, or an exception within about `timeout_s` (readiness checks)."""
        ms = int(timeout_s * 1000)
        admin = KafkaAdminClient(**self._client, bootstrap_timeout_ms=ms, request_timeout_ms=max(ms, 1000))
        try:
            return set(admin.list_topics())
        finally:
            admin.close()

    def grant(self, passwords: dict[str, str], acls: list, mechanism: str = "SCRAM-SHA-512") -> dict:
        """Create or update SCRAM users and add ACL bindings (needs a super user). Adding an ACL or
        a credential that already exists changes nothing, so the setup job can run on every start."""
        from kafka.admin import ScramMechanism, UserScramCredentialUpsertion

        mech = ScramMechanism[mechanism.replace("-", "_")]
        admin = KafkaAdminClient(**self._client)
        try:
            users = admin.alter_user_scram_credentials(
                [UserScramCredentialUpsertion(user, mech, password) for user, password in passwords.items()]
            ) if passwords else {}
            failed = {u: err for u, err in (users or {}).items() if err}
            if failed:
                raise RuntimeError(f"SCRAM credentials refused: {failed}")
            result = admin.create_acls(acls) if acls else {"failed": []}
            if result.get("failed"):
                raise RuntimeError(f"ACLs refused: {result['failed']}")
            return {"users": sorted(passwords), "acls": len(acls)}
        finally:
            admin.close()

    def list_topics(self) -> set[str]:
        admin = KafkaAdminClient(**self._client)
        try:
            return set(admin.list_topics())
        finally:
            admin.close()

    def close(self) -> None:
        if self._producer is not None:
            self._producer.close(timeout=5)
            self._producer = None


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
        return [
            Record(m.topic, m.partition, m.offset, m.key.decode(errors="replace") if m.key else None, m.value)
            for msgs in batches.values() for m in msgs
        ]

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
