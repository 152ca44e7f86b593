"""The reporting officer's changes to the template's requirement lines, for one incident.

An override names a line by ``line_id``: for a template line it replaces the fields it gives (or
drops the line with ``remove: true``); a new ``line_id`` adds a line and then needs ``module`` and
``headcount``. The same overrides are applied again when the incident grows and the template lines
are derived anew, so the officer's changes survive re-grading.
"""
from __future__ import annotations

FIELDS = ("module", "tags", "certifications", "equipment", "headcount")


class OverrideError(ValueError):
    def __init__(self, field: str, reason: str):
        super().__init__(f"{field}: {reason}")
        self.field, self.reason = field, reason


def check(lines: list[dict], overrides: list[dict], where: str = "requirement_overrides") -> None:
    """Raise OverrideError naming the first override that cannot apply to `lines`."""
    known = {line["line_id"] for line in lines}
    seen: set[str] = set()
    for i, change in enumerate(overrides):
        at = f"{where}[{i}]"
        lid = change["line_id"]
        if lid in seen:
            raise OverrideError(f"{at}.line_id", f"line {lid!r} is overridden twice")
        seen.add(lid)
        if change.get("remove"):
            if set(change) - {"line_id", "remove"}:
                raise OverrideError(f"{at}.remove", "a removed line takes no other field")
            if lid not in known:
                raise OverrideError(f"{at}.line_id", f"no line {lid!r} to remove (lines: {', '.join(sorted(known))})")
        elif lid not in known and not {"module", "headcount"} <= set(change):
            raise OverrideError(f"{at}.line_id", f"no template line {lid!r}: a new line needs module and headcount")
        elif not set(change) & set(FIELDS):
            raise OverrideError(f"{at}", "changes nothing: give headcount, module, tags, certifications or equipment")
    if not apply(lines, overrides):
        raise OverrideError(where, "would remove every line: a request needs at least one")


def apply(lines: list[dict], overrides: list[dict]) -> list[dict]:
    """The lines with the overrides applied (template order first, added lines after)."""
    by_id = {change["line_id"]: change for change in overrides}
    out = []
    for line in lines:
        change = by_id.pop(line["line_id"], None)
        if change is None:
            out.append(dict(line))
        elif not change.get("remove"):
            out.append(dict(line, **{k: change[k] for k in FIELDS if k in change}))
    for lid, change in by_id.items():
        if not change.get("remove") and {"module", "headcount"} <= set(change):
            out.append({"line_id": lid, "module": change["module"], "tags": change.get("tags", []),
                        "certifications": change.get("certifications", []),
                        "equipment": change.get("equipment", []), "headcount": change["headcount"]})
    return out
