"""Loading the contracts: topics.yaml, every schema file by its $id, and the schema registry.

Everything here is read once and cached: the files in `contracts/` do not change while a process runs.
"""
from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from services.common.config import CONTRACTS

BASE_URI = "https://mutual-deploy.example/contracts/"
ENVELOPE_URI = BASE_URI + "envelope.schema.json"
DEFS_URI = BASE_URI + "defs.schema.json"
DIALECT = "https://json-schema.org/draft/2020-12/schema"


@dataclass(frozen=True)
class Topic:
    name: str
    key: str
    partitions: int
    retention_ms: int
    producer: str                  # the first (usually only) producer
    consumers: tuple[str, ...]
    edxl_rm: str | None
    description: str
    producers: tuple[str, ...] = ()  # every producer; `producer: [a, b]` in topics.yaml



def _read_json(path: Path) -> Any:
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def defined(name: str) -> tuple:
    """The values of a shared enumeration in defs.schema.json (`$defs/<name>/enum`), in its order."""
    return tuple(_read_json(CONTRACTS / "defs.schema.json")["$defs"][name]["enum"])


# the six officer modules, as every service and page names them (defs.schema.json, $defs/module)
MODULES: tuple[str, ...] = defined("module")


@functools.cache
def _topics() -> tuple[Topic, ...]:
    with open(CONTRACTS / "topics.yaml", encoding="utf-8") as fh:
        doc = yaml.safe_load(fh)
    out = []
    for entry in doc["topics"]:
        producers = entry["producer"] if isinstance(entry["producer"], list) else [entry["producer"]]
        out.append(Topic(
            name=entry["name"],
            key=entry["key"],
            partitions=int(entry.get("partitions", 6)),
            retention_ms=int(entry.get("retention_ms", 7 * 24 * 3600 * 1000)),
            producer=producers[0],
            producers=tuple(producers),
            consumers=tuple(entry.get("consumers") or ()),
            edxl_rm=entry.get("edxl_rm"),
            description=" ".join(str(entry.get("description", "")).split()),
        ))
    names = [t.name for t in out]
    if len(set(names)) != len(names):
        raise ValueError(f"duplicate topic in topics.yaml: {names}")
    return tuple(out)


def topics() -> list[Topic]:
    """Every topic in contracts/topics.yaml, in file order."""
    return list(_topics())


def topic(name: str) -> Topic:
    for t in _topics():
        if t.name == name:
            return t
    raise KeyError(f"unknown topic {name!r}; known topics: {', '.join(t.name for t in _topics())}")


def _uri(path: Path) -> str:
    return BASE_URI + path.relative_to(CONTRACTS).as_posix()


@functools.cache
def _schemas() -> dict[str, dict]:
    """Every contract schema by its $id (which must match where the file lives)."""
    out = {}
    for path in sorted(CONTRACTS.rglob("*.schema.json")):
        contents = _read_json(path)
        expected = _uri(path)
        if contents.get("$id") != expected:
            raise ValueError(f"{path.name}: $id must be {expected!r}, found {contents.get('$id')!r}")
        out[expected] = contents
    return out


@functools.cache
def registry() -> Registry:
    """A referencing.Registry holding every contract schema."""
    resources = [(uri, DRAFT202012.create_resource(c)) for uri, c in _schemas().items()]
    return Registry().with_resources(resources).crawl()


def event_schema_uri(topic_name: str) -> str:
    return f"{BASE_URI}events/{topic_name}.schema.json"


def http_schema_uri(name: str) -> str:
    return f"{BASE_URI}http/{name}.schema.json"


def _schema(uri: str, what: str) -> dict:
    try:
        return _schemas()[uri]
    except KeyError:
        raise KeyError(f"no {what} schema {uri.removeprefix(BASE_URI)!r} in contracts/") from None


def http_names() -> list[str]:
    """Names of the HTTP body contracts (contracts/http/<name>.schema.json)."""
    prefix = BASE_URI + "http/"
    return sorted(u[len(prefix):-len(".schema.json")] for u in _schemas() if u.startswith(prefix))
