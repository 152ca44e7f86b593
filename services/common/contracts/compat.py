"""Compatibility of the event contracts between releases, as a schema registry checks it.

A release is a snapshot of the event contracts (`contracts/releases/<version>.json`: every
`events/<topic>.schema.json`, `defs.schema.json` and `envelope.schema.json` by its path, refs
resolved inside the snapshot). Two directions, as Confluent's and Apicurio's registries name them:

- BACKWARD: the new schema reads everything the old one accepted (consumers upgraded first, and
  events already on the topics or in an outbox replay still pass). Breaks: a removed field (the
  payloads are closed), a new required field, a narrowed type, a narrowed enum or a tightened
  constraint.
- FORWARD: the old schema reads everything the new one accepts (producers upgraded first): an
  added field, a widened enum or type, a field made optional break it.
- FULL: both.

`breaks(old, new, mode)` walks two schemas side by side ($refs followed on each side) and names
every place where a writer may produce a value the reader refuses. It decides from the keywords
the contracts use; composed rules (allOf, if/then/else, not, anyOf, oneOf) that differ are
reported as a break, because whether they still agree cannot be decided keyword by keyword.

Every payload schema carries `x-version` (MAJOR.MINOR.PATCH): a change that keeps the release's
BACKWARD compatibility raises MINOR (PATCH for words only); a breaking change raises MAJOR, and
its consumers must move with it. `release_problems` applies that rule to every topic.
"""
from __future__ import annotations

import json
import posixpath
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Mapping

BACKWARD, FORWARD, FULL = "BACKWARD", "FORWARD", "FULL"
MODES = (BACKWARD, FORWARD, FULL)
# The level the project keeps between releases: BACKWARD, a schema registry's default. Consumers
# (the services, the twin, integrators) move to a new release first, and an added optional field
# or enum value is then a compatible change, as contracts/README.md says; FORWARD would forbid it.
LEVEL = BACKWARD
VERSION = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")
RELEASES = "releases"  # contracts/releases/<version>.json
ANNOTATIONS = frozenset(("$schema", "$id", "$comment", "title", "description", "examples", "default",
                         "deprecated", "readOnly", "writeOnly", "$defs"))
_LOWER_BOUNDS = ("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties")
_UPPER_BOUNDS = ("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties")
_EXACT = ("pattern", "format", "multipleOf")
_COMPOSED = ("allOf", "anyOf", "oneOf", "not", "if", "then", "else", "dependentRequired",
             "dependentSchemas", "patternProperties", "unevaluatedProperties", "contains", "prefixItems")
# What the reader refuses, named by direction: (reader is the new schema, reader is the old one).
_NAMES = {
    "unknown-field": ("removed-field", "added-field"),
    "required": ("new-required-field", "field-no-longer-guaranteed"),
    "type": ("narrowed-type", "widened-type"),
    "enum": ("narrowed-enum", "widened-enum"),
    "constraint": ("tightened-constraint", "relaxed-constraint"),
    "open": ("closed-object", "opened-object"),
    "rule": ("changed-rule", "changed-rule"),
}


@dataclass(frozen=True, order=True)
class Break:
    """One place where data one side accepts is refused by the other."""

    field: str   # "lines[].module", "(payload)" for the root, "keys of local_share"
    kind: str    # removed-field, new-required-field, narrowed-type, narrowed-enum, ... (see _NAMES)
    detail: str

    def __str__(self) -> str:
        return f"{self.field}: {self.kind}: {self.detail}"


Contracts = Mapping[str, Any]  # "events/<topic>.schema.json" (and defs, envelope) -> schema


