"""Joint planning of a batch: one model for every request of the batch, lexicographic by priority.

The sequential planner (`planner.plan_batch`) gives each request, in priority order, an exactly
optimal plan (most officers, then the earliest latest arrival, then the least total travel) from the
officers the requests before it left. Among a request's optimal plans it keeps whichever the solver
returns, though another with the same fill, latest arrival and travel may leave a later request the
officers it needs. The joint model optimises the same objectives of every request in the same order,
over one network of the whole batch:

    maximise fill_1, then minimise latest_1, then travel_1, then fill_2, latest_2, travel_2, ...

Each request is then planned over every plan that keeps the requests before it optimal, not over one
of them. So the highest-priority request gets exactly what the sequential planner gives it (the best
it could have), and a request is never worse than in the sequential plan unless a request before it is
better: the joint vector of objectives is lexicographically at least the sequential one. A weighted sum
of the requests' objectives was not used: weights that keep a priority order without exception grow
by a factor of the largest objective per request and overflow 64-bit integers beyond a few requests.

Network (one circulation; G is the source and the sink): G -> county (officers it may lend) ->
officer class (officers free) -> line (travel seconds) -> request (the line's headcount) -> G. Every
request's arcs share the counties and classes. Stages, request by request in priority order, each
exact with OR-Tools' min-cost flow on arcs with lower and upper bounds, each leaving for what follows
exactly the set of its optimal plans (the optimal face), so the model stays a network and its flows
integral:

- fill: the most flow into the request (cost -1 on its request -> G arc); that arc is then fixed.
- latest arrival: the smallest arc time t at which the network with the request's slower arcs closed
  still carries the fill (binary search over its arc times; the time below t failing is the proof);
  the slower arcs are then closed.
- total travel: min-cost flow with the request's travel as the only cost. Node potentials (shortest
  paths in the residual network) are the dual that proves it; every arc whose reduced cost is not zero
  is then fixed at its bound, which leaves exactly the plans of least travel (complementary slackness).

The arcs of later requests are left out of a stage's network while they cannot change its answer
(column generation): a later request could only take officers from a class, and that helps the current
request only where the class's potential lies below G's. Such arcs are brought in and the stage solved
again; classes whose potential lies above G's are closed to every arc still out of the model (no
optimal plan lets a later request take from there). A request's own arcs are pruned as in `flow`: its
nearest arcs first, widened when they cannot fill it, and every excluded arc priced against the proven
latest arrival. Each stage is solved on the request's part of the model (what it is connected to other
than through G: the other parts carry no cost in its stages), and an arc that is the only free arc of
a node no later arc can reach is fixed at what conservation leaves it.

Checked against exhaustive search of small batches and against a model holding every request and arc
from the first stage (tests/unit/test_matching_joint.py); the final flow is checked within every bound
and each request's objectives against what its stages proved.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from ortools.graph.python import max_flow, min_cost_flow

from . import flow
from .classes import Classes
from .eligibility import Lines
from .model import Certificate

G = 0
METHOD = "joint lexicographic min_cost_flow (priority order: fill, latest arrival, travel)"


@dataclass
class Part:
    """One request's part of the joint optimum: the class -> line arcs it uses and their officers."""
    arc_class: np.ndarray
    arc_line: np.ndarray
    arc_cost: np.ndarray
    flows: np.ndarray
    fill: int
    threshold: int
    certificate: Certificate


def solve_joint(classes: Classes, lines: Lines, lendable: np.ndarray, order: list[int], *,
                prune: bool = True, factor: float = 2.0, limit_s: float | None = None) -> list[Part] | None:
    """The joint optimum of the batch, one Part per request (indexed like the requests). `order`: the
    requests by priority, highest first. None when `limit_s` seconds have passed before a request's
    stages begin (checked between requests)."""
    start = time.monotonic()
    net = _Joint(classes, lines, lendable, order)
    for r in order:
        if limit_s is not None and time.monotonic() - start > limit_s:
            return None
        net.stage(r, prune=prune, factor=factor)
    return net.parts()


