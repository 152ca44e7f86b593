"""Where a policy value comes from: the seed document, or an assumption the province may replace.

Every entry of demand's policy files carries ``source: seed §<section>`` or
``source: assumed (<reason>)``. ``check`` validates one; ``entries`` lists every sourced entry of a
parsed YAML document by its path (``deadlines.III``, ``rules[hostage]``, ``templates.flood``), which
the table of assumptions (README.md, Assumptions) is checked against. Pure: no I/O.
"""
from __future__ import annotations

import re

SOURCE = re.compile(r"^(seed( §.+)?|assumed \(.+\))$")


def check(where: str, raw: object, error: type[ValueError]) -> str:
    """The entry's source text, or `error` naming where it is missing or malformed."""
    if not isinstance(raw, str) or not SOURCE.match(raw.strip()):
        raise error(f"{where}: 'source' must be 'seed §<section>' or 'assumed (<reason>)', not {raw!r}")
    return raw.strip()


def is_assumed(source: str) -> bool:
    return source.startswith("assumed")


def entries(doc: object, path: str = "") -> list[tuple[str, str]]:
    """(path, source) of every mapping in `doc` that carries a `source`, outermost first."""
    out = []
    if isinstance(doc, dict):
        if isinstance(doc.get("source"), str):
            out.append((path or ".", doc["source"]))
        for key, value in doc.items():
            if key != "source":
                out += entries(value, f"{path}.{key}" if path else str(key))
    elif isinstance(doc, list):
        for i, item in enumerate(doc):
            name = item.get("id") or item.get("line_id") if isinstance(item, dict) else None
            out += entries(item, f"{path}[{name or i}]")
    return out