@dataclass(frozen=True)
class _Side:
    """One side of the comparison: its contracts and the file the schema at hand came from."""

    files: Contracts
    base: str

    def resolve(self, schema: Any) -> tuple[Any, _Side]:
        """`schema` with its $ref (chain) replaced by the target, sibling keywords kept, and the side
        whose base is the file the target lives in."""
        side, seen = self, set()
        while isinstance(schema, dict) and "$ref" in schema:
            ref = schema["$ref"]
            where, _, pointer = ref.partition("#")
            base = posixpath.normpath(posixpath.join(posixpath.dirname(side.base), where)) if where else side.base
            if (base, pointer) in seen:
                raise ValueError(f"circular $ref {ref} in {side.base}")
            seen.add((base, pointer))
            if base not in side.files:
                raise KeyError(f"{side.base}: $ref {ref} names no contract file")
            target = side.files[base]
            for part in filter(None, pointer.split("/")):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            siblings = {k: v for k, v in schema.items() if k != "$ref"}
            schema = {**target, **siblings} if isinstance(target, dict) else target
            side = _Side(side.files, base)
        return schema, side


def breaks(old: Contracts, new: Contracts, path: str, mode: str = BACKWARD) -> list[Break]:
    """Every break between the schema at `path` (e.g. "events/unit.arrived.schema.json") in the old
    and the new contracts, in `mode` (BACKWARD, FORWARD or FULL); [] when compatible."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
    found: set[Break] = set()
    if mode in (BACKWARD, FULL):  # the new schema reads what the old one wrote
        found |= set(_refusals(_Side(new, path), new[path], _Side(old, path), old[path], "", 0, set()))
    if mode in (FORWARD, FULL):   # the old schema reads what the new one writes
        found |= set(_refusals(_Side(old, path), old[path], _Side(new, path), new[path], "", 1, set()))
    return sorted(found)


def _refusals(rside: _Side, reader: Any, wside: _Side, writer: Any, field: str, direction: int,
              seen: set) -> Iterator[Break]:
    """What a writer schema may produce that the reader schema refuses. `direction` 0: the reader is
    the new schema (BACKWARD); 1: the reader is the old one (FORWARD)."""
    reader, rside = rside.resolve(reader)
    writer, wside = wside.resolve(writer)
    key = (field, json.dumps(reader, sort_keys=True), json.dumps(writer, sort_keys=True))
    if key in seen:
        return
    seen.add(key)
    where = field or "(payload)"

    def brk(kind: str, detail: str) -> Break:
        return Break(where, _NAMES[kind][direction], detail)

    if writer is False or reader is True or _words(reader) == {}:
        return
    if reader is False:
        yield brk("rule", "refuses every value")
        return
    writer = {} if writer is True else writer
    yield from _type_and_values(reader, writer, brk)
    yield from _constraints(reader, writer, brk)
    for word in _COMPOSED:
        if word in reader and _canonical(reader[word]) != _canonical(writer.get(word)):
            yield brk("rule", f"`{word}` differs: compatibility cannot be shown keyword by keyword")
    yield from _object(rside, reader, wside, writer, field, direction, seen, brk)
    if "items" in reader:
        yield from _refusals(rside, reader["items"], wside, writer.get("items", True), f"{field}[]", direction, seen)


def _words(schema: Any) -> Any:
    return {k: v for k, v in schema.items() if k not in ANNOTATIONS and not k.startswith("x-")} \
        if isinstance(schema, dict) else schema


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        return "integer"
    return {float: "number", str: "string", list: "array", dict: "object"}[type(value)]


def _values(schema: dict) -> list | None:
    """The values a schema allows when it lists them (enum, const), else None."""
    if "const" in schema:
        return [schema["const"]]
    return list(schema["enum"]) if "enum" in schema else None


def _types(schema: dict) -> set[str] | None:
    """The JSON types a schema allows, None for any (`type`, else implied by enum or const)."""
    if "type" in schema:
        return set(schema["type"]) if isinstance(schema["type"], list) else {schema["type"]}
    values = _values(schema)
    return {_json_type(v) for v in values} if values is not None else None


def _type_and_values(reader: dict, writer: dict, brk) -> Iterator[Break]:
    rtypes, wtypes = _types(reader), _types(writer)
    if rtypes is not None:
        if wtypes is None:
            yield brk("type", f"now only {sorted(rtypes)}, was any type")
        else:
            lost = {t for t in wtypes if t not in rtypes and not (t == "integer" and "number" in rtypes)}
            if lost:
                yield brk("type", f"{sorted(wtypes)} -> {sorted(rtypes)}: {sorted(lost)} refused")
    rvalues, wvalues = _values(reader), _values(writer)
    if rvalues is not None:
        allowed = {_canonical(v) for v in rvalues}
        if wvalues is None:
            yield brk("enum", f"now only {rvalues}, was any value")
        else:
            lost = [v for v in wvalues if _canonical(v) not in allowed]
            if lost:
                yield brk("enum", f"{lost} refused (allowed: {rvalues})")


def _constraints(reader: dict, writer: dict, brk) -> Iterator[Break]:
    for word in _LOWER_BOUNDS:
        if word in reader and (word not in writer or writer[word] < reader[word]):
            yield brk("constraint", f"{word} {writer.get(word, 'none')} -> {reader[word]}")
    for word in _UPPER_BOUNDS:
        if word in reader and (word not in writer or writer[word] > reader[word]):
            yield brk("constraint", f"{word} {writer.get(word, 'none')} -> {reader[word]}")
    for word in _EXACT:
        if word in reader and writer.get(word) != reader[word]:
            yield brk("constraint", f"{word} {writer.get(word, 'none')!r} -> {reader[word]!r}")
    if reader.get("uniqueItems") and not writer.get("uniqueItems"):
        yield brk("constraint", "uniqueItems now required")


def _object(rside, reader: dict, wside, writer: dict, field: str, direction: int, seen: set,
            brk) -> Iterator[Break]:
    rprops, wprops = reader.get("properties", {}), writer.get("properties", {})
    raddl, waddl = reader.get("additionalProperties", True), writer.get("additionalProperties", True)
    prefix = f"{field}." if field else ""
    for name, wsub in wprops.items():
        if name in rprops:
            yield from _refusals(rside, rprops[name], wside, wsub, prefix + name, direction, seen)
        elif raddl is False:
            yield Break(prefix + name, _NAMES["unknown-field"][direction],
                        "the writer's schema has it, the reader's refuses it (additionalProperties: false)")
        else:
            yield from _refusals(rside, raddl, wside, wsub, prefix + name, direction, seen)
    for name, rsub in rprops.items():
        if name not in wprops and waddl is not False:  # the writer may send it as an extra property
            yield from _refusals(rside, rsub, wside, waddl, prefix + name, direction, seen)
    wrequired = set(writer.get("required", ()))
    for name in reader.get("required", ()):
        if name not in wrequired:
            detail = ("required now, the writer may leave it out" if name in wprops or waddl is not False
                      else "required by the reader, unknown to the writer")
            yield Break(prefix + name, _NAMES["required"][direction], detail)
    if raddl is False and waddl is not False:
        yield brk("open", "additionalProperties: false now, the writer allows other fields")
    elif raddl is not True and raddl is not False:
        yield from _refusals(rside, raddl, wside, waddl, prefix + "*", direction, seen)
    if "propertyNames" in reader:
        yield from _refusals(rside, reader["propertyNames"], wside, writer.get("propertyNames", {"type": "string"}),
                             f"keys of {field or '(payload)'}", direction, seen)


# --- releases -------------------------------------------------------------------------------------


def version_of(schema: dict) -> tuple[int, int, int] | None:
    """A schema's `x-version` as (major, minor, patch); None when absent or not MAJOR.MINOR.PATCH."""
    m = VERSION.match(str(schema.get("x-version", "")))
    return (int(m[1]), int(m[2]), int(m[3])) if m else None


