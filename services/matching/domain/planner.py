"""Plan a batch of requests together, in priority order (grade, then deadline): each request gets
the exact fastest plan from the officers higher-priority requests left, and two alternatives (the
fairest, the least damaging to donor reserves) within the same fill and its deadline (or the
fastest's arrival when the deadline cannot be met). Within a kind, no officer is proposed to two
requests of the batch, and officers held by approved plans are never offered (`taken`).

With `joint` (the policy's `batch.joint`), the fastest plans come from one model of the whole batch
(`joint.solve_joint`): the same objectives in the same priority order, each request planned over every
plan that keeps the requests before it optimal rather than over the one the solver returned first. They
replace the sequential fastest plans only when some request's objectives differ (so a batch whose
requests do not compete keeps exactly the sequential plans); the other alternatives stay sequential."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from . import flow
from .classes import Classes, build_classes
from .eligibility import Lines, flatten
from .geo import Trips, trips
from .joint import solve_joint
from .model import Assignment, Certificate, Request
from .policy import POLICY
from .pool import Pool

KINDS = ("fastest", "fairest", "least_reserve_damage")
GRADE_ORDER = {"I": 0, "II": 1, "III": 2, "IV": 3}
PENALTY_S = POLICY.unfairness_s        # seconds of travel one unit of unfairness is worth
RESERVE_S = POLICY.reserve_quarter_s   # seconds of travel the first quarter of a donor's lendable officers is worth
COMMITTED = ("reserved", "deployed")


@dataclass(frozen=True)
class CountyLoad:
    on_duty: int
    available: int
    reserve_floor: int

    @property
    def lendable(self) -> int:
        return max(0, self.available - self.reserve_floor)


@dataclass
class Named:
    """The officers a plan names, as picked from the classes: (request id, line id, pool rows, donor
    county, travel seconds) per class -> line arc used. Assignments are made when first read."""
    ids: list[str]
    picks: list[tuple[str, str, np.ndarray, str, int]]

    def assignments(self) -> list[Assignment]:
        out = [Assignment(request_id, line_id, row, self.ids[row], donor, eta)
               for request_id, line_id, rows, donor, eta in self.picks for row in rows.tolist()]
        return sorted(out, key=lambda x: (x.eta_s, x.line_id, x.officer_id))


@dataclass
class Option:
    kind: str
    named: Named
    certificate: Certificate
    threshold: int = 0
    kinds: tuple[str, ...] = ()        # every criterion this plan satisfies (its own kind first)
    flows: tuple = ()                  # ((class, line, officers), ...): the plan's substance

    def __post_init__(self):
        self.kinds = self.kinds or (self.kind,)

    @cached_property
    def assignments(self) -> list[Assignment]:
        """The officers named, by arrival, line and officer id."""
        return self.named.assignments()


@dataclass
class BatchPlan:
    requests: list[Request]
    lines: Lines
    classes: Classes
    lendable: np.ndarray
    options: list[dict[str, Option]] = field(default_factory=list)      # per request: kind -> distinct option
    trips: Trips | None = None         # the travel the batch was planned on (origin -> each request)
    fastest_by: str = "sequential"     # or "joint", "sequential (joint: no gain)", "sequential (joint: time limit)"

    def option(self, r: int, kind: str) -> Option | None:
        """The plan of request `r` that satisfies `kind` (it may be published under another kind)."""
        return next((o for o in self.options[r].values() if kind in o.kinds), None)


def lendable_array(pool: Pool, loads: dict[str, CountyLoad], taken: np.ndarray | None = None,
                   share: float = POLICY.reserve_share) -> np.ndarray:
    """Officers each county may still lend, net of those approved plans already hold (`taken`).

    With a load report: what the pool says it may lend less the held officers it still counts as
    available (on duty, not committed yet). Without one: the county's free on-duty officers less its
    floor, a `share` of its strength (on duty, held or committed to a task)."""
    n = len(pool.counties)
    held = np.zeros(len(pool), dtype=bool)
    if taken is not None and len(taken):
        held[taken] = True
    available = pool.available
    held_free = np.bincount(pool.county[held & available], minlength=n)
    free = np.bincount(pool.county[available & ~held], minlength=n)
    strength = np.bincount(pool.county[available | np.isin(pool.status, COMMITTED)], minlength=n)
    out = np.zeros(n, dtype=np.int64)
    for i, code in enumerate(pool.counties):
        load = loads.get(code)
        if load:
            out[i] = max(0, load.lendable - int(held_free[i]))
        else:
            out[i] = max(0, int(free[i]) - int(np.ceil(round(share * strength[i], 9))))
    return out


def priority(requests: list[Request]) -> list[int]:
    return sorted(range(len(requests)), key=lambda r: (GRADE_ORDER.get(requests[r].grade, 9),
                                                       requests[r].deadline, requests[r].request_id))


def plan_batch(pool: Pool, requests: list[Request], travel: Trips | np.ndarray, accepts: dict, *,
               loads: dict[str, CountyLoad] | None = None, fairness: dict[str, float] | None = None,
               taken: np.ndarray | None = None, kinds: tuple[str, ...] = KINDS, prune: bool = True,
               joint: bool | None = None, joint_limit_s: float | None = None) -> BatchPlan:
    """`travel`: Trips (each officer's origin -> each request's destination), or a seat-to-seat county
    matrix, on which every officer leaves from their county's seat for the receiving county's seat.
    `joint`: the fastest plans from the joint model of the batch (None: as the policy says), kept only
    if found within `joint_limit_s` seconds (None: the policy's limit; 0 or less: none)."""
    lines = flatten(requests, pool.counties)
    travel = trips(pool, requests, travel)
    classes = build_classes(pool, requests, lines, travel, accepts, taken=taken)
    batch = BatchPlan(requests, lines, classes, lendable_array(pool, loads or {}, taken),
                      [{} for _ in requests], trips=travel)
    # a request's lines are consecutive in `lines`
    starts = np.searchsorted(np.asarray(lines.request, dtype=np.int64), np.arange(len(requests) + 1))
    fair = np.array([(fairness or {}).get(c, 0.0) for c in pool.counties]) * PENALTY_S
    joint = POLICY.joint_batch if joint is None else joint
    limit = POLICY.joint_limit_s if joint_limit_s is None else (joint_limit_s if joint_limit_s > 0 else None)
    parts = None
    if joint and "fastest" in kinds:
        parts = solve_joint(classes, lines, batch.lendable, priority(requests), prune=prune, limit_s=limit)
        batch.fastest_by = "sequential (joint: time limit)" if parts is None else "sequential (joint: no gain)"
    for kind in kinds:
        state = _State(classes.count.copy(), batch.lendable.copy(), {})
        for r in priority(requests):
            p = flow.Problem(*classes.arcs(np.arange(starts[r], starts[r + 1])), state.count, classes.county,
                             lines.headcount, lines.dest, state.lendable)
            fast = flow.solve_fastest(p, prune=prune)
            if kind == "fastest":
                flows, cert = fast.flows, fast.certificate
            elif kind == "fairest":
                flows, cert = flow.solve_within(p, max(requests[r].budget_s, fast.threshold), fast.keep, fast.fill,
                                                "min_cost_flow (travel + task-points balance)",
                                                county_cost=fair.round().astype(np.int64))
            else:
                flows, cert = flow.solve_within(p, max(requests[r].budget_s, fast.threshold), fast.keep, fast.fill,
                                                "min_cost_flow (travel + convex reserve damage)",
                                                segments=reserve_segments(state.lendable))
            chosen = _pick(pool, batch, p, flows, state, "points" if kind == "fairest" else "duty")
            batch.options[r][kind] = Option(kind, chosen, cert, fast.threshold, flows=_substance(p, flows))
    if parts is not None and any(objectives(batch.options[r]["fastest"]) != objectives(parts[r])
                                 for r in range(len(requests))):
        batch.fastest_by = "joint"
        state = _State(classes.count.copy(), batch.lendable.copy(), {})
        for r in priority(requests):
            part = parts[r]
            p = flow.Problem(part.arc_class, part.arc_line, part.arc_cost, state.count, classes.county,
                             lines.headcount, lines.dest, state.lendable)
            batch.options[r]["fastest"] = Option("fastest", _pick(pool, batch, p, part.flows, state, "duty"),
                                                 part.certificate, part.threshold, flows=_substance(p, part.flows))
    for r in range(len(requests)):
        batch.options[r] = merge_agreeing(batch.options[r])
    return batch


def objectives(plan) -> tuple[int, int, int]:
    """(officers, latest arrival s, total travel s) of a fastest plan (an Option or a joint Part)."""
    if isinstance(plan, Option):
        return len(plan.assignments), int(plan.certificate.bound) if plan.assignments else 0, \
            int(plan.certificate.total_travel_s)
    return plan.fill, plan.threshold, int(plan.certificate.total_travel_s)


def _substance(p: flow.Problem, flows: np.ndarray) -> tuple:
    used = np.flatnonzero(flows)
    return tuple(sorted(zip(p.arc_class[used].tolist(), p.arc_line[used].tolist(), flows[used].tolist())))


def merge_agreeing(options: dict[str, Option]) -> dict[str, Option]:
    """One option per distinct plan: an alternative that sends the same numbers from the same officer
    classes to the same lines as an earlier kind is that plan; the earlier one carries both kinds.
    No two options left assign the same officers to a request."""
    kept: dict[str, Option] = {}
    for kind, option in options.items():
        same = next((k for k in kept.values() if k.flows == option.flows
                     or _officers(k) == _officers(option)), None)
        if same is None:
            kept[kind] = option
        else:
            same.kinds = same.kinds + (kind,)
    return kept


def _officers(option: Option) -> frozenset:
    return frozenset(a.officer_id for a in option.assignments)


@dataclass
class _State:
    count: np.ndarray       # officers still free per class
    lendable: np.ndarray    # officers each county may still lend
    cursor: dict            # class -> [its officers in order of preference, how many are named]


def reserve_segments(lendable: np.ndarray, parts: int = 4) -> list[tuple[np.ndarray, np.ndarray]]:
    """Convex donor cost: each further quarter of what a county may lend costs more per officer
    (1, 4, 9, 16 x RESERVE_S), so within the deadline the plan spreads over counties with room
    rather than draining one towards its floor; travel breaks ties."""
    size = np.ceil(lendable / parts).astype(np.int64)
    out, given = [], np.zeros_like(lendable)
    for s in range(parts):
        cap = np.minimum(size, lendable - given)
        given = given + cap
        out.append((cap, np.full(len(lendable), RESERVE_S * (s + 1) ** 2, dtype=np.int64)))
    return out


def _pick(pool: Pool, batch: BatchPlan, p: flow.Problem, flows: np.ndarray, state: _State, prefer: str) -> Named:
    """Name the officers: from each class those with the most duty time left (or fewest points)."""
    classes, lines, picks = batch.classes, batch.lines, []
    used = np.flatnonzero(flows)
    for k, j, n, eta in zip(p.arc_class[used].tolist(), p.arc_line[used].tolist(), flows[used].tolist(),
                            p.arc_cost[used].tolist()):
        if k not in state.cursor:
            rows = classes.members[k]
            key = pool.duty[rows] if prefer == "duty" else pool.points[rows]
            state.cursor[k] = [rows[np.lexsort((rows, key))], 0]
        ordered, start = state.cursor[k]
        state.cursor[k][1] = start + n
        state.count[k] -= n
        county = int(classes.county[k])
        state.lendable[county] -= n
        picks.append((batch.requests[lines.request[j]].request_id, lines.line_id[j], ordered[start:start + n],
                      pool.counties[county], eta))
    return Named(pool.ids, picks)
