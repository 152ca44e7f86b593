"""Topic specifications derived from contracts/topics.yaml (the one list every process uses)."""
from __future__ import annotations

from . import contracts

DEADLETTER = "deadletter"


def topic_specs() -> list[tuple[str, int, dict]]:
    return [(t.name, t.partitions, {"retention.ms": t.retention_ms} if t.retention_ms else {})
            for t in contracts.topics()]


def topic_names() -> list[str]:
    return [t.name for t in contracts.topics()]
