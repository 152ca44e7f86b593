"""The baseline: nearest-first greedy over every eligible officer -> line arc, the way a dispatcher
picks by hand. Same rules as the optimiser (each officer once, donor reserve floors), no optimality."""
from __future__ import annotations

import numpy as np

from .eligibility import Lines
from .geo import Trips


def greedy(eligible: dict[int, np.ndarray], officer_county: np.ndarray, lines: Lines, travel: Trips | np.ndarray,
           lendable: np.ndarray) -> list[tuple[int, int, int]]:
    """[(pool row, line, travel seconds)] taking the globally nearest free arc first. `travel`: the
    batch's Trips, or a seat-to-seat county matrix."""
    js = [np.full(len(rows), j, dtype=np.int64) for j, rows in eligible.items()]
    if not js:
        return []
    rows = np.concatenate(list(eligible.values()))
    line = np.concatenate(js)
    if isinstance(travel, Trips):
        cost = travel.of(rows, np.asarray(lines.request, dtype=np.int64)[line])
    else:
        cost = travel[officer_county[rows], lines.dest[line]]
    order = np.argsort(cost, kind="stable")
    need, left = lines.headcount.copy(), lendable.copy()
    used: set[int] = set()
    out, remaining = [], int(need.sum())
    for k in order:
        r, j = int(rows[k]), int(line[k])
        c = officer_county[r]
        if need[j] == 0 or r in used or left[c] == 0:
            continue
        used.add(r)
        need[j] -= 1
        left[c] -= 1
        out.append((r, j, int(cost[k])))
        remaining -= 1
        if remaining == 0:
            break
    return out
