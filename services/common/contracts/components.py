"""The contracts as the shared schemas of one OpenAPI or AsyncAPI document.

A bundled schema (bundling) is self-contained: its definitions sit in its own `$defs`, referenced
as '#/$defs/...' relative to its `$id`. jsonschema resolves that; OpenAPI and AsyncAPI tools
(validators, Swagger UI, code generators, gateways) resolve every '#/...' against the document
root, so a document that embeds such schemas is broken for them. Here every contract a document
names, and every definition it reaches, becomes one entry of the document's `components/schemas`,
referenced as '#/components/schemas/<name>'; the files in `contracts/` stay the one source.

A `const` without a `type` gets the type its value implies (`{"const": true}` is `{"type": "boolean",
"const": true}` for any validator): code generators choose a property's type from `type`, and
openapi-python-client 0.29 writes code that does not compile for an untyped optional boolean const.
"""
from __future__ import annotations

import re

from .bundling import _Bundler, _envelope_of
from .loading import event_schema_uri, http_schema_uri, topic, topics

PREFIX = "#/components/schemas/"


class ComponentSchemas:
    """Collects the `components/schemas` of one document; each call answers a `$ref` to its schema."""

    def __init__(self) -> None:
        self._bundler = _Bundler(prefix=PREFIX)
        self._events: dict[str, str] = {}  # topic -> component name of its whole event

    def http(self, name: str) -> dict:
        """{'$ref': ...} to the HTTP body contract contracts/http/<name>.schema.json."""
        return {"$ref": self._bundler.localize(http_schema_uri(name))}

    def payload(self, topic_name: str) -> dict:
        """{'$ref': ...} to the topic's payload (the event's `data`), contracts/events/<topic>.schema.json."""
        topic(topic_name)  # an unknown topic raises KeyError
        return {"$ref": self._bundler.localize(event_schema_uri(topic_name))}

    def event(self, topic_name: str) -> dict:
        """{'$ref': ...} to a whole record value of the topic: the envelope with `type` fixed to the
        topic and `data` = the topic's payload (what bundled_event_schema holds, by reference)."""
        if topic_name not in self._events:
            t = topic(topic_name)
            name = self._bundler.reserve(f"{t.name}.event")
            self._events[topic_name] = name
            body = _envelope_of(self._bundler, t.name, self.payload(t.name))
            self._bundler.defs[name] = {"title": f"{t.name} event", "description": t.description, **body}
        return {"$ref": PREFIX + self._events[topic_name]}

    def schemas(self) -> dict:
        """The `components/schemas` object: every schema referenced so far, by name."""
        return {k: _typed_consts(self._bundler.defs[k]) for k in sorted(self._bundler.defs)}


_ROUTE_TITLE = re.compile(r"\((GET|POST|PUT|PATCH|DELETE) /")


def _pascal(text: str) -> str:
    return "".join(w[:1].upper() + w[1:] for w in re.split(r"[^A-Za-z0-9]+", text) if w)


def model_titles(schemas: dict[str, dict]) -> dict[str, dict]:
    """`components/schemas` with titles a code generator makes distinct model names of.

    Generators name a model by its schema's `title` (openapi-python-client keeps only what follows
    the last '/' of it). A title that names its route ('Extension request (POST /deployments/...)')
    becomes the component's name in PascalCase ('ExtensionRequest'), and a topic's payload is named
    '<Topic>Payload' ('DeploymentExtendedPayload'), apart from the HTTP answer that carries it
    ('DeploymentExtended'); other titles stay. A component that only refers to another is given as a
    copy of it. Raises ValueError when two models would still share a name."""
    payloads = {t.name for t in topics()}
    out, named = {}, {}
    for key, schema in schemas.items():
        schema = _unaliased(schema, schemas)
        title = schema.get("title")
        if key in payloads:
            schema = {**schema, "title": _pascal(key) + "Payload"}
        elif title and _ROUTE_TITLE.search(title):
            schema = {**schema, "title": _pascal(key)}
        out[key] = schema
        named.setdefault(_pascal(schema.get("title") or key).lower(), []).append(key)
    clashes = [keys for keys in named.values() if len(keys) > 1]
    if clashes:
        raise ValueError(f"components that would share a model name: {clashes}")
    return out


_ANNOTATION_WORDS = {"$ref", "title", "description", "$comment", "examples"}


def _unaliased(schema: dict, schemas: dict[str, dict]) -> dict:
    """A component that only names another ('$ref' and annotations: an HTTP answer that is an event's
    payload) as a copy of the one it names, under its own title and description: a generator then
    makes a model of each, where it would otherwise make the one named twice and fail."""
    seen = set()
    while set(schema) <= _ANNOTATION_WORDS and str(schema.get("$ref", "")).startswith(PREFIX):
        name = schema["$ref"][len(PREFIX):]
        if name in seen or name not in schemas:
            break
        seen.add(name)
        own = {k: v for k, v in schema.items() if k != "$ref"}
        schema = {**schemas[name], **own}
    return schema


_SCHEMA_MAPS = ("properties", "patternProperties", "$defs", "dependentSchemas")
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
_SCHEMAS = ("items", "additionalProperties", "not", "if", "then", "else", "propertyNames", "contains",
            "unevaluatedItems", "unevaluatedProperties")


def _json_type(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    return {float: "number", str: "string", list: "array", dict: "object"}[type(value)]


def _typed_consts(schema):
    """`schema` with `type` added beside every untyped `const` (walking subschemas only, not values)."""
    if not isinstance(schema, dict):
        return schema
    out = dict(schema)
    if "const" in out and "type" not in out:
        out["type"] = _json_type(out["const"])
    for k in _SCHEMA_MAPS:
        if isinstance(out.get(k), dict):
            out[k] = {name: _typed_consts(v) for name, v in out[k].items()}
    for k in _SCHEMA_LISTS:
        if isinstance(out.get(k), list):
            out[k] = [_typed_consts(v) for v in out[k]]
    for k in _SCHEMAS:
        if k in out:
            out[k] = _typed_consts(out[k])
    return out
