"""The officer classes the flow network works on, and the class -> line arcs.

Officers of one origin who qualify for exactly the same lines are interchangeable for every objective
(same travel, same donor county), so they become one class with a capacity. Which lines a class may
serve is kept per module as a lines x classes table (`Block`); a request's arcs are read from it.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .eligibility import Lines, asks_of, cutoffs, levels, profiles, requirements, sent_for
from .geo import Trips, trips
from .model import Request
from .pool import Pool


@dataclass
class Block:
    """The classes of one module (numbered from `start`) and which of the module's lines each may serve."""
    start: int
    lines: np.ndarray                  # the module's lines (global ids, ascending)
    serves: np.ndarray                 # bool (lines, classes of the block)

    def arcs(self, lines: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(class, line) arcs to `lines` (the block's, ascending), by class then line."""
        if len(lines) == 1:
            k = np.flatnonzero(self.serves[np.searchsorted(self.lines, lines[0])])
            return self.start + k, np.full(len(k), lines[0], dtype=np.int64)
        k, col = np.nonzero(np.ascontiguousarray(self.serves[np.searchsorted(self.lines, lines)].T))
        return self.start + k, lines[col]


@dataclass
class Classes:
    county: np.ndarray                 # county index per class (the donor)
    count: np.ndarray                  # officers per class
    members: list[np.ndarray]          # pool rows per class
    origin: np.ndarray                 # origin (station or seat) per class
    blocks: list[Block]                # which lines each class may serve, module by module
    seconds: np.ndarray                # travel seconds (origin, request)
    request: np.ndarray                # the request of each line
    listed: list[int]                  # the lines of modules with free officers, in the order examined

    @cached_property
    def eligible(self) -> Mapping[int, np.ndarray]:
        """line -> pool rows that qualify (for explanations and the greedy baseline)."""
        return Eligible(self)

    def arcs(self, lines: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(class, line, travel seconds) of every arc to `lines` (ascending global ids), in the order of
        the full model's arcs (`arc_class`, `arc_line`, `arc_cost`): by block, class and line."""
        lines = np.asarray(lines, dtype=np.int64)
        block = self._block_of[lines]
        if len(lines) > 1:
            order = np.argsort(block, kind="stable")
            lines, block = lines[order], block[order]
        parts = [self.blocks[b].arcs(lines[block == b]) for b in dict.fromkeys(block.tolist()) if b >= 0]
        if not parts:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, empty
        k = np.concatenate([c for c, _ in parts]) if len(parts) > 1 else parts[0][0]
        j = np.concatenate([x for _, x in parts]) if len(parts) > 1 else parts[0][1]
        requests = self.request[lines]
        if (requests == requests[0]).all():
            return k, j, self._by_request[requests[0]][self.origin[k]]
        return k, j, self._by_request[self.request[j], self.origin[k]]

    @cached_property
    def _block_of(self) -> np.ndarray:
        """The block of each line (-1: none)."""
        out = np.full(len(self.request), -1, dtype=np.int64)
        for b, block in enumerate(self.blocks):
            out[block.lines] = b
        return out

    @cached_property
    def _by_request(self) -> np.ndarray:
        """Travel seconds (request, origin), int64."""
        return np.ascontiguousarray(self.seconds.T, dtype=np.int64)

    @cached_property
    def _all(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self.arcs(np.arange(len(self.request)))

    @property
    def arc_class(self) -> np.ndarray:
        """Every class -> line arc of the full model, by module, class and line (made on first use)."""
        return self._all[0]

    @property
    def arc_line(self) -> np.ndarray:
        return self._all[1]

    @property
    def arc_cost(self) -> np.ndarray:
        """Travel seconds of each arc (int64)."""
        return self._all[2]


def build_classes(pool: Pool, requests: list[Request], lines: Lines, travel: Trips | np.ndarray,
                  accepts: dict[str, tuple[str, ...]], *, taken: np.ndarray | None = None) -> Classes:
    """Classes of interchangeable officers and the class -> line arcs with their travel seconds.
    `travel`: the batch's Trips, or a seat-to-seat county matrix (every officer at their seat).

    The rules (`qualifies`) run once per profile of alike officers (and each test a line asks once
    per batch) rather than once per officer; an officer then qualifies for a line when their profile
    does and their duty minutes are within the line's cutoff for that profile (the same answer as
    `qualifies` row by row: tests hold the two equal). Within a profile more duty means fewer lines,
    so its officers fall into levels by how many cutoffs lie below their minutes; a class is then an
    origin with the set of lines of one or more (profile, level) groups."""
    travel = trips(pool, requests, travel)
    free = pool.available.copy()
    if taken is not None:
        free[taken] = False
    batch = _Batch.of(pool, requests, lines, travel, accepts, free)
    members, blocks, listed = [], [], []
    for m in np.unique(lines.module):
        mine = np.flatnonzero(lines.module == m)
        rows = np.flatnonzero(free & (pool.module == m))
        if not len(rows):
            continue
        listed += mine.tolist()
        rows, profile, cutoff = _profile_cutoffs(batch, mine, rows[batch.sendable[rows]])
        found, table = _classes_of(batch, mine, rows, profile, cutoff)
        if found:
            blocks.append(Block(len(members), mine, table))
            members += found
    lead = np.array([rows[0] for rows in members], dtype=np.int64)
    return Classes(pool.county[lead].astype(np.int64), np.array([len(r) for r in members], dtype=np.int64),
                   members, pool.origin[lead].astype(np.int64), blocks, travel.seconds[:, :len(requests)],
                   batch.request, listed)


@dataclass
class _Batch:
    """What eligibility needs of a batch, worked out once for all its modules."""
    pool: Pool
    requests: list[Request]
    lines: Lines
    asks: list[tuple]                  # per line, what it asks (`asks_of`)
    request: np.ndarray                # per line, its request
    excluded: list[np.ndarray]         # per request, the pool rows it may not use
    special: np.ndarray                # per pool row: excluded by some request (a profile of its own)
    sendable: np.ndarray               # per pool row: sent for some grade of the batch
    duty: np.ndarray                   # per pool row, minutes worked (int64)
    cut: np.ndarray                    # (origin, request) duty cutoffs, clipped to [lo, the most worked]
    lo: int                            # below every free officer's minutes: "no line"

    def line_of(self, j: int):
        """The Line of the batch's flattened line `j` (a request's lines are consecutive, in order)."""
        r = int(self.request[j])
        first = int(np.searchsorted(self.request, r))
        return self.requests[r].lines[j - first]

    @classmethod
    def of(cls, pool: Pool, requests: list[Request], lines: Lines, travel: Trips, accepts: dict,
           free: np.ndarray) -> _Batch:
        excluded = [np.array([pool.row_of[o] for o in req.exclude if o in pool.row_of], dtype=np.int64)
                    for req in requests]
        special = np.zeros(len(pool), dtype=bool)
        for rows in excluded:
            special[rows] = True
        sendable = sent_for(pool, {req.grade for req in requests})   # the others serve no line
        duty = pool.duty.astype(np.int64)
        # cutoffs clipped to the free officers' minutes (which answer `duty <= cutoff` alike): small ints
        lo = int(duty[free].min(initial=0)) - 1
        cut = np.clip(cutoffs(requests, travel), lo, int(duty[free].max(initial=0)))
        cut = cut.astype(np.int16 if -2**15 <= lo and cut.max(initial=0) < 2**15 else np.int64)
        asks = [asks_of(pool, req, line, accepts) for req in requests for line in req.lines]
        return cls(pool, requests, lines, asks, np.asarray(lines.request, dtype=np.int64), excluded, special,
                   sendable, duty, cut, lo)


def _profile_cutoffs(batch: _Batch, mine: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, ...]:
    """(rows, profile per row, cutoff per profile x line) for the free officers `rows` of the module of
    lines `mine`: the most duty minutes an officer of the profile may have worked for each line, below
    every officer's minutes where the profile does not qualify. Profiles qualifying for none are left out."""
    pool, request = batch.pool, batch.request
    if not len(rows):
        return rows, rows, np.zeros((0, len(mine)), dtype=batch.cut.dtype)
    profile = profiles(pool, rows, batch.requests, batch.special)
    first = np.zeros(profile.max() + 1, dtype=np.int64)
    first[profile[::-1]] = np.arange(len(rows))[::-1]
    reps = rows[first]                           # one officer standing for each profile
    asks = [batch.asks[j] for j in mine]
    distinct = list(dict.fromkeys(asks))
    memo: dict = {}
    meets = np.stack([requirements(pool, reps, a, memo) for a in distinct], axis=1)
    live = meets.any(axis=1)                     # profiles meeting no line's requirements serve none
    alive = live[profile]
    rows, profile = rows[alive], (np.cumsum(live) - 1)[profile[alive]]
    reps, meets = reps[live], meets[live]
    ok = meets[:, [distinct.index(a) for a in asks]]
    for r in {int(request[j]) for j in mine if len(batch.excluded[int(request[j])])}:
        ok[np.ix_(np.isin(reps, batch.excluded[r]), np.flatnonzero(request[mine] == r))] = False
    # from each origin to each line, no officer of the receiving county
    reach = batch.cut[:, request[mine]]
    reach[pool.origin_county[:, None] == batch.lines.dest[mine][None, :]] = batch.lo
    # from each origin outside a line's designated donor cities, no officer for that line
    for k, j in enumerate(mine):
        line = batch.line_of(int(j))
        if line.donor_cities:
            senders = np.array([line.may_send(c) for c in pool.counties])
            reach[~senders[pool.origin_county], k] = batch.lo
    return rows, profile, np.where(ok, reach[pool.origin[reps]], batch.lo).astype(batch.cut.dtype, copy=False)


def _classes_of(batch: _Batch, mine: np.ndarray, rows: np.ndarray, profile: np.ndarray,
                cutoff: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """(members of each class, bool lines x classes: who may serve what) of one module: officers fall
    into (profile, level) groups, and groups of one origin with the same lines make one class. The
    classes are in the order of their (origin bytes, packed lines) keys, their members in row order."""
    pool, duty = batch.pool, batch.duty
    if not len(rows):
        return [], np.zeros((len(mine), 0), dtype=bool)
    level = levels(cutoff, profile, duty[rows], batch.lo)
    keep = level < len(mine)
    rows, profile, level = rows[keep], profile[keep], level[keep]
    if not len(rows):
        return [], np.zeros((len(mine), 0), dtype=bool)
    _, at, group = np.unique(profile * (len(mine) + 1) + level, return_index=True, return_inverse=True)
    table = cutoff[profile[at]] >= duty[rows[at]][:, None]
    key = np.concatenate([pool.origin[rows[at]].astype(np.int32).view(np.uint8).reshape(-1, 4),
                          np.packbits(table, axis=1)], axis=1)
    head, inverse = _distinct_rows(key)
    klass = inverse[group.ravel()]
    count = np.bincount(klass, minlength=len(head))
    members = np.split(rows[np.argsort(klass, kind="stable")], np.cumsum(count)[:-1])
    return members, np.ascontiguousarray(table[head].T)


def _distinct_rows(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(first row of each distinct row, index of each row's distinct row), the distinct rows in byte
    order: what np.unique(key, axis=0, return_index=True, return_inverse=True) gives for uint8 rows."""
    rows = [bytes(row) for row in key]
    first: dict[bytes, int] = {}
    for i, row in enumerate(rows):
        first.setdefault(row, i)
    order = sorted(first)
    rank = {row: r for r, row in enumerate(order)}
    return (np.array([first[row] for row in order], dtype=np.int64),
            np.array([rank[row] for row in rows], dtype=np.int64))


class Eligible(Mapping):
    """line -> the pool rows that qualify for it (for explanations and the greedy baseline), made on
    demand from the classes: every member of a class that may serve the line, in row order. Lists every
    line of a module with free officers (`Classes.listed`), qualified or not."""

    def __init__(self, classes: Classes):
        self._classes, self._lines, self._known = classes, classes.listed, set(classes.listed)

    def __getitem__(self, j: int) -> np.ndarray:
        if j not in self._known:
            raise KeyError(j)
        k, _, _ = self._classes.arcs(np.array([j]))
        if not len(k):
            return np.zeros(0, dtype=np.int64)
        return np.sort(np.concatenate([self._classes.members[c] for c in k]))

    def __iter__(self):
        return iter(self._lines)

    def __len__(self) -> int:
        return len(self._lines)
