"""Topic specifications derived from contracts/topics.yaml (the one list every process uses)."""
from __future__ import annotations

import functools

from . import contracts
from .keys import identity_of

DEADLETTER = "deadletter"
SOURCE_PREFIX = "/mutual-deploy/"


def topic_specs() -> list[tuple[str, int, dict]]:
    return [(t.name, t.partitions, {"retention.ms": t.retention_ms} if t.retention_ms else {})
            for t in contracts.topics()]


def topic_names() -> list[str]:
    return [t.name for t in contracts.topics()]


@functools.cache
def producers_of(topic: str) -> frozenset[str]:
    spec = next((t for t in contracts.topics() if t.name == topic), None)
    return frozenset(spec.producers or (spec.producer,)) if spec else frozenset()


def ownership_problem(topic: str, source) -> str | None:
    """None when the envelope's `source` is exactly a producer of `topic` (topics.yaml); otherwise why not.

    A service publishes as `/mutual-deploy/<service>` and nothing else (no sub-sources such as
    `/mutual-deploy/matching/relay-2`); field devices and other police systems each have an identity
    of their own, `/mutual-deploy/devices/<id>` and `/mutual-deploy/integrators/<id>`, registered
    one by one in the key registry (keys.py), which then verifies their signatures.
    """
    owners = producers_of(topic)
    if "any" in owners:
        return None
    identity = identity_of(source)
    if identity is not None and identity.split("/")[0] in owners:
        return None
    return f"source {source!r} does not produce {topic} (producers: {', '.join(sorted(owners)) or 'none'})"
