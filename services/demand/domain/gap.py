"""Force-gap arithmetic: an incident's need against what its county can spare, line by line.

A county's latest load report says how many on-duty officers are free (``available``), per module when
it reports ``by_module``, and how many free officers of each module hold each skill tag or
certification when it reports ``qualified``. A line that asks for tags or certifications is covered
locally only by officers who hold all of them (when ``qualified`` is reported; without it, the
module's free officers are taken as qualified).

Open incidents of one county draw on that free force, oldest first, so a second incident sees only
what the first left. An incident that already has a request keeps the local share recorded with it
(``held``: officers per line): those officers stay on it and come out of the free pool first, since
the load report cannot tell them apart from officers with nothing to do. What no local officer covers
is the shortfall, per line: the request asks for that and nothing more. Pure: no I/O.
"""
from __future__ import annotations

from dataclasses import dataclass, field

ALL = "*"


@dataclass(frozen=True)
class Gap:
    need: int
    covered: int
    basis: str  # "by_module", "available", "no_load_report" or "scheduled"
    shortfall: tuple = ()               # the lines as asked: headcount = what no local officer covers
    local: dict = field(default_factory=dict)          # line_id → local officers covering it
    local_share: dict = field(default_factory=dict)    # module → local officers covering its lines
    unqualified: tuple = ()             # line_ids the county has free officers for, but not qualified ones

    @property
    def gap(self) -> int:
        return self.need - self.covered

    @property
    def exact_ratio(self) -> float | None:
        """Share of the need the county lacks, unrounded; None when no load report says what it has.

        The trigger compares this one: a gap of 601 in 2003 exceeds 30 % though it shows as 0.3."""
        if self.basis == "no_load_report":
            return None
        return self.gap / self.need if self.need else 0.0

    @property
    def ratio(self) -> float | None:
        """The exact ratio rounded to 4 places, for display only (`gap_ratio` of the events)."""
        exact = self.exact_ratio
        return None if exact is None else round(exact, 4)


def need(lines: list[dict]) -> int:
    return sum(line["headcount"] for line in lines)


def codes(line: dict) -> list[str]:
    """The skill tags and certifications an officer must hold to fill the line."""
    return [*line.get("tags", []), *line.get("certifications", [])]


def spare_pools(load: dict | None) -> dict[str, int] | None:
    """What the county can spare: free officers per module when reported, else one pool for all."""
    if load is None:
        return None
    if load.get("by_module"):
        return dict(load["by_module"])
    return {ALL: int(load["available"])}


def unreported(lines: list[dict]) -> Gap:
    """No load report: nothing is known to be covered locally, the whole need is asked."""
    return Gap(need=need(lines), covered=0, basis="no_load_report", shortfall=tuple(dict(x) for x in lines))


def allocate(incidents: list[tuple[str, list[dict]]], load: dict | None,
             held: dict[str, dict[str, int]] | None = None) -> dict[str, Gap]:
    """The gap of each (incident_id, lines), in the given order (oldest first).

    `held` maps an incident with a request to the local officers per line recorded with it; they cover
    their lines first and are taken out of the free pool before anything is shared out.
    """
    pools = spare_pools(load)
    if pools is None:
        return {incident_id: unreported(lines) for incident_id, lines in incidents}
    held = held or {}
    basis = "available" if ALL in pools else "by_module"
    qualified = {m: dict(c) for m, c in (load.get("qualified") or {}).items()} if "qualified" in load else None
    kept = {iid: _keep(lines, held.get(iid) or {}) for iid, lines in incidents}
    for iid, lines in incidents:  # the officers already on an incident are not free for another
        for line in lines:
            _draw(pools, qualified, line, kept[iid].get(line["line_id"], 0))
    out = {}
    for iid, lines in incidents:
        local, short, unqualified = {}, [], []
        for line in lines:
            have = kept[iid].get(line["line_id"], 0)
            want = line["headcount"] - have
            take, short_of_qualified = _take(pools, qualified, line, want)
            _draw(pools, qualified, line, take)
            local[line["line_id"]] = have + take
            if short_of_qualified:
                unqualified.append(line["line_id"])
            if want - take > 0:
                short.append(dict(line, headcount=want - take))
        share: dict[str, int] = {}
        for line in lines:
            if local[line["line_id"]]:
                share[line["module"]] = share.get(line["module"], 0) + local[line["line_id"]]
        out[iid] = Gap(need=need(lines), covered=sum(local.values()), basis=basis, shortfall=tuple(short),
                       local={k: v for k, v in local.items() if v}, local_share=share,
                       unqualified=tuple(unqualified))
    return out


def _keep(lines: list[dict], held: dict[str, int]) -> dict[str, int]:
    """The held officers that still have a place on the (possibly changed) lines."""
    return {line["line_id"]: min(line["headcount"], held.get(line["line_id"], 0)) for line in lines}


def _pool(pools: dict, line: dict) -> str:
    return ALL if ALL in pools else line["module"]


def _take(pools: dict, qualified: dict | None, line: dict, want: int) -> tuple[int, bool]:
    """How many of `want` the free pool can give the line, and whether qualifications limited it."""
    free = min(want, max(0, pools.get(_pool(pools, line), 0)))
    if qualified is None or not codes(line):
        return free, False
    holders = qualified.get(line["module"], {})
    fit = min(max(0, holders.get(c, 0)) for c in codes(line))
    return min(free, fit), fit < free


def _draw(pools: dict, qualified: dict | None, line: dict, n: int) -> None:
    if not n:
        return
    key = _pool(pools, line)
    pools[key] = pools.get(key, 0) - n
    if qualified is not None:
        holders = qualified.setdefault(line["module"], {})
        for c in codes(line):
            holders[c] = holders.get(c, 0) - n


def trigger_reason(gap_triggers: bool, grade_triggers: bool) -> str | None:
    """The `reason` of support.requested, or None when nothing calls for support."""
    if gap_triggers and grade_triggers:
        return "force_gap_and_grade"
    if gap_triggers:
        return "force_gap"
    if grade_triggers:
        return "grade"
    return None


def explain(gap: Gap, reason: str, grade: str, lines: list[dict]) -> str:
    """Why the request asks for what it asks: the trigger, what the county covers, what is missing."""
    trigger = {"force_gap": f"force gap {gap.gap} of {gap.need}", "grade": f"grade {grade}",
               "force_gap_and_grade": f"force gap {gap.gap} of {gap.need} and grade {grade}",
               "manual": "scheduled by a commander"}.get(reason, reason)
    if gap.basis == "no_load_report":
        covered = "no load report from the county yet: the whole need is asked"
    elif gap.basis == "scheduled":
        covered = "a scheduled echelon: all of it is asked"
    else:
        share = ", ".join(f"{m} {n}" for m, n in sorted(gap.local_share.items())) or "none"
        covered = f"the county covers {gap.covered} of {gap.need} itself ({share})"
    asked = ", ".join(f"{x['line_id']} {x['headcount']}" for x in gap.shortfall)
    text = f"{trigger}; {covered}; asks for the shortfall: {asked}"
    if gap.unqualified:
        by_id = {x["line_id"]: x for x in lines}
        missing = "; ".join(f"{lid} (needs {', '.join(codes(by_id[lid]))})" for lid in gap.unqualified if lid in by_id)
        text += f"; free officers lack the qualifications for {missing}"
    return text[:1000]
