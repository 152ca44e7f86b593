"""Force-gap arithmetic: an incident's need against what its county can spare.

A county's latest load report says how many on-duty officers are free (``available``), and per module
when it reports ``by_module``. Open incidents of one county draw on that same free force, oldest
first, so a second incident sees only what the first left. The gap is the part of the need nothing
local covers; ``ratio`` is the gap as a share of the need.
"""
from __future__ import annotations

from dataclasses import dataclass

ALL = "*"


@dataclass(frozen=True)
class Gap:
    need: int
    covered: int
    basis: str  # "by_module", "available" or "no_load_report"

    @property
    def gap(self) -> int:
        return self.need - self.covered

    @property
    def ratio(self) -> float | None:
        """Share of the need the county lacks; None when no load report says what it has."""
        if self.basis == "no_load_report":
            return None
        return round(self.gap / self.need, 4) if self.need else 0.0


def need(lines: list[dict]) -> int:
    return sum(line["headcount"] for line in lines)


def spare_pools(load: dict | None) -> dict[str, int] | None:
    """What the county can spare: free officers per module when reported, else one pool for all."""
    if load is None:
        return None
    if load.get("by_module"):
        return dict(load["by_module"])
    return {ALL: int(load["available"])}


def allocate(incidents: list[tuple[str, list[dict]]], load: dict | None) -> dict[str, Gap]:
    """The gap of each (incident_id, lines), in the given order (oldest first)."""
    pools = spare_pools(load)
    out = {}
    for incident_id, lines in incidents:
        if pools is None:
            out[incident_id] = Gap(need=need(lines), covered=0, basis="no_load_report")
            continue
        covered = 0
        for line in lines:
            pool = ALL if ALL in pools else line["module"]
            take = min(line["headcount"], pools.get(pool, 0))
            pools[pool] = pools.get(pool, 0) - take
            covered += take
        out[incident_id] = Gap(need=need(lines), covered=covered,
                               basis="available" if ALL in pools else "by_module")
    return out


def trigger_reason(gap_triggers: bool, grade_triggers: bool) -> str | None:
    """The `reason` of support.requested, or None when nothing calls for support."""
    if gap_triggers and grade_triggers:
        return "force_gap_and_grade"
    if gap_triggers:
        return "force_gap"
    if grade_triggers:
        return "grade"
    return None
