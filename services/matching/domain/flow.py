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
    """The network over problem arcs `arcs`. `segments`: [(capacity, cost) per county] (convex costs)."""
    classes, ci = np.unique(p.arc_class[arcs], return_inverse=True)
    lines, li = np.unique(p.arc_line[arcs], return_inverse=True)
    counties, cc = np.unique(p.class_county[classes], return_inverse=True)
    cty0, cls0 = 2, 2 + len(counties)
    line0 = cls0 + len(classes)
    zero = np.zeros(len(p.lendable), dtype=np.int64)
    parts = [(np.zeros(len(counties)), cty0 + np.arange(len(counties)), cap[counties], cost[counties])
             for cap, cost in segments or [(p.lendable, county_cost if county_cost is not None else zero)]]
    parts.append((cty0 + cc, cls0 + np.arange(len(classes)), p.class_count[classes], np.zeros(len(classes))))
    first = sum(len(t) for t, *_ in parts)
    parts.append((cls0 + ci, line0 + li, p.class_count[p.arc_class[arcs]], p.arc_cost[arcs]))
    parts.append((line0 + np.arange(len(lines)), np.ones(len(lines)), p.headcount[lines], np.zeros(len(lines))))
    cat = [np.concatenate([part[i] for part in parts]).astype(np.int64) for i in range(4)]
    line_arcs = first + len(arcs) + np.arange(len(lines))
    return Graph(*cat, first_arc=first, arcs=np.asarray(arcs), line_arcs=line_arcs, lines=lines)


def _caps(g: Graph, allowed: np.ndarray) -> np.ndarray:
    caps = g.caps.copy()
    caps[g.first_arc:g.first_arc + len(g.arcs)] *= allowed
    return caps


def max_fill(g: Graph, allowed: np.ndarray) -> tuple[int, dict[int, int]]:
    """(max flow, flow into the sink per global line) using the graph's arcs where `allowed`."""
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
    supplies = np.zeros(int(g.heads.max()) + 1, dtype=np.int64)
    supplies[SOURCE], supplies[SINK] = demand, -demand
    solver.set_nodes_supplies(np.arange(len(supplies)), supplies)
    if solver.solve_max_flow_with_min_cost() != solver.OPTIMAL:
        raise RuntimeError("min cost flow failed")
    flows = np.asarray(solver.flows(np.arange(g.first_arc, g.first_arc + len(g.arcs))), dtype=np.int64)
    return flows, int(flows.sum()), int(solver.optimal_cost())


def radii(p: Problem, factor: float) -> np.ndarray:
    """Per arc, the radius of its line: the travel time within which donors hold `factor` x the line's
    headcount (inf: never), each line's arcs taken nearest first (ties in arc order), each county
    counting no more than it may lend. All lines of the problem at once."""
    n = len(p.arc_cost)
    order = np.lexsort((p.arc_cost, p.arc_line))
    line, cost = p.arc_line[order], p.arc_cost[order]
    cls = p.arc_class[order]
    county, count = p.class_county[cls], p.class_count[cls].astype(np.int64)
    # each (line, county)'s running total in that order, capped at what the county may lend
    by = np.lexsort((county, line))
    total = np.cumsum(count[by])
    first = np.r_[True, (line[by][1:] != line[by][:-1]) | (county[by][1:] != county[by][:-1])]
    start = np.maximum.accumulate(np.where(first, np.arange(n), 0))
    running = total - np.r_[0, total][start]
    capped = np.minimum(running, p.lendable[county[by]])
    gain = capped - np.where(first, 0, np.r_[0, capped[:-1]])
    supply = np.empty_like(gain)
    supply[by] = gain
    # each line's running supply, nearest first; its radius is the travel of the first arc reaching the goal
    heads = np.flatnonzero(np.r_[True, line[1:] != line[:-1]])
    segment = np.repeat(np.arange(len(heads)), np.diff(np.r_[heads, n]))
    held = np.cumsum(supply)
    held -= np.r_[0, held][heads][segment]
    hit = np.minimum.reduceat(np.where(held >= factor * p.headcount[line], np.arange(n), n), heads)
    radius = np.where(hit < n, cost[np.minimum(hit, n - 1)], np.inf)
    out = np.empty(n)
    out[order] = radius[segment]
    return out


@dataclass
class Solution:
    flows: np.ndarray            # per problem arc
    fill: int
    threshold: int               # proven smallest latest arrival (s) at that fill
    keep: np.ndarray             # problem arcs in the final (widened) pruned model
    certificate: Certificate


def bottleneck(g: Graph, cost: np.ndarray, fill: int) -> int:
    """Smallest arc time t such that the graph's arcs of time <= t still carry `fill`."""
    if fill == 0:
        return 0
    cands = np.unique(cost)
    lo, hi = 0, len(cands) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if max_fill(g, cost <= cands[mid])[0] == fill:
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
    demand = int(p.headcount[np.unique(p.arc_line)].sum()) if n else 0
    g = build_graph(p, np.flatnonzero(keep))
    fill, per_line = max_fill(g, np.ones(len(g.arcs), dtype=bool))
    if fill < demand and not keep.all():
        short = [j for j in np.unique(p.arc_line) if per_line.get(int(j), 0) < p.headcount[j]]
        keep |= np.isin(p.arc_line, short)
        widenings += 1
        g = build_graph(p, np.flatnonzero(keep))
        fill, _ = max_fill(g, np.ones(len(g.arcs), dtype=bool))
        if fill < demand and not keep.all():
            keep[:] = True
            method += " (full model)"
            g = build_graph(p, np.flatnonzero(keep))
            fill, _ = max_fill(g, np.ones(len(g.arcs), dtype=bool))
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
    cert = Certificate(optimal=True, method=method, bound=theta, total_travel_s=total, arcs_total=n,
                       arcs_solved=int(keep.sum()), arcs_priced=int((~keep).sum()), widenings=widenings)
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