class _Joint:
    """The model: the free arcs (tail, head, bounds lo..hi, travel cost, owning request or -1 for a county
    or class arc, current flow x) and, per node, what the arcs fixed so far bring in and take out (b).
    Nodes: G, then the counties, the classes, the lines and the requests."""

    def __init__(self, classes: Classes, lines: Lines, lendable: np.ndarray, order: list[int]):
        self.classes, self.lines = classes, lines
        n_req = len(order)
        self.c0 = 1
        self.k0 = self.c0 + len(lendable)
        self.j0 = self.k0 + len(classes.count)
        self.r0 = self.j0 + len(lines.headcount)
        self.n = self.r0 + n_req
        self.lendable = np.asarray(lendable, dtype=np.int64)
        self.req_of_line = np.asarray(lines.request, dtype=np.int64)
        self.starts = np.searchsorted(self.req_of_line, np.arange(n_req + 1))
        self.headcount = np.array([int(lines.headcount[a:b].sum()) for a, b in zip(self.starts[:-1], self.starts[1:])],
                                  dtype=np.int64)
        self.rank = np.empty(n_req, dtype=np.int64)
        self.rank[np.asarray(order, dtype=np.int64)] = np.arange(n_req)
        self.b = np.zeros(self.n, dtype=np.int64)            # fixed inflow - fixed outflow per node
        self.room_c = self.lendable.copy()                   # capacity not given to an arc yet
        self.room_k = classes.count.astype(np.int64).copy()
        self.open_c = np.zeros(len(lendable), dtype=bool)    # the county has a free G -> county arc
        self.open_k = np.zeros(len(classes.count), dtype=bool)
        self.active = np.zeros(n_req, dtype=bool)
        self.banned = np.zeros(len(classes.count), dtype=bool)   # closed to arcs not in the model yet
        self.last_user = _last_user(classes, self.rank[self.req_of_line])
        self._arcs: tuple | None = None             # (request, its arcs) while its stage runs
        self.kept: list[list[tuple[int, int, int, int]]] = [[] for _ in range(n_req)]   # fixed own arcs
        self.fixed_fill = np.full(n_req, -1, dtype=np.int64)
        self.info: dict[int, dict] = {}
        empty = np.zeros(0, dtype=np.int64)
        self.tail, self.head, self.lo, self.hi, self.cost, self.owner, self.x = (empty.copy() for _ in range(7))
        self.seen: list[set] = [set() for _ in range(n_req)]   # class -> line arcs of the request in the model
        self.version = 0                 # bumped whenever the model's arcs change
        self._comp: tuple | None = None

    # ---- the model -------------------------------------------------------------------------------

    def _add(self, tail, head, hi, cost, owner) -> None:
        n = len(tail)
        self.version += 1
        self.tail = np.concatenate([self.tail, tail])
        self.head = np.concatenate([self.head, head])
        self.lo = np.concatenate([self.lo, np.zeros(n, dtype=np.int64)])
        self.hi = np.concatenate([self.hi, hi])
        self.cost = np.concatenate([self.cost, cost])
        self.owner = np.concatenate([self.owner, owner])
        self.x = np.concatenate([self.x, np.zeros(n, dtype=np.int64)])

    def _add_arcs(self, r: int, k: np.ndarray, j: np.ndarray, t: np.ndarray) -> int:
        """Bring request r's class -> line arcs (k, j, t) into the model (those not in it yet, from classes
        not closed while they were out of it), with the county and class arcs they need. Returns how many
        came in."""
        new = np.array([(kk, jj) not in self.seen[r] for kk, jj in zip(k.tolist(), j.tolist())], dtype=bool)
        new &= ~self.banned[k]
        k, j, t = k[new], j[new], t[new]
        if not len(k):
            return 0
        self.seen[r].update(zip(k.tolist(), j.tolist()))
        counties = np.unique(self.classes.county[k])
        counties = counties[~self.open_c[counties]]
        if len(counties):
            self._add(np.full(len(counties), G, dtype=np.int64), self.c0 + counties, self.room_c[counties],
                      np.zeros(len(counties), dtype=np.int64), np.full(len(counties), -1, dtype=np.int64))
            self.room_c[counties] = 0
            self.open_c[counties] = True
        ks = np.unique(k)
        ks = ks[~self.open_k[ks]]
        if len(ks):
            self._add(self.c0 + self.classes.county[ks], self.k0 + ks, self.room_k[ks],
                      np.zeros(len(ks), dtype=np.int64), np.full(len(ks), -1, dtype=np.int64))
            self.room_k[ks] = 0
            self.open_k[ks] = True
        self._add(self.k0 + k, self.j0 + j, self.classes.count[k].astype(np.int64), t.astype(np.int64),
                  np.full(len(k), r, dtype=np.int64))
        return len(k)

    def _arcs_of(self, r: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Request r's class -> line arcs by the sequential planner's rules (`Classes.arcs`); those from
        closed classes are left out when they come into the model (`_add_arcs`). The staged request's
        are kept while its stage runs."""
        if self._arcs is not None and self._arcs[0] == r:
            return self._arcs[1]
        k, j, t = self.classes.arcs(np.arange(self.starts[r], self.starts[r + 1]))
        return k, j, t.astype(np.int64)

    def _activate(self, r: int) -> None:
        """Request r enters the model: its lines and its request -> G arc (fill free); arcs come with
        `_add_arcs`."""
        self.active[r] = True
        mine = np.arange(self.starts[r], self.starts[r + 1])
        self._add(self.j0 + mine, np.full(len(mine), self.r0 + r, dtype=np.int64),
                  self.lines.headcount[mine].astype(np.int64), np.zeros(len(mine), dtype=np.int64),
                  np.full(len(mine), r, dtype=np.int64))
        self._add(np.array([self.r0 + r]), np.array([G]), np.array([self.headcount[r]]), np.zeros(1, dtype=np.int64),
                  np.array([r]))

    def _own(self, r: int) -> np.ndarray:
        """Indices of request r's class -> line arcs among the free arcs."""
        return np.flatnonzero((self.owner == r) & (self.tail >= self.k0) & (self.tail < self.j0))

    def _sink(self, r: int) -> int | None:
        at = np.flatnonzero((self.tail == self.r0 + r) & (self.head == G))
        return int(at[0]) if len(at) else None

    def _fold(self) -> None:
        """Arcs fixed at one value leave the model as constants at their ends (own arcs are kept)."""
        fixed = self.lo == self.hi
        if not fixed.any():
            return
        t, h, v = self.tail[fixed], self.head[fixed], self.lo[fixed]
        np.add.at(self.b, h, v)
        np.subtract.at(self.b, t, v)
        for a in np.flatnonzero(fixed & (self.lo > 0) & (self.tail >= self.k0) & (self.tail < self.j0)).tolist():
            self.kept[int(self.owner[a])].append((int(self.tail[a] - self.k0), int(self.head[a] - self.j0),
                                                   int(self.cost[a]), int(self.lo[a])))
        sinks = fixed & (self.head == G) & (self.tail >= self.r0)
        self.fixed_fill[self.tail[sinks] - self.r0] = self.lo[sinks]
        shared = fixed & (self.owner < 0)
        self.open_c[self.head[shared & (self.tail == G)] - self.c0] = False
        self.open_k[self.head[shared & (self.tail != G)] - self.k0] = False
        keep = ~fixed
        self.version += 1
        for name in ("tail", "head", "lo", "hi", "cost", "owner", "x"):
            setattr(self, name, getattr(self, name)[keep])

    def _leaves(self) -> None:
        """Arcs that are a node's only free arc carry what conservation leaves them, so they leave the
        model as constants, where no arc can reach the node later: a line or a request node (every arc
        of an active request is in the model once its stage is over), a class whose only free arc comes
        from its county and a county whose only free arc comes from G. A class or county gives back
        the officers its arc did not carry, for requests that come in later (a new arc from there)."""
        while True:
            deg = np.bincount(self.tail, minlength=self.n) + np.bincount(self.head, minlength=self.n)
            leaf = deg == 1
            leaf[G] = False
            own_end = (leaf[self.head] & (self.head >= self.j0)) | (leaf[self.tail] & (self.tail >= self.j0))
            shared_end = leaf[self.head] & (self.owner < 0)            # the class of c -> k, the county of G -> c
            fold = own_end | shared_end
            if not fold.any():
                return
            back = self.hi[shared_end] - self.x[shared_end]
            to_county = self.tail[shared_end] == G
            np.add.at(self.room_c, self.head[shared_end][to_county] - self.c0, back[to_county])
            np.add.at(self.room_k, self.head[shared_end][~to_county] - self.k0, back[~to_county])
            self.lo[fold] = self.hi[fold] = self.x[fold]
            self._fold()

    # ---- solving ---------------------------------------------------------------------------------

    def _component(self, r: int) -> np.ndarray:
        """The free arcs of request r's part of the model: connected to it other than through G. The
        other parts share only G with it (whose balance follows from the rest), carry no cost in r's
        stages and are left as they are: potentials of 0 prove them."""
        if self._comp is None or self._comp[:2] != (self.version, r):
            inner = (self.tail != G) & (self.head != G)
            tail, head = self.tail[inner], self.head[inner]
            seen = np.zeros(self.n, dtype=bool)
            seen[self.r0 + r] = True
            count = 1
            while True:                                  # grow the part one ring of arcs at a time
                touch = seen[tail] | seen[head]
                seen[tail[touch]] = True
                seen[head[touch]] = True
                now = int(np.count_nonzero(seen))
                if now == count:
                    break
                count = now
            arcs = np.flatnonzero(((self.tail != G) & seen[self.tail]) | ((self.head != G) & seen[self.head]))
            self._comp = (self.version, r, arcs)
        return self._comp[2]

    def _network(self, r: int, hi: np.ndarray | None = None):
        """Request r's part as a network for OR-Tools: (arcs, nodes, tails, heads, capacities, supplies)
        of the flow above the lower bounds; G (node 0) balances the part."""
        arcs = self._component(r)
        tail, head, lo = self.tail[arcs], self.head[arcs], self.lo[arcs]
        mark = np.zeros(self.n, dtype=bool)
        mark[G] = True
        mark[tail] = True
        mark[head] = True
        nodes = np.flatnonzero(mark)
        index = np.cumsum(mark) - 1
        ti, hj = index[tail], index[head]
        supply = self.b[nodes].copy()
        np.subtract.at(supply, ti, lo)
        np.add.at(supply, hj, lo)
        supply[0] -= supply.sum()
        return arcs, nodes, ti, hj, (self.hi if hi is None else hi)[arcs] - lo, supply

    def _feasible(self, r: int, hi: np.ndarray) -> bool:
        """Does request r's part have a flow within the bounds (upper bounds `hi`)? A max flow from the
        nodes with supply to those with demand."""
        _, nodes, ti, hj, cap, supply = self._network(r, hi)
        src, dst = len(nodes), len(nodes) + 1
        give, take = np.flatnonzero(supply > 0), np.flatnonzero(supply < 0)
        solver = max_flow.SimpleMaxFlow()
        solver.add_arcs_with_capacity(np.concatenate([ti, np.full(len(give), src), take]),
                                      np.concatenate([hj, give, np.full(len(take), dst)]),
                                      np.concatenate([cap, supply[give], -supply[take]]))
        if solver.solve(src, dst) != solver.OPTIMAL:
            raise RuntimeError("joint model: max flow failed")
        return solver.optimal_flow() == int(supply[give].sum())

    def _solve(self, r: int, cost: np.ndarray):
        """Min-cost circulation of request r's part of the model under `cost` (per free arc): (x of every
        free arc, what the potentials need)."""
        arcs, nodes, ti, hj, cap, supply = self._network(r)
        solver = min_cost_flow.SimpleMinCostFlow()
        solver.add_arcs_with_capacity_and_unit_cost(ti, hj, cap, cost[arcs])
        solver.set_nodes_supplies(np.arange(len(nodes)), supply)
        status = solver.solve()
        if status != solver.OPTIMAL:
            raise RuntimeError(f"joint model: min cost flow status {status}")
        y = np.asarray(solver.flows(np.arange(len(ti))), dtype=np.int64)
        x = self.x.copy()
        x[arcs] = self.lo[arcs] + y
        return x, (nodes, ti, hj, cap, y, cost[arcs])

    @staticmethod
    def _potentials(residual) -> tuple[np.ndarray, np.ndarray]:
        """(nodes, potential per node) from shortest paths in the residual network: every residual arc
        then has a reduced cost (cost + pi[tail] - pi[head]) of at least zero. G's potential is 0; the
        nodes G cannot reach lie above every node it can."""
        nodes, ti, hj, cap, y, cost = residual
        fwd, bwd = y < cap, y > 0
        return nodes, _shortest(len(nodes), int(np.searchsorted(nodes, G)),
                                np.concatenate([ti[fwd], hj[bwd]]), np.concatenate([hj[fwd], ti[bwd]]),
                                np.concatenate([cost[fwd], -cost[bwd]]))

    def _dense(self, nodes: np.ndarray, pi: np.ndarray) -> np.ndarray:
        """Potentials of every node: 0 (G's) outside the solved part."""
        out = np.zeros(self.n, dtype=np.int64)
        out[nodes] = pi
        return out

    def _class_view(self, nodes: np.ndarray, pi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(the lowest potential a class offers a later request's arcs, whether it lies above G's).

        A later request's arc from class k prices at zero when its line and request nodes take G's
        potential and k's is at least G's. A class in the solved part has its potential; one elsewhere in
        the model, 0. A class never in the model hangs from its county by an arc with nothing on it (its
        officers not given to the model yet): any potential up to the county's, so G's when the
        county's is at least G's; above it that arc is closed, and so the class."""
        pot = self._dense(nodes, pi)
        klass = pot[self.k0:self.j0]
        county = pot[self.c0 + self.classes.county]
        hangs = self.room_k > 0
        low = np.where(hangs, np.minimum(county, 0), klass)
        above = np.where(hangs, county > 0, klass > 0)
        return low, above

    def _later(self, r: int, nodes: np.ndarray, pi: np.ndarray) -> bool:
        """Bring in what could change the stage's answer: the arcs of later requests (in the model or not)
        from a class whose potential lies below G's. Returns whether any came in."""
        low, _ = self._class_view(nodes, pi)
        cand = np.flatnonzero((low < 0) & ~self.banned & (self.last_user > self.rank[r]))
        if not len(cand):
            return False
        k, j, t = self._arcs_from(cand, self.rank[r])
        q = self.req_of_line[j]
        order = np.argsort(q, kind="stable")
        k, j, t, q = k[order], j[order], t[order], q[order]
        reqs, at = np.unique(q, return_index=True)
        brought = False
        for req, a, b in zip(reqs.tolist(), at.tolist(), [*at[1:].tolist(), len(q)]):
            if not self.active[req]:
                self._activate(req)
            brought |= self._add_arcs(req, k[a:b], j[a:b], t[a:b]) > 0
        return brought

    def _arcs_from(self, ks: np.ndarray, after: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The class -> line arcs from the classes `ks` of the requests ranked after `after`, read from
        the classes' tables of which lines each may serve: (class, line, travel seconds)."""
        parts = []
        for block in self.classes.blocks:
            mine = ks[(ks >= block.start) & (ks < block.start + block.serves.shape[1])]
            rows = np.flatnonzero(self.rank[self.req_of_line[block.lines]] > after) if len(mine) else mine
            if len(rows):
                li, ci = np.nonzero(block.serves[np.ix_(rows, mine - block.start)])
                parts.append((mine[ci], block.lines[rows[li]]))
        if not parts:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, empty
        k = np.concatenate([p[0] for p in parts]).astype(np.int64)
        j = np.concatenate([p[1] for p in parts]).astype(np.int64)
        return k, j, self.classes.seconds[self.classes.origin[k], self.req_of_line[j]].astype(np.int64)

    def _optimal(self, r: int, make, enough=None):
        """Solve a stage of request r (`make()`: the cost per free arc), bringing in later requests until
        none could change its answer. `enough(x, cost)`: an answer needing no proof against them (the
        best the stage could reach). Returns (x, cost, nodes, potentials); no potentials when enough."""
        while True:
            cost = make()
            x, residual = self._solve(r, cost)
            if enough is not None and enough(x, cost):
                return x, cost, None, None
            nodes, pi = self._potentials(residual)
            if not self._later(r, nodes, pi):
                return x, cost, nodes, pi

    def _fix_face(self, x: np.ndarray, cost: np.ndarray, nodes: np.ndarray, pi: np.ndarray) -> None:
        """Fix every arc whose reduced cost is not zero at its bound, and close to requests not in the
        model every class a later arc could only take from at a loss: what is left is exactly the set of
        this stage's optimal plans (complementary slackness)."""
        pot = self._dense(nodes, pi)
        rc = cost + pot[self.tail] - pot[self.head]
        up, down = rc < 0, rc > 0
        if (x[down] != self.lo[down]).any() or (x[up] != self.hi[up]).any():
            raise RuntimeError("joint model: the potentials do not prove the flow optimal")
        self.x = x
        self.hi = np.where(down, self.lo, self.hi)
        self.lo = np.where(up, self.hi, self.lo)
        _, above = self._class_view(nodes, pi)
        self.banned |= above

    def stage(self, r: int, *, prune: bool, factor: float) -> None:
        """Request r's three stages: fill, latest arrival, total travel."""
        k, j, t = self._arcs_of(r)
        open_ = ~self.banned[k]              # classes closed to it are no part of its model (nor its radii)
        k, j, t = k[open_], j[open_], t[open_]
        self._arcs = (r, (k, j, t))
        widenings = 0
        if not self.active[r]:
            self._activate(r)
        keep = np.ones(len(k), dtype=bool)
        if prune and len(k):
            p = flow.Problem(k, j, t, self.classes.count, self.classes.county, self.lines.headcount,
                             self.lines.dest, self.lendable)
            keep = t <= flow.radii(p, factor)
        self._add_arcs(r, k[keep], j[keep], t[keep])
        # fill
        want = int(self.headcount[r])
        sink = self._sink(r)
        if sink is not None:                  # every officer it asks for: no proof needed beyond a flow
            hi = self.hi.copy()
            self.lo[sink] = hi[sink] = want
            if self._feasible(r, hi):
                self.hi[sink] = want
                self._fold()
            else:
                self.lo[sink] = 0
        while self._sink(r) is not None:
            def fill_cost():
                c = np.zeros(len(self.tail), dtype=np.int64)
                c[self._sink(r)] = -1
                return c
            x, _, _, _ = self._optimal(r, fill_cost, enough=lambda x, c: -int(c @ x) >= want)
            sink = self._sink(r)
            if x[sink] < want and self._add_arcs(r, k, j, t):   # the nearest arcs cannot fill it: all of them
                widenings += 1
                continue
            self.lo[sink] = self.hi[sink] = x[sink]
            self._fold()
        fill = int(self.fixed_fill[r])
        # latest arrival
        theta = self._bottleneck(r, fill)
        slower = t <= theta
        if fill == want and self._add_arcs(r, k[slower], j[slower], t[slower]):   # an excluded arc as fast
            widenings += 1
            theta = self._bottleneck(r, fill, top=theta)
        own = self._own(r)
        slow = own[self.cost[own] > theta]
        # closed; they leave the model after the travel stage, whose solve covers the whole part they
        # may have held together (so every part keeps a flow within its bounds)
        self.hi[slow] = self.lo[slow]

        # total travel
        def travel_cost():
            c = np.zeros(len(self.tail), dtype=np.int64)
            own = self._own(r)
            c[own] = self.cost[own]
            return c
        x, cost, nodes, pi = self._optimal(r, travel_cost)
        total = int(cost @ x) + sum(c * v for _, _, c, v in self.kept[r])
        self._fix_face(x, cost, nodes, pi)
        self._fold()
        self._leaves()
        self._arcs = None
        self.info[r] = {"fill": fill, "theta": int(theta) if fill else 0, "travel": total, "total": len(k),
                        "solved": len(self.seen[r]), "widenings": widenings}

    def _bottleneck(self, r: int, fill: int, top: float | None = None) -> float:
        """The smallest arc time t such that request r keeps `fill` with its arcs slower than t closed.
        A binary search over its arc times on the model, each step the least flow over its slower arcs
        (0: t holds); then the time below is proven to fail against the requests not in the model too
        (if one could help, it comes in and the search is repeated below t)."""
        floor = max((c for _, _, c, _ in self.kept[r]), default=0)
        while True:
            own = self._own(r)
            if fill == 0 or not len(own):
                return floor
            times = np.unique(self.cost[own])
            times = times[(times >= floor) & (times <= (top if top is not None else times[-1]))]
            cands = np.unique(np.concatenate([times, [floor]]))
            lo, hi = 0, len(cands) - 1
            while lo < hi:
                mid = (lo + hi) // 2
                if self._slow_use(r, int(cands[mid]), proof=False) == 0:
                    hi = mid
                else:
                    lo = mid + 1
            if lo == 0:
                return float(cands[0])
            n = len(self.tail)
            if self._slow_use(r, int(cands[lo - 1]), proof=True) > 0 and len(self.tail) == n:
                return float(cands[lo])
            top = float(cands[lo])          # requests came in: search again below the answer

    def _slow_use(self, r: int, theta: int, *, proof: bool) -> int:
        """The fewest officers request r must take over arcs slower than `theta` (0: theta holds); with
        `proof`, a positive answer is proven against the requests not in the model."""
        def slow_cost():
            c = np.zeros(len(self.tail), dtype=np.int64)
            own = self._own(r)
            c[own[self.cost[own] > theta]] = 1
            return c
        if not proof:
            own = self._own(r)
            hi = self.hi.copy()
            slow = own[self.cost[own] > theta]
            hi[slow] = self.lo[slow]
            return 0 if self._feasible(r, hi) else 1
        x, cost, _, _ = self._optimal(r, slow_cost, enough=lambda x, c: int(c @ x) == 0)
        return int(cost @ x)

    # ---- the answer ------------------------------------------------------------------------------

    def parts(self) -> list[Part]:
        """Each request's plan from the final flow, checked: within every bound, officers conserved at
        every node, and each request's objectives those its stages proved."""
        balance = self.b.copy()
        np.add.at(balance, self.head, self.x)
        np.subtract.at(balance, self.tail, self.x)
        balance[G] = 0
        if balance.any() or (self.x < self.lo).any() or (self.x > self.hi).any():
            raise RuntimeError("joint model: the final flow breaks a bound")
        out = []
        for r in range(len(self.headcount)):
            picks: dict[tuple[int, int], list[int]] = {}
            for k, j, c, v in self.kept[r]:
                picks.setdefault((k, j), [c, 0])[1] += v
            own = self._own(r)
            for a in own[self.x[own] > 0].tolist():
                key = (int(self.tail[a] - self.k0), int(self.head[a] - self.j0))
                picks.setdefault(key, [int(self.cost[a]), 0])[1] += int(self.x[a])
            keys = sorted(picks)
            k = np.array([a for a, _ in keys], dtype=np.int64)
            j = np.array([b for _, b in keys], dtype=np.int64)
            c = np.array([picks[key][0] for key in keys], dtype=np.int64)
            f = np.array([picks[key][1] for key in keys], dtype=np.int64)
            info = self.info[r]
            fill, theta, travel = int(f.sum()), int(c.max(initial=0)), int((c * f).sum())
            if (fill, theta, travel) != (info["fill"], info["theta"], info["travel"]):
                raise RuntimeError(f"joint model: request {r} left its optimal face")
            cert = Certificate(optimal=True, method=METHOD, bound=theta, total_travel_s=travel,
                               arcs_total=info["total"], arcs_solved=info["solved"],
                               arcs_priced=info["total"] - info["solved"], widenings=info["widenings"])
            out.append(Part(k, j, c, f, fill, theta, cert))
        return out


def _shortest(n: int, source: int, tail: np.ndarray, head: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Shortest distances from `source` over arcs that may cost less than zero (no negative cycle),
    Bellman-Ford one round over every arc at a time until nothing shortens. A node the source cannot
    reach gets a distance above every reachable one: a virtual root reaches each node at that cost."""
    big = int(np.abs(weight).sum()) + 1
    dist = np.full(n, big, dtype=np.int64)
    dist[source] = 0
    order = np.argsort(head, kind="stable")
    tail, head, weight = tail[order], head[order], weight[order]
    heads = np.flatnonzero(np.r_[True, head[1:] != head[:-1]]) if len(head) else np.zeros(0, dtype=np.int64)
    into = head[heads]
    for _ in range(n + 1):
        best = np.minimum.reduceat(dist[tail] + weight, heads) if len(heads) else np.zeros(0, dtype=np.int64)
        better = best < dist[into]
        if not better.any():
            return dist
        dist[into[better]] = best[better]
    raise RuntimeError("joint model: a negative cycle in the residual network")


def _last_user(classes: Classes, line_rank: np.ndarray) -> np.ndarray:
    """Per class, the priority rank of the last request with a line it may serve (-1: none)."""
    out = np.full(len(classes.count), -1, dtype=np.int64)
    for block in classes.blocks:
        ranks = line_rank[block.lines]
        for i in np.argsort(ranks, kind="stable").tolist():
            cols = np.flatnonzero(block.serves[i])
            out[block.start + cols] = np.maximum(out[block.start + cols], ranks[i])
    return out
