"""validate_event and validate_body: the fast check first, jsonschema to name the failing fields.

Each contract's validator is compiled once from its bundled schema (for a topic: the envelope with
`data` = the topic's payload), with date-time formats checked. An instance the fast check accepts
is valid; only one it rejects is walked by jsonschema, whose errors become `Issue`s.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator

from .bundling import _bundled_event, _bundled_http
from .fastcheck import _compile
from .formats import FORMAT_CHECKER
from .loading import registry


@dataclass(frozen=True, order=True)
class Issue:
    field: str  # JSON path of the failing field, e.g. "data.location.county"; "(root)" for the whole
    reason: str

    def as_dict(self) -> dict:
        return {"field": self.field, "reason": self.reason}


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
