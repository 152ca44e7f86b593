"""The CloudEvents 1.0 envelope every event travels in, and the producer's hash chain.

The canonical form (sorted keys, no spaces, UTF-8) is what the hash covers, so any consumer can
recompute it from the JSON it received. `hash = sha256(prevhash || canonical(event without hash))`.
"""
from __future__ import annotations

import hashlib
import json
import uuid
from datetime import timezone

from . import clock

GENESIS = "0" * 64
SPECVERSION = "1.0"


def now_iso() -> str:
    # the process's clock (an exercise runs on its own), so event times follow simulated time
    return clock.now().astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def canonical(obj) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def event_hash(event: dict) -> str:
    body = {k: v for k, v in event.items() if k != "hash"}
    return hashlib.sha256(event["prevhash"].encode() + canonical(body)).hexdigest()


def new_event(
    *,
    topic: str,
    source: str,
    data: dict,
    subject: str,
    correlationid: str,
    causationid: str | None = None,
    mode: str = "live",
    exerciseid: str | None = None,
    event_id: str | None = None,
    time: str | None = None,
) -> dict:
    """An unsealed envelope: `seal` adds seq/prevhash/hash when the outbox assigns its place."""
    event = {
        "specversion": SPECVERSION,
        "id": event_id or str(uuid.uuid4()),
        "source": source,
        "type": topic,
        "time": time or now_iso(),
        "datacontenttype": "application/json",
        "subject": subject,
        "correlationid": correlationid,
        "mode": mode,
        "data": data,
    }
    if causationid:
        event["causationid"] = causationid
    if mode == "exercise":
        event["exerciseid"] = exerciseid
    return event


def seal(event: dict, *, seq: int, prevhash: str) -> dict:
    event = dict(event, seq=seq, prevhash=prevhash)
    event["hash"] = event_hash(event)
    return event


def verify_chain(events) -> list[str]:
    """Problems found in one producer's events, in seq order; [] means the chain verifies."""
    problems, prev, expected = [], GENESIS, 1
    for event in events:
        seq = event.get("seq")
        if seq != expected:
            problems.append(f"seq {seq}: expected {expected} (gap, reorder or deletion)")
        if event.get("prevhash") != prev:
            problems.append(f"seq {seq}: prevhash does not match the hash of seq {expected - 1}")
        if event_hash(event) != event.get("hash"):
            problems.append(f"seq {seq}: hash does not match the content (altered)")
        prev, expected = event.get("hash"), (seq or expected) + 1
    return problems
