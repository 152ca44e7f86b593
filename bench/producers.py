"""What every benchmark needs to publish as a genuine producer does, and to prove its events counted.

Consumers act only on an event whose `source` is a registered identity that owns the topic, signed
with that identity's key and fitting its hash chain (keys.py, envelope.py, worker.py); anything else
is dead-lettered. A benchmark therefore publishes through a service's outbox (which signs) or, for a
field device, signs with the device's own registered key (`Device`), and checks afterwards that its
consumers handled the events and dead-lettered none: a figure measured on dead letters is no figure.

`registry()` gives each run a key registry of its own (KEYS_DIR in a temporary folder, inherited by
the processes the benchmark starts), so no benchmark adds identities to the deployment's registry.
"""
from __future__ import annotations

import contextlib
import os
import tempfile

from services.common import keys
from services.common.envelope import GENESIS, new_event, seal


@contextlib.contextmanager
def registry():
    """A throw-away key registry for the benchmark and every process it starts."""
    before = os.environ.get("KEYS_DIR")
    with tempfile.TemporaryDirectory(prefix="bench-keys-") as folder:
        os.environ["KEYS_DIR"] = folder
        keys.reset()
        try:
            yield keys.registry()
        finally:
            if before is None:
                os.environ.pop("KEYS_DIR", None)
            else:
                os.environ["KEYS_DIR"] = before
            keys.reset()


class Device:
    """A registered field device (`/mutual-deploy/devices/<id>`): its own key, its own hash chain."""

    def __init__(self, device_id: str):
        self.identity = f"devices/{device_id}"
        self.source = keys.SOURCE_PREFIX + self.identity
        self.signer = keys.registry().signer(self.identity)
        self.seq, self.prev, self.chainid = 0, GENESIS, None

    def event(self, topic: str, data: dict, *, subject: str) -> dict:
        event = seal(new_event(topic=topic, source=self.source, data=data, subject=subject, correlationid=subject),
                     seq=self.seq + 1, prevhash=self.prev, signer=self.signer, chainid=self.chainid)
        self.seq, self.prev, self.chainid = event["seq"], event["hash"], event["chainid"]
        return event


class DeadLettered(AssertionError):
    """The consumers refused the benchmark's events: its figures would measure dead-lettering."""


def assert_processed(what: str, *, handled: int, expected: int, deadlettered: int, reason: str = "") -> None:
    """Fail loudly unless all `expected` events were handled and none was dead-lettered."""
    if deadlettered:
        raise DeadLettered(f"{what}: {deadlettered} event(s) dead-lettered ({reason or 'see the consumer log'}); "
                           "the figures would measure the refusal, not the path")
    if handled < expected:
        raise DeadLettered(f"{what}: only {handled} of {expected} events were handled")


def verify_consumed(events, registry_=None) -> list[str]:
    """Why each of `events` (decoded envelopes read off the broker) would be refused: [] when every
    one is signed by a registered owner of its topic (for benchmarks whose reader is raw kafka-python)."""
    from services.common.envelope import signature_problem
    from services.common.topics import ownership_problem
    reg = registry_ or keys.registry()
    problems = []
    for event in events:
        why = ownership_problem(event.get("type"), event.get("source")) or signature_problem(event, reg)
        if why:
            problems.append(f"{event.get('id')}: {why}")
    return problems
