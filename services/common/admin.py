"""Topics as the broker holds them: their ids and partitions, which exist, creating the missing
ones, and granting access (SCRAM users, ACLs).

Every look that a readiness probe or a wiped-broker check makes is bounded by `timeout_s`: a broker
restarting under a client without a limit can leave the caller hanging for good.
"""
from __future__ import annotations

import threading
from contextlib import contextmanager

from kafka import KafkaAdminClient
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError


@contextmanager
def _admin(client: dict, timeout_s: float | None = None):
    """An admin client for one request; with `timeout_s`, it gives up after about that long."""
    limits = {}
    if timeout_s is not None:
        ms = int(timeout_s * 1000)
        limits = dict(bootstrap_timeout_ms=ms, request_timeout_ms=max(ms, 1000))
    admin = KafkaAdminClient(**client, **limits)
    try:
        yield admin
    finally:
        admin.close()


def describe(client: dict, topics: list[str], timeout_s: float = 5.0) -> dict[str, tuple[str | None, set[int]]]:
    """Each topic's (id, partitions) as the broker sees it now; (None, empty set) for a missing topic.

    One metadata request (raises KafkaTimeoutError after about `timeout_s`). Not the consumer's
    partitions_for_topic: that waits without a limit for a metadata refresh."""
    with _admin(client, timeout_s) as admin:
        return _described(admin.describe_topics(sorted(set(topics))), topics)


class Describer:
    """`describe` on one admin client kept open between looks, for a caller that looks every few
    seconds (the wiped-broker check): opening a client costs about six times the request itself.

    Every answer is a fresh metadata request. A look that fails (a broker restarting, a dropped
    connection) closes the client and raises; the next look opens another. Looks from several
    threads take turns."""

    def __init__(self, client: dict, timeout_s: float = 5.0):
        self._client, self._timeout_s = client, timeout_s
        self._admin: KafkaAdminClient | None = None
        self._lock = threading.Lock()

    def describe(self, topics: list[str]) -> dict[str, tuple[str | None, set[int]]]:
        with self._lock:
            try:
                if self._admin is None:
                    ms = int(self._timeout_s * 1000)
                    self._admin = KafkaAdminClient(**self._client, bootstrap_timeout_ms=ms,
                                                   request_timeout_ms=max(ms, 1000))
                return _described(self._admin.describe_topics(sorted(set(topics))), topics)
            except Exception:
                self._close()
                raise

    def close(self) -> None:
        with self._lock:
            self._close()

    def _close(self) -> None:
        admin, self._admin = self._admin, None
        if admin is not None:
            try:
                admin.close()
            except Exception:  # closing a client whose broker went away is best effort
                pass


def _described(described: list[dict], topics: list[str]) -> dict[str, tuple[str | None, set[int]]]:
    found = {t["name"]: (str(t.get("topic_id")) if t.get("topic_id") else None,
                         {p["partition_index"] for p in t.get("partitions") or () if not p.get("error_code")})
             for t in described if not t.get("error_code")}
    return {t: found.get(t, (None, set())) for t in topics}


def list_topics(client: dict, timeout_s: float | None = None) -> set[str]:
    with _admin(client, timeout_s) as admin:
        return set(admin.list_topics())


def ensure_topics(client: dict, specs: list[tuple[str, int, dict]], replication_factor: int = 1) -> list[str]:
    """Create missing topics: specs are (name, partitions, configs). Returns the names created."""
    with _admin(client) as admin:
        existing = set(admin.list_topics())
        new = [NewTopic(n, p, replication_factor, topic_configs={k: str(v) for k, v in c.items()})
               for n, p, c in specs if n not in existing]
        if new:
            try:
                admin.create_topics(new)
            except TopicAlreadyExistsError:
                pass  # another process created it between list and create
        return [t.name for t in new]


def grant(client: dict, passwords: dict[str, str], acls: list, mechanism: str = "SCRAM-SHA-512") -> dict:
    """Create or update SCRAM users and add ACL bindings (needs a super user). Adding an ACL or
    a credential that already exists changes nothing, so the setup job can run on every start."""
    from kafka.admin import ScramMechanism, UserScramCredentialUpsertion

    mech = ScramMechanism[mechanism.replace("-", "_")]
    with _admin(client) as admin:
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
