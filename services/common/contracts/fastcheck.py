"""The fast check: each bundled schema compiled, once, into one Python function returning True or False.

jsonschema walks a schema object by object (about 20 us per subschema here), far too slow for a
check on every publish and consume. So each bundled schema is also translated, once, into the
source of one Python function that returns True or False, with every $ref inlined. Only the
keywords the contracts use are translated; a schema with any other keyword gets no fast check
(`_never`), which only costs speed: whenever the fast check says False, jsonschema decides.
Extension keywords (`x-version` and the like) are annotations, as for jsonschema.
"""
from __future__ import annotations

import re
from typing import Any, Callable

from .formats import _DATE_TIME, FORMAT_CHECKER, _json_equal, _unique, utc_time

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
_OBJECT_WORDS = ("properties", "additionalProperties", "required", "propertyNames", "minProperties", "maxProperties",
                 "dependentRequired")
_ARRAY_WORDS = ("items", "minItems", "maxItems", "uniqueItems")
_NUMBER_WORDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")
_STRING_WORDS = ("minLength", "maxLength", "pattern", "format")
_ANNOTATIONS = frozenset(("$schema", "$id", "$defs", "$comment", "title", "description", "examples",
                          "default", "deprecated", "readOnly", "writeOnly"))
_FAST_WORDS = frozenset(("type", "const", "enum", "$ref", "allOf", "anyOf", "oneOf", "not", "if", "then", "else",
                         "dependentSchemas", *_OBJECT_WORDS, *_ARRAY_WORDS, *_NUMBER_WORDS, *_STRING_WORDS)) | _ANNOTATIONS


class _Unsupported(Exception):
    pass


def _never(_: Any) -> bool:
    return False


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
        """Compile `schema` into a separate function (for `if`, `not`, `anyOf` and `oneOf`, whose failure must not return)."""
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
        if not isinstance(s, dict) or not _FAST_WORDS.issuperset(k for k in s if not k.startswith("x-")):
            raise _Unsupported(repr(s)[:80])
        if "$ref" in s:
            self.ref(s["$ref"], v, d)
        known = self.type(s["type"], v, d) if "type" in s else None
        self.values(s, v, d)
        for sub in s.get("allOf", ()):
            self.emit(sub, v, d)
        if "anyOf" in s:
            self.fail_unless(d, " or ".join(f"{self.function(sub)}({v})" for sub in s["anyOf"]))
        if "oneOf" in s:
            self.fail_unless(d, f"sum(({', '.join(f'{self.function(sub)}({v})' for sub in s['oneOf'])},)) == 1")
        for name, sub in s.get("dependentSchemas", {}).items():
            self.out(d, f"if isinstance({v}, dict) and {name!r} in {v}:")
            self.emit(sub, v, d + 1)
            self.out(d + 1, "pass")
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
        if "minProperties" in s:
            self.fail_unless(d, f"len({v}) >= {int(s['minProperties'])}")
        if "maxProperties" in s:
            self.fail_unless(d, f"len({v}) <= {int(s['maxProperties'])}")
        if s.get("required"):
            self.fail_unless(d, f"{v}.keys() >= {self.constant(frozenset(s['required']))}")
        for name, needed in s.get("dependentRequired", {}).items():
            self.fail_unless(d, f"{name!r} not in {v} or {v}.keys() >= {self.constant(frozenset(needed))}")
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
            self.out(d + 1, f"_utc_time({v})")
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
                     _DATE_TIME=_DATE_TIME, _utc_time=utc_time,
                     _conforms=FORMAT_CHECKER.conforms)
    exec(compile(source, "<contract fast check>", "exec"), namespace)
    check = namespace["check"]
    check.source = source  # type: ignore[attr-defined]
    return check
