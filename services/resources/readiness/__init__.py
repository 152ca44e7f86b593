"""Provincial readiness: the 1-hour support circle (coverage), its what-if, and exact pre-positioning.

- `policy`: thresholds, team size, pools, rotas and demand weights (policy/readiness-v1.yaml).
- `rota`: who is on shift at a given time, vectorised over the force.
- `force`: the live force as numpy columns (read from the pool's tables).
- `coverage`: per county × module × threshold, officers who can be on scene in time.
- `preposition`: a maximal covering location problem (OR-Tools, SCIP) and its greedy baseline.
- `http`: the HTTP API (GET /readiness/coverage, POST /readiness/what-if, POST /readiness/preposition).
"""
