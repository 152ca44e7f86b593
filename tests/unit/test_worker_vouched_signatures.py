"""A producer's run of events in one batch costs one Ed25519 verification: each event whose
signature verifies vouches for the one before it, whose hash it signed as its prevhash. Nothing
that full verification refuses gets through: a forged or altered event breaks the link and is
verified on its own, and an event under a revoked key is refused though its successor vouches."""
from __future__ import annotations

import json

import pytest

from bench.producers import Device, registry
from services.common import keys
from services.common.bus import Record
from services.common.config import Settings
from services.common.envelope import event_hash
from services.common.worker import Worker

TOPIC = "unit.position-reported"


@pytest.fixture
def device():
    with registry():
        yield Device("VOUCH-U1")


def reports(device: Device, n: int) -> list[dict]:
    return [device.event(TOPIC, {"unit_id": "VOUCH-U1", "order_id": "VOUCH-O1",
                                 "point": {"lon": 120.0 + k / 100, "lat": 29.0},
                                 "at": f"2026-01-01T01:{k:02d}:00+00:00"}, subject="VOUCH-U1")
            for k in range(1, n + 1)]


def check(events: list[dict], partition_of=lambda i: 0) -> tuple[list, int]:
    """The worker's verdict on each event as one batch, and how many signatures it verified."""
    worker = Worker(Settings(service="t", database_url="sqlite://", kafka_bootstrap="127.0.0.1:1"),
                    {TOPIC: lambda ctx: None}, bus=object())
    verified = []
    real = worker.registry.verify
    worker.registry.verify = lambda *a: verified.append(a) or real(*a)
    records = [Record(TOPIC, partition_of(i), i, "VOUCH-U1", json.dumps(e).encode()) for i, e in enumerate(events)]
    return [problem for _, problem in worker._check_all(records)], len(verified)


def forged(event: dict, **data) -> dict:
    """The event with other data, hashed again as a forger would (who cannot sign it)."""
    out = dict(event, data=dict(event["data"], **data))
    out["hash"] = event_hash(out)
    return out


def test_a_run_of_one_producers_events_is_verified_once_by_its_newest(device):
    problems, verified = check(reports(device, 6))
    assert problems == [None] * 6
    assert verified == 1


def test_the_run_is_found_in_any_order_across_partitions(device):
    events = reports(device, 6)
    problems, verified = check(events[3:] + events[:3], partition_of=lambda i: i % 2)
    assert problems == [None] * 6 and verified == 1


def test_a_forged_event_in_the_run_is_refused_and_the_events_around_it_stand_on_their_own(device):
    events = reports(device, 5)
    events[2] = forged(events[2], point={"lon": 121.5, "lat": 30.0})
    problems, verified = check(events)
    assert problems[2] and "signature does not verify" in problems[2]
    assert problems[:2] == [None, None] and problems[3:] == [None, None]
    assert verified == 3  # the newest, the forged one, and the one before it (its successor vouches for nothing)


def test_a_hash_altered_on_the_way_is_still_refused_when_its_successor_vouches_for_the_true_one(device):
    events = reports(device, 3)
    events[1] = dict(events[1], hash="f" * 64)
    problems, _ = check(events)
    assert problems[1] == "refused: hash is not the hash of the event (altered after it was signed)"
    assert problems[0] is None and problems[2] is None


def test_a_successor_that_does_not_verify_vouches_for_nothing(device):
    events = reports(device, 3)
    events[2] = dict(events[2], signature=events[1]["signature"])  # a genuine signature, of another event
    events[2]["hash"] = event_hash(events[2])
    problems, verified = check(events)
    assert "signature does not verify" in problems[2]
    assert problems[:2] == [None, None] and verified == 2


def test_an_event_under_a_revoked_key_is_refused_though_its_successor_vouches_for_it(device):
    reg = keys.registry()
    events = reports(device, 2)
    old = events[0]["keyid"]
    reg.rotate(device.identity)
    device.signer = reg.signer(device.identity)
    events += reports(device, 1)
    reg.revoke(device.identity, old)
    problems, _ = check(events)
    assert problems[2] is None  # under the new key
    assert all(p and "is not registered (or is revoked)" in p for p in problems[:2])
