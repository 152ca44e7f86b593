"""Self-contained schemas: a contract with every $ref it reaches copied into one local $defs.

Bundled schemas are what validation compiles, what the AsyncAPI document carries as payloads and
what the embedded broker's file schema registry checks each record value against.
"""
from __future__ import annotations

import copy
import functools
import json
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urljoin

from .loading import BASE_URI, DIALECT, ENVELOPE_URI, _schema, _topics, event_schema_uri, http_schema_uri, topic


class _Bundler:
    """Copies a schema with every $ref it reaches (in any contract file) into one local $defs.

    `prefix` is where the copies are referenced from: "#/$defs/" for a self-contained schema,
    "#/components/schemas/" for the definitions an OpenAPI or AsyncAPI document holds.
    """

    def __init__(self, prefix: str = "#/$defs/") -> None:
        self.prefix = prefix
        self.defs: dict[str, Any] = {}
        self.names: dict[str, str] = {}  # absolute target URI -> local name

    def rewrite(self, node: Any, base: str) -> Any:
        if isinstance(node, list):
            return [self.rewrite(v, base) for v in node]
        if not isinstance(node, dict):
            return node
        out = {}
        for k, v in node.items():
            if k in ("$schema", "$id", "$defs"):
                continue  # only the definitions actually reached are copied, by localize()
            if k == "$ref" and isinstance(v, str):
                out[k] = self.localize(urljoin(base, v))
            else:
                out[k] = self.rewrite(v, base)
        return out

    def localize(self, target: str) -> str:
        if target not in self.names:
            doc_uri, fragment = urldefrag(target)
            doc = _schema(doc_uri, "referenced")
            node = doc
            for part in filter(None, fragment.split("/")):
                node = node[part.replace("~1", "/").replace("~0", "~")]
            name = fragment.rsplit("/", 1)[-1] if fragment else _file_stem(doc_uri)
            name = self.reserve(name)
            self.names[target] = name
            self.defs[name] = self.rewrite(node, doc_uri)
        return self.prefix + self.names[target]

    def reserve(self, name: str) -> str:
        """`name`, or `name_2`, `name_3`... if taken; held (before descending into a recursive schema)."""
        stem, n = name, 2
        while name in self.defs:
            name, n = f"{stem}_{n}", n + 1
        self.defs[name] = None
        return name


def _file_stem(uri: str) -> str:
    """incident.reported for .../events/incident.reported.schema.json"""
    return uri.rsplit("/", 1)[-1].removesuffix(".json").removesuffix(".schema")


def _finish(bundler: _Bundler, head: dict, body: dict) -> dict:
    out = dict(head)
    out.update(body)
    if bundler.defs:
        out["$defs"] = {k: bundler.defs[k] for k in sorted(bundler.defs)}
    return out


@functools.cache
def _bundled_event(topic_name: str) -> dict:
    t = topic(topic_name)
    payload_uri = event_schema_uri(topic_name)
    b = _Bundler()
    body = _envelope_of(b, t.name, b.rewrite(_schema(payload_uri, "event"), payload_uri))
    head = {
        "$schema": DIALECT,
        "$id": f"{BASE_URI}bundled/{t.name}.json",
        "title": f"{t.name} event",
        "description": t.description,
    }
    return _finish(b, head, body)


def _envelope_of(b: _Bundler, topic_name: str, data: dict) -> dict:
    """The envelope (its references copied by `b`) with `type` fixed to the topic and `data` = `data`."""
    body = b.rewrite(_schema(ENVELOPE_URI, "envelope"), ENVELOPE_URI)
    for k in ("title", "description"):
        body.pop(k, None)
    props = dict(body["properties"])
    props["type"] = {"description": "The topic name", "const": topic_name}
    props["data"] = data
    body["properties"] = props
    return body


def bundled_event_schema(topic_name: str) -> dict:
    """One self-contained JSON Schema (no external $ref) for a whole `topic_name` record value:
    the envelope with `type` fixed to the topic and `data` = the topic's payload."""
    return copy.deepcopy(_bundled_event(topic_name))


@functools.cache
def _bundled_http(name: str) -> dict:
    uri = http_schema_uri(name)
    schema = _schema(uri, "HTTP")
    b = _Bundler()
    body = b.rewrite(schema, uri)
    head = {"$schema": DIALECT, "$id": f"{BASE_URI}bundled/http/{name}.json"}
    return _finish(b, head, body)


def http_schema(name: str) -> dict:
    """The HTTP body schema `name`, bundled (self-contained)."""
    return copy.deepcopy(_bundled_http(name))


def write_broker_registry(directory) -> list[Path]:
    """Write `<topic>.json` for every topic: the embedded broker's file schema registry, which
    validates each record value against the file's `properties.value`."""
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for t in _topics():
        path = folder / f"{t.name}.json"
        doc = {"type": "object", "properties": {"value": _bundled_event(t.name)}}
        path.write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        written.append(path)
    return written

