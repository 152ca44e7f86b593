"""The contracts in `contracts/` as Python: topics, validation, bundled schemas, AsyncAPI.

`contracts/` is the single source of truth for every Kafka message and HTTP body:

- `topics.yaml`                      the topics (key, partitions, retention, producer, consumers)
- `envelope.schema.json`             the CloudEvents 1.0 envelope every record value is wrapped in
- `defs.schema.json`                 shared definitions
- `events/<topic>.schema.json`       the payload (`data`) of each topic, with an example envelope
- `http/<name>.schema.json`          HTTP bodies, each with an example

Validation uses jsonschema's Draft202012Validator over a `referencing.Registry` that holds every
contract schema, with date-time formats checked. Each topic's validator is compiled once from the
bundled schema (envelope with `data` = the topic's payload). A jsonschema pass over an event
costs milliseconds, too slow for every publish and consume, so every validator also gets a
compiled fast check of the same schema (`_compile`, tens of microseconds): an event it accepts is
valid; only an event it rejects is walked by jsonschema, which names the failing fields. The unit
tests hold the two to the same verdict.

Command line:
    python -m services.common.contracts asyncapi > contracts/asyncapi.yaml
    python -m services.common.contracts registry DIR      # schema files for the embedded broker
    python -m services.common.contracts rehash-examples   # re-chain the example envelopes
    python -m services.common.contracts bench             # validations per second
"""
from __future__ import annotations

import copy
import functools
import hashlib
import json
import re
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urldefrag, urljoin

import yaml
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from services.common.config import CONTRACTS

BASE_URI = "https://mutual-deploy.example/contracts/"
ENVELOPE_URI = BASE_URI + "envelope.schema.json"
DEFS_URI = BASE_URI + "defs.schema.json"
DIALECT = "https://json-schema.org/draft/2020-12/schema"
GENESIS_HASH = "0" * 64
SERVERS = {
    "local": ("127.0.0.1:19092", "The embedded Tansu broker (Kafka protocol), started by infra/"),
    "production": ("kafka:9092", "Apache Kafka (KRaft) in docker-compose"),
}
KAFKA_BINDING_VERSION = "0.5.0"


@dataclass(frozen=True)
class Topic:
    name: str
    key: str
    partitions: int
    retention_ms: int
    producer: str
    consumers: tuple[str, ...]
    edxl_rm: str | None
    description: str


@dataclass(frozen=True, order=True)
class Issue:
    field: str  # JSON path of the failing field, e.g. "data.location.county"; "(root)" for the whole
    reason: str

    def as_dict(self) -> dict:
        return {"field": self.field, "reason": self.reason}


# --------------------------------------------------------------------------------------- loading

def _read_json(path: Path) -> Any:
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


