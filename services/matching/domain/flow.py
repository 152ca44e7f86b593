"""The exact optimiser for one request: maximum fill, then the smallest latest arrival, then the
least total travel (lexicographic).

Network: source -> donor county (capacity: officers it may still lend above its reserve floor) ->
officer class (capacity: its officers still free) -> requirement line (cost: travel seconds) ->
sink (capacity: the line's headcount). OR-Tools max-flow finds the best fill; a binary search over
the distinct arc times finds the bottleneck (the smallest latest arrival that keeps that fill, with
the max-flow one step below as the proof that nothing faster exists); OR-Tools min-cost flow then
minimises total travel using only arcs within the bottleneck.

Pruning with proof: each line first keeps only its nearest arcs whose donors hold `factor` times its
headcount. The second stage may only use arcs within the bottleneck, so the pruned answer
is the full model's whenever every excluded arc is slower than the bottleneck: each excluded arc is
priced against it and lines that fail are widened and re-solved. A line the pruned model cannot
fill is widened to all its arcs, and if the fill still falls short the full model is solved, so the
fill is exact too.
"""
from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass

import numpy as np
from ortools.graph.python import max_flow, min_cost_flow

from .model import Certificate

SOURCE, SINK = 0, 1


@dataclass
class Problem:
    """One request's arcs (global class and line ids) and the capacities still free."""
    arc_class: np.ndarray
    arc_line: np.ndarray
    arc_cost: np.ndarray
    class_count: np.ndarray      # per class (global), officers still free
    class_county: np.ndarray     # per class (global)
    headcount: np.ndarray        # per line (global)
    line_dest: np.ndarray        # per line (global)
    lendable: np.ndarray         # per county, officers it may still lend


@dataclass
class Graph:
    tails: np.ndarray
    heads: np.ndarray
    caps: np.ndarray
    costs: np.ndarray
    first_arc: int               # class -> line arcs start here, in the order of `arcs`
    arcs: np.ndarray             # problem arc index of each class -> line arc
    line_arcs: np.ndarray        # graph arc index of each line -> sink arc
    lines: np.ndarray            # global line ids, aligned with line_arcs


def build_graph(p: Problem, arcs: np.ndarray, county_cost: np.ndarray | None = None,
                segments: list[tuple[np.ndarray, np.ndarray]] | None = None) -> Graph:
    """The network over problem arcs `arcs`. `segments`: [(capacity, cost) per county] (convex costs).
    Nodes: source, sink, the donor counties, the classes, the lines; arcs in that order."""
    by_class = p.arc_class[arcs]
    classes, ci = _distinct(by_class)
    lines, li = _distinct(p.arc_line[arcs])
    counties, cc = _distinct(p.class_county[classes])
    nk, nc, nl, na = len(counties), len(classes), len(lines), len(arcs)
    segments = segments or [(p.lendable, county_cost)]
    first = len(segments) * nk + nc
    tails, heads, caps, costs = (np.zeros(first + na + nl, dtype=np.int64) for _ in range(4))
    for s, (cap, cost) in enumerate(segments):             # source -> county
        at = slice(s * nk, (s + 1) * nk)
        heads[at], caps[at] = 2 + np.arange(nk), cap[counties]
        if cost is not None:
            costs[at] = cost[counties]
    at = slice(first - nc, first)                           # county -> class
    tails[at], heads[at], caps[at] = 2 + cc, 2 + nk + np.arange(nc), p.class_count[classes]
    at = slice(first, first + na)                           # class -> line
    tails[at], heads[at], caps[at], costs[at] = 2 + nk + ci, 2 + nk + nc + li, p.class_count[by_class], p.arc_cost[arcs]
    at = slice(first + na, None)                            # line -> sink
    tails[at], heads[at], caps[at] = 2 + nk + nc + np.arange(nl), SINK, p.headcount[lines]
    return Graph(tails, heads, caps, costs, first_arc=first, arcs=np.asarray(arcs),
                 line_arcs=first + na + np.arange(nl), lines=lines)


