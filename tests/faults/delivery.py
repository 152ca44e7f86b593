"""Faults of delivery rather than of processes: every record again, late records, poison records."""
from __future__ import annotations

import copy
import json
import time
import uuid

from sqlalchemy import Text, cast, select

from services.common import contracts
from services.common.bus import Bus
from services.common.storage import outbox
from services.common.topics import DEADLETTER

from .cluster import Cluster
from .driver import Driver, retarget
from .oracle import consumed_topics, producers


def redeliver_everything(cluster: Cluster, driver: Driver) -> None:
    """Every record every producer ever published, published again byte for byte (same event ids)."""
    bus = Bus(cluster.broker.bootstrap, security={})
    t0 = time.monotonic()
    try:
        for engine in producers(cluster, driver.outboxes).values():
            with engine.connect() as conn:
                rows = conn.execute(select(outbox.c.topic, outbox.c.key, cast(outbox.c.event, Text))
                                    .where(outbox.c.topic != DEADLETTER).order_by(outbox.c.seq)).all()
            for topic, key, text in rows:
                bus.send(topic, key, text.encode())
        bus.flush()
    finally:
        bus.close()
    driver.wait_caught_up(what="duplicates dropped")
    driver.recovery.append(time.monotonic() - t0)


def late_position_reports(cluster: Cluster, driver: Driver) -> None:
    """Each unit's first position report, sent again as a new report after its last one was applied."""
    t0 = time.monotonic()
    units = _units(cluster)
    for case in driver.stream.cases:
        for report in retarget(case, case.positions[0], units.get(case.plan["request_id"])):
            driver.emit("unit.position-reported", report, key=report["unit_id"], incident_id=case.incident_id)
    driver.wait_caught_up(what="late reports handled")
    driver.recovery.append(time.monotonic() - t0)


def _units(cluster: Cluster) -> dict:
    from .oracle import dispatched_units

    return dispatched_units(cluster) if "officers.committed" in consumed_topics("logistics") else {}


POISON_KINDS = ("not JSON", "breaks the contract", "wrong producer")


def poison_records(topic: str) -> list[bytes]:
    """Three records a consumer must refuse: not JSON, a broken payload, a topic's event from a stranger."""
    broken = copy.deepcopy(contracts.example_event(topic))
    broken["id"] = str(uuid.uuid4())
    broken["data"] = {}
    stranger = copy.deepcopy(contracts.example_event(topic))
    stranger["id"], stranger["source"] = str(uuid.uuid4()), "/somewhere-else/unknown"
    return [b"\x00{garbage", json.dumps(broken).encode(), json.dumps(stranger).encode()]


def poison_every_topic(cluster: Cluster, driver: Driver) -> None:
    """Poison on every topic a running service consumes (needs a broker that does not validate)."""
    topics = sorted(set().union(*(consumed_topics(name) for name in cluster.services)))
    bus = Bus(cluster.broker.bootstrap, security={})
    try:
        for topic in topics:
            for value in poison_records(topic):
                bus.send(topic, f"poison-{topic}", value).get(10)
    finally:
        bus.close()
