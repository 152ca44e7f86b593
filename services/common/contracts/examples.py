"""The example instances in contracts/ and the hash chain their envelopes carry."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from services.common.config import CONTRACTS

from .loading import _read_json, _topics, topic

GENESIS_HASH = "0" * 64


def _example_path(folder: str, name: str) -> Path:
    return CONTRACTS / folder / f"{name}.example.json"


def example_event(topic_name: str) -> dict:
    """The example envelope of `topic_name` (contracts/events/<topic>.example.json)."""
    return _read_json(_example_path("events", topic(topic_name).name))


def example_body(name: str) -> dict:
    """The example HTTP body `name` (contracts/http/<name>.example.json)."""
    return _read_json(_example_path("http", name))


def canonical_json(value: Any) -> bytes:
    """The canonical JSON the hash chain is computed over: sorted keys, no whitespace, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def event_hash(event: dict) -> str:
    """The `hash` an envelope must carry: SHA-256 of its `prevhash` (the 64 hex characters)
    followed by the canonical JSON of the event without `hash`."""
    body = canonical_json({k: v for k, v in event.items() if k != "hash"})
    return hashlib.sha256(str(event.get("prevhash", "")).encode("ascii") + body).hexdigest()



def format_json(value: Any, indent: int = 0) -> str:
    """JSON with a 2-space indent that keeps short arrays and small objects on one line."""
    pad, inner = "  " * indent, "  " * (indent + 1)
    flat = json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict) and value:
        leafy = all(not isinstance(v, dict) and not (isinstance(v, list) and any(isinstance(x, (dict, list)) for x in v))
                    for v in value.values())
        if leafy and len(flat) + len(pad) <= 96:
            return flat
        items = [f"{inner}{json.dumps(k, ensure_ascii=False)}: {format_json(v, indent + 1)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(value, list) and value:
        small = all(not isinstance(x, dict) or len(json.dumps(x)) < 60 for x in value)
        if small and len(flat) + len(pad) <= 96:
            return flat
        items = [f"{inner}{format_json(v, indent + 1)}" for v in value]
        return "[\n" + ",\n".join(items) + "\n" + pad + "]"
    return flat


def rehash_examples() -> list[Path]:
    """Give the example envelopes a valid hash chain per source, in topics.yaml order."""
    last: dict[str, tuple[int, str]] = {}
    written = []
    for t in _topics():
        path = _example_path("events", t.name)
        event = _read_json(path)
        seq, prev = last.get(event["source"], (0, GENESIS_HASH))
        event["seq"], event["prevhash"] = seq + 1, prev
        event["hash"] = event_hash(event)
        last[event["source"]] = (seq + 1, event["hash"])
        path.write_text(format_json(event) + "\n", encoding="utf-8")
        written.append(path)
    return written