def contract_files(root: Path) -> dict[str, Any]:
    """The event contracts in a contracts folder, by path: events/*.schema.json, defs, envelope."""
    paths = [root / "defs.schema.json", root / "envelope.schema.json", *sorted((root / "events").glob("*.schema.json"))]
    return {p.relative_to(root).as_posix(): json.loads(p.read_text(encoding="utf-8")) for p in paths}


def releases(root: Path) -> list[str]:
    """The released versions under root/releases, oldest first."""
    found = [p.stem for p in (root / RELEASES).glob("*.json") if VERSION.match(p.stem)]
    return sorted(found, key=lambda v: tuple(int(x) for x in v.split(".")))


def load_release(root: Path, version: str) -> dict[str, Any]:
    """The contract files of a release, by path."""
    doc = json.loads((root / RELEASES / f"{version}.json").read_text(encoding="utf-8"))
    return doc["schemas"]


def write_release(root: Path, version: str, note: str = "") -> Path:
    """Snapshot the current event contracts as release `version` (refused when it exists)."""
    if not VERSION.match(version):
        raise ValueError(f"a release version is MAJOR.MINOR.PATCH, not {version!r}")
    path = root / RELEASES / f"{version}.json"
    if path.exists():
        raise FileExistsError(f"{path.name} exists: a release is never rewritten")
    path.parent.mkdir(exist_ok=True)
    doc = {"version": version, "note": note, "schemas": contract_files(root)}
    path.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def release_problems(old: Contracts, new: Contracts, mode: str = BACKWARD) -> list[str]:
    """What keeps the current contracts from being a valid successor of a release, one line each:
    a topic removed; a payload without a valid x-version or with a lower one; a change without a
    raised version; a break (in `mode`) without a raised major version. [] when all is well.
    The envelope is checked for breaks too (it has no x-version: CloudEvents' specversion is its own)."""
    problems = []
    for path in sorted(p for p in old if p.startswith("events/")):
        if path not in new:
            problems.append(f"{path}: removed (its consumers lose the topic)")
            continue
        was, now = version_of(old[path]) or (1, 0, 0), version_of(new[path])
        if now is None:
            problems.append(f"{path}: x-version must be MAJOR.MINOR.PATCH, found {new[path].get('x-version')!r}")
            continue
        if now < was:
            problems.append(f"{path}: x-version {_v(now)} is lower than the release's {_v(was)}")
        found = breaks(old, new, path, mode)
        if found and now[0] == was[0]:
            problems += [f"{path}: {b} (a breaking change needs a new major version)" for b in found]
        elif _words_deep(old[path]) != _words_deep(new[path]) and now <= was:
            problems.append(f"{path}: changed since the release but x-version is still {_v(now)}")
    for path in ("envelope.schema.json",):
        if path in old and path in new:
            problems += [f"{path}: {b}" for b in breaks(old, new, path, mode)]
    for path in sorted(p for p in new if p.startswith("events/") and version_of(new[p]) is None):
        if path not in old:
            problems.append(f"{path}: x-version must be MAJOR.MINOR.PATCH, found {new[path].get('x-version')!r}")
    return problems


def _v(version: tuple[int, int, int]) -> str:
    return ".".join(map(str, version))


def _words_deep(schema: Any, names: bool = False) -> Any:
    """The schema without annotations and x- keys at any depth: what it accepts, not how it reads.
    `names`: `schema` maps names to schemas (properties, $defs), whose keys are all kept."""
    if isinstance(schema, dict):
        if names:
            return {k: _words_deep(v) for k, v in schema.items()}
        return {k: (v if k in ("enum", "const", "required") else _words_deep(v, k in _NAMED))
                for k, v in schema.items() if k not in ANNOTATIONS - {"$defs"} and not k.startswith("x-")}
    if isinstance(schema, list):
        return [_words_deep(v) for v in schema]
    return schema


_NAMED = ("properties", "$defs", "patternProperties", "dependentSchemas")
