"""Topic specifications derived from contracts/topics.yaml (the one list every process uses)."""
from __future__ import annotations

import functools

from . import contracts

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
    """None when the envelope's `source` is a producer of `topic` (topics.yaml); otherwise why not.

    A producer owns `/mutual-deploy/<producer>` and the sources under it (each field device or twin
    process publishes under `/mutual-deploy/devices/<id>`, `/mutual-deploy/twin/<instance>`).
    """
    owners = producers_of(topic)
    if "any" in owners:
        return None
    name = source[len(SOURCE_PREFIX):].split("/")[0] if isinstance(source, str) and source.startswith(SOURCE_PREFIX) else None
    if name in owners:
        return None
    return f"source {source!r} does not produce {topic} (producers: {', '.join(sorted(owners)) or 'none'})"
