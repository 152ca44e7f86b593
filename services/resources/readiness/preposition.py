"""Exact pre-positioning: a maximal covering location problem (Church & ReVelle) per module.

Choose `teams` stations among the candidate sites (county seats) to maximise the demand-weighted
share of counties that a station can reach within the threshold:

    max Σ_c w_c y_c   s.t.  y_c ≤ Σ_{s : t(s, c) ≤ T} x_s,   Σ_s x_s = teams,   x, y ∈ {0, 1}

solved by branch and bound (OR-Tools' SCIP) with its status and the gap between the best solution
and the proven bound (0 when OPTIMAL: no stationing covers more). The greedy baseline adds, one at a time, the station covering the
most demand not yet covered.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np


@dataclass
class Solution:
    stations: list[int]                 # site indices, in the order of the demand they cover
    covered: np.ndarray                 # bool per county
    share: float                        # covered demand / total demand
    status: str = "HEURISTIC"
    gap: float | None = None
    bound_share: float | None = None
    solve_s: float = 0.0
    extra: dict = field(default_factory=dict)


def covered_by(cover: np.ndarray, stations) -> np.ndarray:
    """Counties (columns) reached within the threshold from any of the stations (rows of `cover`)."""
    return cover[list(stations)].any(axis=0) if len(stations) else np.zeros(cover.shape[1], dtype=bool)


def share_of(weights: np.ndarray, covered: np.ndarray) -> float:
    total = float(weights.sum())
    return float(weights[covered].sum() / total) if total > 0 else 0.0


def solve(cover: np.ndarray, weights: np.ndarray, teams: int, time_limit_s: float = 10.0) -> Solution:
    """The MCLP on `cover` (sites × counties, bool) and `weights` (per county) for `teams` stations,
    by branch and bound on its LP relaxation (OR-Tools' SCIP; CBC when SCIP is not built in)."""
    from ortools.linear_solver import pywraplp

    n_s, n_c = cover.shape
    if not 1 <= teams <= n_s:
        raise ValueError(f"teams must be between 1 and the {n_s} sites; got {teams}")
    total = float(weights.sum())
    w = weights / total if total > 0 else np.zeros(n_c)
    solver = pywraplp.Solver.CreateSolver("SCIP") or pywraplp.Solver.CreateSolver("CBC")
    x = [solver.BoolVar(f"x{s}") for s in range(n_s)]
    y = [solver.BoolVar(f"y{c}") for c in range(n_c)]
    for c in range(n_c):
        sites = np.flatnonzero(cover[:, c])
        solver.Add(y[c] <= solver.Sum([x[s] for s in sites]) if len(sites) else y[c] == 0)
    solver.Add(solver.Sum(x) == teams)
    solver.Maximize(solver.Sum([float(w[c]) * y[c] for c in range(n_c) if w[c] > 0]))
    hint = greedy(cover, weights, teams).stations   # a good start: the solver proves or improves it
    solver.SetHint(x, [1.0 if s in hint else 0.0 for s in range(n_s)])
    solver.SetTimeLimit(int(time_limit_s * 1000))
    started = time.perf_counter()
    status = solver.Solve()
    elapsed = time.perf_counter() - started
    if status not in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE):
        raise RuntimeError(f"the solver found no solution (status {status})")
    chosen = [s for s in range(n_s) if x[s].solution_value() > 0.5]
    covered = covered_by(cover, chosen)
    share = share_of(weights, covered)
    optimal = status == pywraplp.Solver.OPTIMAL
    bound = share if optimal else max(share, float(solver.Objective().BestBound()))
    gap = 0.0 if optimal else (bound - share) / bound if bound > 0 else 0.0
    return Solution(stations=_ordered(cover, weights, chosen), covered=covered, share=share,
                    status="OPTIMAL" if optimal else "FEASIBLE", gap=round(gap, 6), bound_share=min(1.0, bound),
                    solve_s=elapsed)


def greedy(cover: np.ndarray, weights: np.ndarray, teams: int) -> Solution:
    """Each station in turn where it covers the most demand not covered yet (ties: the lower index)."""
    started = time.perf_counter()
    covered, chosen = np.zeros(cover.shape[1], dtype=bool), []
    for _ in range(min(teams, cover.shape[0])):
        gain = (cover & ~covered[None, :]).astype(float) @ weights
        gain[chosen] = -1.0
        best = int(np.argmax(gain))
        chosen.append(best)
        covered |= cover[best]
    return Solution(stations=chosen, covered=covered, share=share_of(weights, covered),
                    solve_s=time.perf_counter() - started)


def _ordered(cover: np.ndarray, weights: np.ndarray, chosen: list[int]) -> list[int]:
    """The chosen stations, the one covering the most demand first."""
    return sorted(chosen, key=lambda s: (-float(weights[cover[s]].sum()), s))


def explain(cover: np.ndarray, weights: np.ndarray, minutes: np.ndarray, stations: list[int]) -> list[dict]:
    """Per station: the counties it reaches in time, their demand, and the demand only it reaches."""
    total = float(weights.sum()) or 1.0
    reach_count = cover[stations].sum(axis=0) if stations else np.zeros(cover.shape[1], dtype=int)
    out = []
    for s in stations:
        reached = np.flatnonzero(cover[s])
        alone = reached[reach_count[reached] == 1]
        out.append({"site": s, "reached": reached.tolist(), "only_here": alone.tolist(),
                    "demand_share": round(float(weights[reached].sum()) / total, 4),
                    "only_here_share": round(float(weights[alone].sum()) / total, 4),
                    "max_travel_min": round(float(minutes[s, reached].max()), 1) if len(reached) else None})
    return out
