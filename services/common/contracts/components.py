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

from .bundling import _Bundler, _envelope_of
from .loading import event_schema_uri, http_schema_uri, topic

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
