"""One-shot job: create every topic of contracts/topics.yaml on KAFKA_BOOTSTRAP_SERVERS, then exit.

The same topics (names, partitions, retention) as the embedded default (`services.common.topics`),
with the cluster's replication: TOPIC_REPLICATION_FACTOR (1; 3 on the three-broker cluster) and
TOPIC_MIN_INSYNC_REPLICAS (unset; 2 on the cluster, so an acknowledged write is on two brokers).

With KAFKA_SETUP_ACCESS=1 (run as the super user) it also creates a SCRAM user per principal whose
password is set (KAFKA_PASSWORD_<NAME>) and the ACLs of infra/kafka_access.py. Running it again
changes nothing that is already there, and updates passwords (that is how they are rotated).
"""
from __future__ import annotations

import os
import time

from services.common.bus import Bus
from services.common.topics import topic_specs

from .kafka_access import access_by_principal, acls, password_variable


def planned_topics(env: dict | None = None) -> tuple[list[tuple[str, int, dict]], int]:
    """(specs, replication factor) this job creates: the embedded default's specs plus replication."""
    env = os.environ if env is None else env
    replication = int(env.get("TOPIC_REPLICATION_FACTOR", "1"))
    min_isr = env.get("TOPIC_MIN_INSYNC_REPLICAS")
    extra = {"min.insync.replicas": int(min_isr)} if min_isr else {}
    return [(name, partitions, {**configs, **extra}) for name, partitions, configs in topic_specs()], replication


def planned_users(env: dict | None = None) -> tuple[dict[str, str], list[str]]:
    """({principal: password} for those with a password set, [principals without one])."""
    env = os.environ if env is None else env
    users, missing = {}, []
    for name in access_by_principal():
        password = env.get(password_variable(name))
        if password:
            users[name] = password
        else:
            missing.append(name)
    return users, missing


def main(env: dict | None = None, attempts: int = 60) -> None:
    env = os.environ if env is None else env
    bus = Bus(env["KAFKA_BOOTSTRAP_SERVERS"], client_id="create-topics")
    specs, replication = planned_topics(env)
    for _attempt in range(attempts):
        try:
            created = bus.ensure_topics(specs, replication_factor=replication)
            print(f"topics: {len(specs)} ready ({len(created)} created, replication {replication})", flush=True)
            break
        except Exception as exc:  # the broker may still be starting
            print(f"waiting for the broker ({exc.__class__.__name__})", flush=True)
            time.sleep(2)
    else:
        raise SystemExit("error: the broker never answered")
    if env.get("KAFKA_SETUP_ACCESS") == "1":
        users, missing = planned_users(env)
        done = bus.grant(users, acls(access_by_principal()), mechanism=env.get("KAFKA_SCRAM_MECHANISM", "SCRAM-SHA-512"))
        print(f"access: {len(done['users'])} SCRAM users ({', '.join(done['users'])}), {done['acls']} ACLs"
              + (f"; no password set for {', '.join(missing)} (no user created)" if missing else ""), flush=True)


if __name__ == "__main__":
    main()