def _distinct(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(sorted distinct values, index of each item's value): np.unique(x, return_inverse=True), cheaper
    for the small arrays of a pruned model."""
    s = np.sort(x)
    s = s[_heads(s)]
    return s, np.searchsorted(s, x)


def _present(x: np.ndarray) -> np.ndarray:
    """The distinct values of `x` (non-negative ints of a small range), ascending."""
    lo = int(x.min())
    seen = np.zeros(int(x.max()) - lo + 1, dtype=bool)
    seen[x - lo] = True
    return np.flatnonzero(seen) + lo


def _heads(x: np.ndarray) -> np.ndarray:
    """Boolean per item of `x`: the first of a run of equal values."""
    out = np.empty(len(x), dtype=bool)
    out[:1] = True
    np.not_equal(x[1:], x[:-1], out=out[1:])
    return out


def _caps(g: Graph, allowed: np.ndarray | None) -> np.ndarray:
    if allowed is None:
        return g.caps
    caps = g.caps.copy()
    caps[g.first_arc:g.first_arc + len(g.arcs)] *= allowed
    return caps


def max_fill(g: Graph, allowed: np.ndarray | None = None) -> tuple[int, dict[int, int]]:
    """(max flow, flow into the sink per global line) using the graph's arcs where `allowed` (all: None)."""
    solver = max_flow.SimpleMaxFlow()
    solver.add_arcs_with_capacity(g.tails, g.heads, _caps(g, allowed))
    if solver.solve(SOURCE, SINK) != solver.OPTIMAL:
        raise RuntimeError("max flow failed")
    return int(solver.optimal_flow()), dict(zip(g.lines.tolist(), solver.flows(g.line_arcs).tolist()))


def min_cost(g: Graph, allowed: np.ndarray) -> tuple[np.ndarray, int, int]:
    """(flow per class -> line arc, flow value, cost) of a maximum flow of least cost."""
    solver = min_cost_flow.SimpleMinCostFlow()
    solver.add_arcs_with_capacity_and_unit_cost(g.tails, g.heads, _caps(g, allowed), g.costs)
    demand = int(g.caps[g.line_arcs].sum())
    solver.set_node_supply(SOURCE, demand)
    solver.set_node_supply(SINK, -demand)
    if solver.solve_max_flow_with_min_cost() != solver.OPTIMAL:
        raise RuntimeError("min cost flow failed")
    flows = np.asarray(solver.flows(np.arange(g.first_arc, g.first_arc + len(g.arcs))), dtype=np.int64)
    return flows, int(flows.sum()), int(solver.optimal_cost())


def radii(p: Problem, factor: float) -> np.ndarray:
    """Per arc, the radius of its line: the travel time within which donors hold `factor` x the line's
    headcount (inf: never), each line's arcs taken nearest first (ties in arc order), each county
    counting no more than it may lend.

    A line's radius depends only on its arcs up to it, so it is found among the nearest arcs of all the
    problem's lines (every arc up to some travel time, ties included), taking four times as many
    while some line falls short with arcs left beyond."""
    first = int(p.arc_line.min())
    line = p.arc_line - first
    m = int(line.max()) + 1
    radius = np.full(m, np.inf)
    arcs, cost, k = None, p.arc_cost, 64 * m          # arcs None: all of them
    while True:
        near = np.flatnonzero(cost <= np.partition(cost, k)[k]) if k < len(cost) else np.arange(len(cost))
        near = near if arcs is None else arcs[near]
        reached, at = _reach(p, near, line[near], first, m, factor)
        radius[reached] = at
        if len(near) == len(cost):
            break
        left = np.bincount(line[near], minlength=m) < np.bincount(line if arcs is None else line[arcs], minlength=m)
        left[reached] = False                          # lines short of their goal with arcs beyond
        arcs = np.flatnonzero(left[line])
        if not len(arcs):
            break
        cost, k = p.arc_cost[arcs], 4 * k
    return radius[line]


def _reach(p: Problem, arcs: np.ndarray, line: np.ndarray, first: int, m: int,
           factor: float) -> tuple[list[int], list[int]]:
    """(lines, travel) of the lines (`line`: index < m per arc of `arcs`, from the problem's line
    `first`) whose supply on these arcs reaches `factor` x their headcount, nearest first, and the
    travel of the arc that does it."""
    n = len(arcs)
    cost = p.arc_cost[arcs]
    cls = p.arc_class[arcs]
    county, count = p.class_county[cls], p.class_count[cls]
    pair = line * len(p.lendable) + county
    if (np.bincount(pair, weights=count, minlength=m * len(p.lendable)) > np.tile(p.lendable, m)).any():
        count = _capped(pair, cost, count, p.lendable[county])
    b = _order([line, cost], n, [max(1, (m - 1).bit_length()), None])
    held = np.cumsum(count[b]).tolist()
    ends = np.cumsum(np.bincount(line, minlength=m)).tolist()
    goal = (factor * p.headcount[first:first + m]).tolist()
    reached, at, start, below = [], [], 0, 0
    for j, end in enumerate(ends):
        if end > start:
            i = bisect_left(held, below + goal[j], start, end)
            if i < end:
                reached.append(j)
                at.append(int(cost[b[i]]))
            below = held[end - 1]
        start = end
    return reached, at


def _capped(pair: np.ndarray, cost: np.ndarray, count: np.ndarray, lend: np.ndarray) -> np.ndarray:
    """What each arc adds to its (line, county) pair's running total, nearest first, when a pair's total
    is capped at what the county may lend (`lend` per arc)."""
    a = _order([pair, cost], len(pair))
    ca, pa, la = count[a], pair[a], lend[a]
    total = np.cumsum(ca)
    before = total - ca
    base = np.maximum.accumulate(np.where(_heads(pa), before, 0))     # totals never fall
    gain = np.empty(len(pair), dtype=np.int64)
    gain[a] = np.minimum(total - base, la) - np.minimum(before - base, la)
    return gain


def _order(fields: list[np.ndarray], n: int, widths: list[int | None] | None = None) -> np.ndarray:
    """The permutation sorting `n` items by `fields` (non-negative ints, major first), ties in item
    order: one sort of the fields and the index packed in an int64 when they fit. `widths`: the bits
    of fields known in advance (None: from the field's largest value)."""
    bits = [w or max(1, int(f.max(initial=0)).bit_length()) for f, w in zip(fields, widths or [None] * len(fields))]
    bits.append(max(1, (n - 1).bit_length()))
    if sum(bits) > 63 or any(int(f.min(initial=0)) < 0 for f in fields):
        return np.lexsort(fields[::-1])
    key = fields[0].astype(np.int64)
    for f, width in zip(fields[1:], bits[1:]):
        key = (key << width) | f
    key = (key << bits[-1]) | np.arange(n)
    key.sort()
    return key & ((1 << bits[-1]) - 1)


@dataclass
class Solution:
    flows: np.ndarray            # per problem arc
    fill: int
    threshold: int               # proven smallest latest arrival (s) at that fill
    keep: np.ndarray             # problem arcs in the final (widened) pruned model
    certificate: Certificate


def bottleneck(g: Graph, cost: np.ndarray, fill: int) -> int:
    """Smallest arc time t such that the graph's arcs of time <= t still carry `fill` (a binary search
    over the arc times, each step a max flow on the same network with the slower arcs closed)."""
    if fill == 0:
        return 0
    cands = np.sort(cost)
    cands = cands[_heads(cands)]
    lo, hi = 0, len(cands) - 1
    if lo == hi:
        return int(cands[lo])
    solver = max_flow.SimpleMaxFlow()
    solver.add_arcs_with_capacity(g.tails, g.heads, g.caps)
    arcs = np.arange(g.first_arc, g.first_arc + len(g.arcs))
    caps = g.caps[arcs]
    while lo < hi:
        mid = (lo + hi) // 2
        solver.set_arcs_capacity(arcs, caps * (cost <= cands[mid]))
        if solver.solve(SOURCE, SINK) != solver.OPTIMAL:
            raise RuntimeError("max flow failed")
        if solver.optimal_flow() == fill:
            hi = mid
        else:
            lo = mid + 1
    return int(cands[lo])


def solve_fastest(p: Problem, *, factor: float = 2.0, prune: bool = True) -> Solution:
    cost, n = p.arc_cost, len(p.arc_cost)
    keep = np.ones(n, dtype=bool)
    if n == 0:
        return Solution(np.zeros(0, dtype=np.int64), 0, 0, keep, Certificate(True, "nothing qualifies", 0))
    if prune:
        keep = cost <= radii(p, factor)
    method, widenings = "bottleneck_maxflow+min_cost_flow", 0
    lines = _present(p.arc_line)
    demand = int(p.headcount[lines].sum())
    g = build_graph(p, np.flatnonzero(keep))
    fill, per_line = max_fill(g)
    if fill < demand and not keep.all():
        short = [j for j in lines if per_line.get(int(j), 0) < p.headcount[j]]
        keep |= np.isin(p.arc_line, short)
        widenings += 1
        g = build_graph(p, np.flatnonzero(keep))
        fill, _ = max_fill(g)
        if fill < demand and not keep.all():
            keep[:] = True
            method += " (full model)"
            g = build_graph(p, np.flatnonzero(keep))
            fill, _ = max_fill(g)
    theta = bottleneck(g, cost[g.arcs], fill)
    if (~keep & (cost <= theta)).any():        # an excluded arc as fast as the bottleneck: widen, re-solve
        keep |= cost <= theta
        widenings += 1
        g = build_graph(p, np.flatnonzero(keep))
        theta = bottleneck(g, cost[g.arcs], fill)
    flows, value, total = min_cost(g, cost[g.arcs] <= theta)
    if value != fill:
        raise RuntimeError(f"min-cost flow carried {value}, max flow {fill}")
    full = np.zeros(n, dtype=np.int64)
    full[g.arcs] = flows
    solved = int(np.count_nonzero(keep))
    cert = Certificate(optimal=True, method=method, bound=theta, total_travel_s=total, arcs_total=n,
                       arcs_solved=solved, arcs_priced=n - solved, widenings=widenings)
    return Solution(full, fill, theta, keep, cert)


def solve_within(p: Problem, limit: float, keep: np.ndarray, fill: int, method: str,
                 **costs) -> tuple[np.ndarray, Certificate]:
    """Least (travel + donor penalty) plan at `fill` using every arc within `limit` seconds."""
    cost = p.arc_cost
    if len(cost) == 0:
        return np.zeros(0, dtype=np.int64), Certificate(True, method, 0)
    keep = keep | (cost <= limit)               # the model holds every arc within the limit
    g = build_graph(p, np.flatnonzero(keep), **costs)
    flows, value, total = min_cost(g, cost[g.arcs] <= limit)
    if value < fill:
        raise RuntimeError(f"the limit leaves {value} of {fill} officers")
    full = np.zeros(len(cost), dtype=np.int64)
    full[g.arcs] = flows
    return full, Certificate(optimal=True, method=method, bound=float(total), total_travel_s=int((full * cost).sum()),
                             arcs_total=len(cost), arcs_solved=int(keep.sum()), arcs_priced=int((~keep).sum()))