@functools.cache
def _topics() -> tuple[Topic, ...]:
    with open(CONTRACTS / "topics.yaml", encoding="utf-8") as fh:
        doc = yaml.safe_load(fh)
    out = []
    for entry in doc["topics"]:
        out.append(Topic(
            name=entry["name"],
            key=entry["key"],
            partitions=int(entry.get("partitions", 6)),
            retention_ms=int(entry.get("retention_ms", 7 * 24 * 3600 * 1000)),
            producer=entry["producer"],
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


# -------------------------------------------------------------------------------------- bundling

class _Bundler:
    """Copies a schema with every $ref it reaches (in any contract file) into one local $defs."""

    def __init__(self) -> None:
        self.defs: dict[str, Any] = {}
        self.names: dict[str, str] = {}  # absolute target URI -> local $defs name

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
            name = fragment.rsplit("/", 1)[-1] if fragment else doc_uri.rsplit("/", 1)[-1].split(".")[0]
            stem, n = name, 2
            while name in self.defs:
                name, n = f"{stem}_{n}", n + 1
            self.names[target] = name
            self.defs[name] = None  # reserve the name before descending
            self.defs[name] = self.rewrite(node, doc_uri)
        return "#/$defs/" + self.names[target]


def _finish(bundler: _Bundler, head: dict, body: dict) -> dict:
    out = dict(head)
    out.update(body)
    if bundler.defs:
        out["$defs"] = {k: bundler.defs[k] for k in sorted(bundler.defs)}
    return out


@functools.cache
def _bundled_event(topic_name: str) -> dict:
    t = topic(topic_name)
    envelope = _schema(ENVELOPE_URI, "envelope")
    payload_uri = event_schema_uri(topic_name)
    payload = _schema(payload_uri, "event")
    b = _Bundler()
    body = b.rewrite(envelope, ENVELOPE_URI)
    for k in ("title", "description"):
        body.pop(k, None)
    props = dict(body["properties"])
    props["type"] = {"description": "The topic name", "const": t.name}
    props["data"] = b.rewrite(payload, payload_uri)
    body["properties"] = props
    head = {
        "$schema": DIALECT,
        "$id": f"{BASE_URI}bundled/{t.name}.json",
        "title": f"{t.name} event",
        "description": t.description,
    }
    return _finish(b, head, body)


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


# ------------------------------------------------------------------------------------ validation

_DATE_TIME = re.compile(
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})$")

FORMAT_CHECKER = FormatChecker()


@FORMAT_CHECKER.checks("date-time", raises=ValueError)
def _is_date_time(value: object) -> bool:
    """RFC 3339 date-time (jsonschema only checks it when rfc3339-validator is installed)."""
    if not isinstance(value, str):
        return True
    if not _DATE_TIME.match(value):
        return False
    datetime.fromisoformat(value.upper())  # raises ValueError for a month 13, a 31 February...
    return True


class _Checked:
    """A compiled jsonschema validator plus the fast check of the same schema."""

    __slots__ = ("validator", "fast")

    def __init__(self, schema: dict) -> None:
        self.validator = Draft202012Validator(schema, registry=registry(), format_checker=FORMAT_CHECKER)
        self.fast = _compile(schema, schema.get("$defs", {}))

    def issues(self, instance: Any) -> list[Issue]:
        if self.fast(instance):
            return []
        return _issues(self.validator.iter_errors(instance))


@functools.cache
def _event_checker(topic_name: str) -> _Checked:
    return _Checked(_bundled_event(topic_name))


@functools.cache
def _http_checker(name: str) -> _Checked:
    return _Checked(_bundled_http(name))


def validate_event(topic_name: str, event: Any) -> list[Issue]:
    """Issues of `event` (a whole envelope) against the envelope and `topic_name`'s payload.

    [] when valid. `event["type"]` must equal the topic name. Raises KeyError for an unknown topic.
    """
    return _event_checker(topic_name).issues(event)  # an unknown topic raises KeyError in topic()


def validate_body(name: str, body: Any) -> list[Issue]:
    """Issues of an HTTP body against contracts/http/<name>.schema.json; [] when valid."""
    return _http_checker(name).issues(body)


def _path(parts) -> str:
    out = ""
    for p in parts:
        if isinstance(p, int):
            out += f"[{p}]"
        else:
            out += f".{p}" if out else str(p)
    return out or "(root)"


def _join(base: str, name: str) -> str:
    return name if base == "(root)" else f"{base}.{name}"


def _short(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _issues(errors) -> list[Issue]:
    found: set[Issue] = set()
    formats: set[str] = set()
    patterns: list[Issue] = []
    for e in errors:
        where = _path(e.absolute_path)
        if e.validator == "required" and isinstance(e.instance, dict):
            # point at the missing field itself, e.g. data.location.county
            for name in e.validator_value:
                if name not in e.instance and e.message == f"{name!r} is a required property":
                    where = _join(where, name)
                    break
            found.add(Issue(where, e.message))
        elif e.validator == "additionalProperties" and isinstance(e.instance, dict) and e.validator_value is False:
            allowed = e.schema.get("properties", {})
            pats = e.schema.get("patternProperties", {})
            for name in e.instance:
                if name not in allowed and not any(re.search(p, name) for p in pats):
                    found.add(Issue(_join(where, str(name)), f"Additional properties are not allowed ({name!r} was unexpected)"))
        elif e.validator == "not" and isinstance(e.schema, dict) and "description" in e.schema:
            found.add(Issue(where, _short(f"{e.instance!r} is not allowed: {e.schema['description']}")))
        elif e.validator == "pattern":
            patterns.append(Issue(where, _short(e.message)))
        else:
            if e.validator == "format":
                formats.add(where)
            found.add(Issue(where, _short(e.message)))
    # a malformed timestamp breaks both its pattern and its format: report it once
    found.update(i for i in patterns if i.field not in formats)
    return sorted(found)


# --------------------------------------------------------------------------------- fast checking
#
# jsonschema walks a schema object by object (about 20 us per subschema here), far too slow for a
# check on every publish and consume. So each bundled schema is also translated, once, into the
# source of one Python function that returns True or False, with every $ref inlined. Only the
# keywords the contracts use are translated; a schema with any other keyword gets no fast check
# (`_never`), which only costs speed: whenever the fast check says False, jsonschema decides.

_MISSING = object()
_FAST_TYPES = {
    "object": "isinstance({v}, dict)",
    "array": "isinstance({v}, list)",
    "string": "isinstance({v}, str)",
    "integer": "((isinstance({v}, int) and not isinstance({v}, bool))"
               " or (isinstance({v}, float) and {v}.is_integer()))",
    "number": "(isinstance({v}, (int, float)) and not isinstance({v}, bool))",
    "boolean": "isinstance({v}, bool)",
    "null": "{v} is None",
}
_OBJECT_WORDS = ("properties", "additionalProperties", "required", "propertyNames")
_ARRAY_WORDS = ("items", "minItems", "maxItems", "uniqueItems")
_NUMBER_WORDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")
_STRING_WORDS = ("minLength", "maxLength", "pattern", "format")
_ANNOTATIONS = frozenset(("$schema", "$id", "$defs", "$comment", "title", "description", "examples",
                          "default", "deprecated", "readOnly", "writeOnly"))
_FAST_WORDS = frozenset(("type", "const", "enum", "$ref", "allOf", "not", "if", "then", "else",
                         *_OBJECT_WORDS, *_ARRAY_WORDS, *_NUMBER_WORDS, *_STRING_WORDS)) | _ANNOTATIONS


class _Unsupported(Exception):
    pass


def _never(_: Any) -> bool:
    return False


def _json_equal(a: Any, b: Any) -> bool:
    """JSON equality as jsonschema's const/enum/uniqueItems see it (True is not 1)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_json_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_json_equal(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def _unique(items: list) -> bool:
    if all(type(x) is str for x in items):
        return len(set(items)) == len(items)
    return not any(_json_equal(items[i], items[j])
                   for i in range(len(items)) for j in range(i + 1, len(items)))


class _FastCompiler:
    """Writes the source of `check(v0) -> bool` for one schema; `$ref`s into `defs` are inlined."""

    def __init__(self, defs: dict) -> None:
        self.defs = defs
        self.names: dict[str, Any] = {}  # constants and helper functions of the generated code
        self.lines: list[str] = []
        self.count = 0
        self.stack: list[str] = []  # the $defs being inlined, to refuse recursion

    def constant(self, value: Any) -> str:
        name = f"_c{len(self.names)}"
        self.names[name] = value
        return name

    def local(self) -> str:
        self.count += 1
        return f"v{self.count}"

    def out(self, depth: int, text: str) -> None:
        self.lines.append("    " * depth + text)

    def fail_unless(self, depth: int, condition: str) -> None:
        self.out(depth, f"if not ({condition}): return False")

    def function(self, schema: Any) -> str:
        """Compile `schema` into a separate function (for `if` and `not`, whose failure must not return)."""
        saved, self.lines = self.lines, []
        name = f"_f{len(self.names)}"
        self.names[name] = None
        self.emit(schema, "v0", 1)
        self.names[name] = [f"def {name}(v0):", *self.lines, "    return True"]
        self.lines = saved
        return name

    def emit(self, s: Any, v: str, d: int) -> None:
        """Lines that `return False` unless the value in variable `v` is valid against `s`."""
        if s is True:
            return
        if s is False:
            self.out(d, "return False")
            return
        if not isinstance(s, dict) or not _FAST_WORDS.issuperset(s):
            raise _Unsupported(repr(s)[:80])
        if "$ref" in s:
            self.ref(s["$ref"], v, d)
        known = self.type(s["type"], v, d) if "type" in s else None
        self.values(s, v, d)
        for sub in s.get("allOf", ()):
            self.emit(sub, v, d)
        if "not" in s:
            self.out(d, f"if {self.function(s['not'])}({v}): return False")
        if "if" in s:
            self.conditional(s, v, d)
        for words, kind, test, method in (
            (_OBJECT_WORDS, "object", "isinstance({v}, dict)", self.object),
            (_ARRAY_WORDS, "array", "isinstance({v}, list)", self.array),
            (_NUMBER_WORDS, "number", "isinstance({v}, (int, float)) and not isinstance({v}, bool)", self.number),
            (_STRING_WORDS, "string", "isinstance({v}, str)", self.string),
        ):
            if any(k in s for k in words):
                if known == kind or (kind == "number" and known == "integer"):
                    method(s, v, d)  # the type is already checked: no guard needed
                else:
                    self.out(d, f"if {test.format(v=v)}:")
                    method(s, v, d + 1)
                    self.out(d + 1, "pass")

    def ref(self, ref: str, v: str, d: int) -> None:
        name = ref[len("#/$defs/"):] if ref.startswith("#/$defs/") else None
        if name not in self.defs or name in self.stack:
            raise _Unsupported(ref)  # a remote or recursive reference
        self.stack.append(name)
        self.emit(self.defs[name], v, d)
        self.stack.pop()

    def type(self, spec: Any, v: str, d: int) -> str | None:
        names = spec if isinstance(spec, list) else [spec]
        if any(n not in _FAST_TYPES for n in names):
            raise _Unsupported(str(names))
        self.fail_unless(d, " or ".join(_FAST_TYPES[n].format(v=v) for n in names))
        return names[0] if len(names) == 1 else None

    def values(self, s: dict, v: str, d: int) -> None:
        if "const" in s:
            c = s["const"]
            if isinstance(c, str):
                self.fail_unless(d, f"isinstance({v}, str) and {v} == {c!r}")
            else:
                self.fail_unless(d, f"_json_equal({v}, {self.constant(c)})")
        if "enum" in s:
            options = s["enum"]
            if all(isinstance(o, str) for o in options):
                self.fail_unless(d, f"isinstance({v}, str) and {v} in {self.constant(frozenset(options))}")
            else:
                self.fail_unless(d, f"any(_json_equal({v}, o) for o in {self.constant(tuple(options))})")

    def conditional(self, s: dict, v: str, d: int) -> None:
        self.out(d, f"if {self.function(s['if'])}({v}):")
        self.emit(s.get("then", True), v, d + 1)
        self.out(d + 1, "pass")
        self.out(d, "else:")
        self.emit(s.get("else", True), v, d + 1)
        self.out(d + 1, "pass")

    def object(self, s: dict, v: str, d: int) -> None:
        props = s.get("properties", {})
        if s.get("required"):
            self.fail_unless(d, f"{v}.keys() >= {self.constant(frozenset(s['required']))}")
        for name, sub in props.items():
            w = self.local()
            self.out(d, f"{w} = {v}.get({name!r}, _MISSING)")
            self.out(d, f"if {w} is not _MISSING:")
            self.emit(sub, w, d + 1)
            self.out(d + 1, "pass")
        extra = s.get("additionalProperties", True)
        allowed = self.constant(frozenset(props))
        if extra is False:
            self.fail_unless(d, f"{allowed}.issuperset({v})")
        elif extra is not True:
            k, w = self.local(), self.local()
            self.out(d, f"for {k}, {w} in {v}.items():")
            self.out(d + 1, f"if {k} not in {allowed}:")
            self.emit(extra, w, d + 2)
            self.out(d + 2, "pass")
        if "propertyNames" in s:
            k = self.local()
            self.out(d, f"for {k} in {v}:")
            self.emit(s["propertyNames"], k, d + 1)
            self.out(d + 1, "pass")

    def array(self, s: dict, v: str, d: int) -> None:
        if "minItems" in s:
            self.fail_unless(d, f"len({v}) >= {int(s['minItems'])}")
        if "maxItems" in s:
            self.fail_unless(d, f"len({v}) <= {int(s['maxItems'])}")
        if s.get("uniqueItems"):
            self.fail_unless(d, f"_unique({v})")
        if "items" in s:
            w = self.local()
            self.out(d, f"for {w} in {v}:")
            self.emit(s["items"], w, d + 1)
            self.out(d + 1, "pass")

    def number(self, s: dict, v: str, d: int) -> None:
        for word, op in (("minimum", ">="), ("maximum", "<="), ("exclusiveMinimum", ">"), ("exclusiveMaximum", "<")):
            if word in s:
                bound = s[word]
                if isinstance(bound, bool) or not isinstance(bound, (int, float)):
                    raise _Unsupported(word)
                self.fail_unless(d, f"{v} {op} {bound!r}")

    def string(self, s: dict, v: str, d: int) -> None:
        if "minLength" in s:
            self.fail_unless(d, f"len({v}) >= {int(s['minLength'])}")
        if "maxLength" in s:
            self.fail_unless(d, f"len({v}) <= {int(s['maxLength'])}")
        if "pattern" in s:
            self.fail_unless(d, f"{self.constant(re.compile(s['pattern']))}.search({v}) is not None")
        fmt = s.get("format")
        if fmt == "date-time":  # _is_date_time, inlined
            self.fail_unless(d, f"_DATE_TIME.match({v}) is not None")
            self.out(d, "try:")
            self.out(d + 1, f"_fromisoformat({v}.upper())")
            self.out(d, "except ValueError:")
            self.out(d + 1, "return False")
        elif fmt in FORMAT_CHECKER.checkers:
            self.fail_unless(d, f"_conforms({v}, {fmt!r})")


def _compile(schema: Any, defs: dict) -> Callable[[Any], bool]:
    """A function equivalent to `Draft202012Validator(schema, format_checker=FORMAT_CHECKER).is_valid`
    for the keywords above; `_never` when the schema uses anything else."""
    gen = _FastCompiler(defs)
    try:
        gen.emit(schema, "v0", 1)
    except _Unsupported:
        return _never
    functions = [line for value in gen.names.values() if isinstance(value, list) for line in value]
    source = "\n".join([*functions, "def check(v0):", *gen.lines, "    return True", ""])
    namespace = {k: v for k, v in gen.names.items() if not isinstance(v, list)}
    namespace.update(_MISSING=_MISSING, _json_equal=_json_equal, _unique=_unique,
                     _DATE_TIME=_DATE_TIME, _fromisoformat=datetime.fromisoformat,
                     _conforms=FORMAT_CHECKER.conforms)
    exec(compile(source, "<contract fast check>", "exec"), namespace)
    check = namespace["check"]
    check.source = source  # type: ignore[attr-defined]
    return check


# ------------------------------------------------------------------------------------- examples

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


# ----------------------------------------------------------------------------- broker and AsyncAPI

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


def _key_schema(t: Topic) -> dict:
    bundled = _bundled_event(t.name)
    field = bundled["properties"]["data"]["properties"][t.key]
    while "$ref" in field:
        field = {**bundled["$defs"][field["$ref"].rsplit("/", 1)[-1]],
                 **{k: v for k, v in field.items() if k != "$ref"}}
    out = {"type": "string", "description": f"Record key: the event's data.{t.key}"}
    if "pattern" in field:
        out["pattern"] = field["pattern"]
    return out


def _channel(t: Topic) -> dict:
    message = {
        "name": t.name,
        "title": _schema(event_schema_uri(t.name), "event").get("title", t.name),
        "summary": t.description.split(". ")[0].rstrip(".") + ".",
        "contentType": "application/cloudevents+json",
        "payload": copy.deepcopy(_bundled_event(t.name)),
        "bindings": {"kafka": {"key": _key_schema(t), "bindingVersion": KAFKA_BINDING_VERSION}},
        "examples": [{"name": "example", "summary": f"An example {t.name} event",
                      "payload": example_event(t.name)}],
    }
    if t.edxl_rm:
        message["x-edxl-rm"] = t.edxl_rm
    return {
        "address": t.name,
        "title": t.name,
        "description": t.description,
        "messages": {t.name: message},
        "bindings": {"kafka": {
            "topic": t.name,
            "partitions": t.partitions,
            "topicConfiguration": {"cleanup.policy": ["delete"], "retention.ms": t.retention_ms},
            "bindingVersion": KAFKA_BINDING_VERSION,
        }},
    }


def _operations(t: Topic) -> dict:
    refs = {"channel": {"$ref": f"#/channels/{t.name}"},
            "messages": [{"$ref": f"#/channels/{t.name}/messages/{t.name}"}]}
    out = {f"{t.producer}.send.{t.name}": {
        "action": "send", "title": f"{t.producer} publishes {t.name}", **copy.deepcopy(refs)}}
    for consumer in t.consumers:
        group = {
            "type": "string",
            "description": f"{consumer} live; {consumer}.exercise.<exerciseid> in an exercise",
            "pattern": f"^{re.escape(consumer)}(\\.exercise\\.[A-Za-z0-9._:-]+)?$",
        }
        out[f"{consumer}.receive.{t.name}"] = {
            "action": "receive", "title": f"{consumer} consumes {t.name}", **copy.deepcopy(refs),
            "bindings": {"kafka": {"groupId": group, "bindingVersion": KAFKA_BINDING_VERSION}},
        }
    return out


def asyncapi() -> dict:
    """The AsyncAPI 3.0 document of all topics, generated from topics.yaml and the schemas."""
    operations: dict[str, Any] = {}
    for t in _topics():
        operations.update(_operations(t))
    return {
        "asyncapi": "3.0.0",
        "id": "urn:mutual-deploy:contracts",
        "info": {
            "title": "Mutual deployment of on-duty police: event contracts",
            "version": "1.0.0",
            "description": (
                "Every Kafka topic of the system. Each record value is a CloudEvents 1.0 event in "
                "structured JSON whose `type` is the topic name and whose `data` is the topic's "
                "payload. Generated from contracts/ by `python -m services.common.contracts "
                "asyncapi`; do not edit by hand."),
            "license": {"name": "Apache-2.0", "url": "https://www.apache.org/licenses/LICENSE-2.0"},
        },
        "defaultContentType": "application/cloudevents+json",
        "servers": {
            name: {"host": host, "protocol": "kafka", "description": text}
            for name, (host, text) in SERVERS.items()
        },
        "channels": {t.name: _channel(t) for t in _topics()},
        "operations": operations,
    }


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True


def asyncapi_yaml() -> str:
    """asyncapi() as the YAML text checked in as contracts/asyncapi.yaml."""
    header = "# Generated by: python -m services.common.contracts asyncapi > contracts/asyncapi.yaml\n"
    return header + yaml.dump(asyncapi(), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


# ------------------------------------------------------------------------------ example tooling

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


def _rate(events: list[tuple[str, dict]], seconds: float) -> float:
    """validate_event calls per second of CPU time (steady under a busy machine), best of 3."""
    import time
    best = 0.0
    for _ in range(3):
        n, start = 0, time.process_time()
        while time.process_time() - start < seconds / 3:
            for name, event in events:
                validate_event(name, event)
            n += len(events)
        best = max(best, n / (time.process_time() - start))
    return best


def _bench(seconds: float = 3.0) -> None:
    events = [(t.name, example_event(t.name)) for t in _topics()]
    for name, event in events:
        assert validate_event(name, event) == [], name
    print(f"validate_event: {_rate(events, seconds):,.0f} valid events/s (the {len(events)} examples)")
    broken = []
    for name, event in events:
        bad = copy.deepcopy(event)
        del bad["data"][topic(name).key]
        broken.append((name, bad))
    print(f"validate_event: {_rate(broken, seconds):,.0f} invalid events/s (jsonschema names the issues)")


def main(argv: list[str] | None = None) -> int:
    import argparse
    parser = argparse.ArgumentParser(prog="python -m services.common.contracts", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("asyncapi", help="print the AsyncAPI 3.0 document (YAML)")
    reg = sub.add_parser("registry", help="write the broker's schema registry files into DIR")
    reg.add_argument("directory")
    sub.add_parser("rehash-examples", help="rewrite seq/prevhash/hash of the example envelopes")
    sub.add_parser("bench", help="measure validate_event throughput")
    args = parser.parse_args(argv)
    if args.command == "asyncapi":
        sys.stdout.buffer.write(asyncapi_yaml().encode("utf-8"))
    elif args.command == "registry":
        for path in write_broker_registry(args.directory):
            print(path)
    elif args.command == "rehash-examples":
        for path in rehash_examples():
            print(path)
    elif args.command == "bench":
        _bench()
    return 0


if __name__ == "__main__":
    sys.exit(main())
