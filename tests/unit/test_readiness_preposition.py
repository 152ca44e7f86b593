"""Exact pre-positioning: the CP-SAT solution of the maximal covering problem against brute force, its
proof (OPTIMAL, gap 0), the greedy baseline's shortfall, and the explanation per station."""
from __future__ import annotations

from itertools import combinations

import numpy as np
import pytest

from services.resources.readiness import preposition


def brute_force(cover, weights, teams) -> float:
    return max(preposition.share_of(weights, preposition.covered_by(cover, combo))
               for combo in combinations(range(cover.shape[0]), teams))


@pytest.mark.parametrize("seed, teams", [(1, 2), (2, 3), (3, 4), (4, 3)])
def test_the_solver_proves_the_optimum_brute_force_finds(seed, teams):
    rng = np.random.default_rng(seed)
    minutes = rng.uniform(10, 150, (12, 12))
    cover = minutes <= 60
    weights = rng.uniform(0, 10, 12)
    best = preposition.solve(cover, weights, teams)
    assert best.status == "OPTIMAL" and best.gap == 0.0
    assert len(best.stations) == teams == len(set(best.stations))
    assert best.share == pytest.approx(brute_force(cover, weights, teams), abs=1e-5)
    assert preposition.greedy(cover, weights, teams).share <= best.share + 1e-9


def test_greedy_falls_short_where_the_exact_solution_does_not():
    # site 0 covers the middle three counties (6.5), sites 1 and 2 a flank each (6): greedy takes site 0
    # and one flank (10.5); the two flanks together cover six counties (12).
    cover = np.array([[0, 0, 1, 1, 1, 0, 0],
                      [1, 1, 1, 0, 0, 0, 0],
                      [0, 0, 0, 0, 1, 1, 1]], dtype=bool)
    weights = np.array([2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0])
    weights[3] = 2.5
    greedy = preposition.greedy(cover, weights, 2)
    best = preposition.solve(cover, weights, 2)
    assert greedy.stations[0] == 0                                # the single best site first
    assert sorted(best.stations) == [1, 2] and best.status == "OPTIMAL"
    assert best.share > greedy.share


def test_more_teams_than_sites_is_refused():
    with pytest.raises(ValueError, match="between 1 and the 3 sites"):
        preposition.solve(np.ones((3, 3), dtype=bool), np.ones(3), 4)


def test_each_station_is_explained_by_what_it_reaches_and_what_only_it_reaches():
    cover = np.array([[1, 1, 0, 0], [0, 1, 1, 0], [0, 0, 0, 1]], dtype=bool)
    minutes = np.array([[10, 40, 90, 90], [70, 20, 55, 90], [90, 90, 90, 5]], dtype=float)
    weights = np.array([1.0, 1.0, 1.0, 1.0])
    out = {e["site"]: e for e in preposition.explain(cover, weights, minutes, [0, 1])}
    assert out[0]["reached"] == [0, 1] and out[0]["only_here"] == [0]
    assert out[1]["only_here"] == [2] and out[1]["demand_share"] == 0.5 and out[1]["only_here_share"] == 0.25
    assert out[1]["max_travel_min"] == 55.0
