"""Which officers may serve which lines, and the officer classes the flow network works on.

An officer qualifies for a line when on duty, in the deployable pool (mobile, specialist or
support officers; the province reserve only for the grades it serves), of the line's module,
outside the receiving county, holding every tag, every certificate valid until the task ends, for
each piece of equipment a ready item the receiving county's systems accept (team kit travels with
the unit), and with duty already worked + travel + time on scene within the 12-hour limit, counted
in seconds (travel is never rounded down).

Travel is the officer's own: from their police station (or their county's seat when the roster gives
none) to the request's destination (`geo.Trips`). Officers of one origin who qualify for exactly the
same lines are interchangeable for every objective (same travel, same donor county), so they become
one class with a capacity.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .geo import Trips, trips
from .model import DUTY_LIMIT_S, Request
from .policy import POLICY
from .pool import MODULES, NO_LINK, TEAM_KIT, Pool


@dataclass
class Lines:
    """The batch's lines flattened: one entry per (request, line)."""
    request: list[int]                 # index into the batch's requests
    line_id: list[str]
    dest: np.ndarray                   # county index of the receiving county
    module: np.ndarray
    headcount: np.ndarray


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


def flatten(requests: list[Request], counties: tuple[str, ...]) -> Lines:
    at = {c: i for i, c in enumerate(counties)}
    items = [(r, line) for r, req in enumerate(requests) for line in req.lines]
    return Lines(request=[r for r, _ in items], line_id=[line.line_id for _, line in items],
                 dest=np.array([at[requests[r].county] for r, _ in items], dtype=np.int64),
                 module=np.array([MODULES.index(line.module) for _, line in items], dtype=np.int64),
                 headcount=np.array([line.headcount for _, line in items], dtype=np.int64))


def qualifies(pool: Pool, rows: np.ndarray, req: Request, line, dest: int, travel_s: np.ndarray,
              accepts: dict[str, tuple[str, ...]]) -> np.ndarray:
    """Boolean per row of `rows`: may this officer serve `line` of `req`? (`travel_s`: each row's travel)"""
    return _qualifies_but_duty(pool, rows, req, line, dest, accepts) & within_duty(pool, rows, req, travel_s)


def _qualifies_but_duty(pool: Pool, rows: np.ndarray, req: Request, line, dest: int,
                        accepts: dict[str, tuple[str, ...]]) -> np.ndarray:
    """`qualifies` but for the duty limit (what a profile of alike officers shares)."""
    return (pool.county[rows] != dest) & _requirements(pool, rows, _asks(pool, req, line, accepts))


def _asks(pool: Pool, req: Request, line, accepts: dict[str, tuple[str, ...]]) -> tuple:
    """All `line` of `req` asks of an officer but their county and duty minutes: module, tags,
    certificates valid on the task's last day, equipment fitting the standards the receiving county
    accepts, the grade the pool is sent for. Lines asking the same share one answer."""
    mask = pool.standard_mask(accepts.get(req.county, ())) | (1 << NO_LINK)
    return (line.module, line.tags, line.certifications, line.equipment, req.task_end.date().toordinal(), mask,
            req.grade)


def _requirements(pool: Pool, rows: np.ndarray, asks: tuple, memo: dict | None = None) -> np.ndarray:
    """Boolean per row: does the officer meet `asks` (`_asks`)? `memo`: each test's answer for these
    rows, kept across calls (lines asking the same tag, certificate or item share it)."""
    tests = _tests(pool, asks)
    if tests is None:
        return np.zeros(len(rows), dtype=bool)
    memo = {} if memo is None else memo
    ok = None
    for key in tests:
        if key not in memo:
            memo[key] = _test(pool, rows, key)
        ok = memo[key] if ok is None else ok & memo[key]
    return ok


def _tests(pool: Pool, asks: tuple) -> list[tuple] | None:
    """The tests an officer must pass for `asks`, in the pool's vocabularies (None: nobody can)."""
    module, tags, certifications, equipment, end, mask, grade = asks
    out = [("module", MODULES.index(module))]
    out += [("tag", pool.tag_vocab.index(tag) if tag in pool.tag_vocab else -2) for tag in tags]
    for cert in certifications:
        if cert not in pool.cert_vocab:
            return None
        out.append(("cert", pool.cert_vocab.index(cert), end))
    for kind in equipment:
        if kind in pool.kit_vocab:
            out.append(("team kit" if kind in TEAM_KIT else "kit", pool.kit_vocab.index(kind), mask))
        elif kind not in TEAM_KIT:
            return None
    return out + [("grade", grade)]


def _test(pool: Pool, rows: np.ndarray, key: tuple) -> np.ndarray:
    """Boolean per row: does the officer pass the test `key` (`_tests`)?"""
    name, *args = key
    if name == "module":
        return pool.module[rows] == args[0]
    if name == "tag":
        return (pool.tag_ids[rows] == args[0]).any(axis=1)
    if name == "cert":
        return pool.cert_expiry[rows, args[0]] >= args[1]
    if name == "grade":
        return pool.sendable(rows, args[0], POLICY)
    k, mask = args
    fits = (pool.kit_ready[rows, k] & mask) != 0
    # team kit travels with the unit: an officer holding none of it is fine
    return fits | (pool.kit_held[rows, k] == 0) if name == "team kit" else fits


def duty_seconds(pool: Pool, rows: np.ndarray, req: Request, travel_s: np.ndarray) -> np.ndarray:
    """Seconds on duty at the end of the officer's shift on this task: worked + own travel (or the wait
    until a relief shift starts, when longer) + time on scene."""
    to_start = np.maximum(np.asarray(travel_s, dtype=np.int64), req.wait_s)
    return pool.duty[rows].astype(np.int64) * 60 + to_start + req.on_scene_minutes * 60


def within_duty(pool: Pool, rows: np.ndarray, req: Request, travel_s: np.ndarray) -> np.ndarray:
    return duty_seconds(pool, rows, req, travel_s) <= DUTY_LIMIT_S


_MIX = np.random.default_rng(20240601).integers(1, 2**63, size=64, dtype=np.int64).astype(np.uint64) | np.uint64(1)


def _group(key: np.ndarray) -> np.ndarray:
    """Index of each row's distinct value in the int64 matrix `key` (in no particular order): rows are
    hashed to one word each and the grouping checked against the rows themselves, so a collision only
    costs the exact path (np.unique over whole rows)."""
    h = np.zeros(len(key), dtype=np.uint64)
    for i in range(key.shape[1]):
        h = h * _MIX[i % len(_MIX)] + key[:, i].astype(np.uint64)
    _, first, inverse = np.unique(h, return_index=True, return_inverse=True)
    inverse = inverse.ravel()
    if (key[first][inverse] == key).all():
        return inverse
    return np.unique(key, axis=0, return_inverse=True)[1].ravel()


def profiles(pool: Pool, rows: np.ndarray, requests: list[Request], special: np.ndarray) -> np.ndarray:
    """Profile of each row: officers alike in everything a line of this batch asks but duty time
    (county, origin, tags, certificates as far as the batch's task ends tell them apart, equipment,
    pool membership). Officers named in a request's exclusions (`special`) are each a profile of their
    own. Returns the profile index per row."""
    ends = [req.task_end.date().toordinal() for req in requests]
    cert = pool.cert_expiry[rows]
    # a certificate expiring before every task ends is as good as none; one outlasting them all, as one
    # valid for ever: only the days between tell lines apart
    cert = np.where(cert < min(ends), 0, np.minimum(cert, max(ends) + 1))
    own = np.where(special[rows], rows, -1)
    key = np.concatenate([pool.county[rows, None].astype(np.int64), pool.origin[rows, None].astype(np.int64),
                          pool.tag_ids[rows].astype(np.int64), cert.astype(np.int64),
                          pool.kit_ready[rows].astype(np.int64), pool.kit_held[rows].astype(np.int64),
                          pool.deployable(POLICY)[rows, None].astype(np.int64),
                          pool.reserve[rows, None].astype(np.int64), own[:, None].astype(np.int64)], axis=1)
    return _group(key)


def cutoffs(requests: list[Request], travel: Trips) -> np.ndarray:
    """The most duty minutes an officer may have worked and still serve each request within the 12-hour
    limit, from every origin (rows) for every request (columns; the first columns of `travel`):
    `within_duty` solved for the minutes worked, an integer, so the floor is exact."""
    wait = np.array([req.wait_s for req in requests], dtype=np.int64)
    scene = np.array([req.on_scene_minutes * 60 for req in requests], dtype=np.int64)
    to_start = np.maximum(travel.seconds[:, :len(requests)].astype(np.int64, copy=False), wait)
    return (DUTY_LIMIT_S - to_start - scene) // 60


def _levels(cutoff: np.ndarray, profile: np.ndarray, duty: np.ndarray, lo: int, chunk: int = 1 << 22) -> np.ndarray:
    """For each officer, how many lines' cutoffs of their profile (`cutoff`: profiles x lines, values
    from `lo`) lie below their duty minutes: officers of one profile at the same level qualify for the
    same lines. Counted per profile and minute value, a block of profiles at a time."""
    n, width = cutoff.shape
    top = int(cutoff.max(initial=lo))
    duty = np.minimum(duty, top + 1)             # past the largest cutoff, every one lies below
    span = top - lo + 2
    out = np.zeros(len(profile), dtype=np.int64)
    step = max(1, chunk // max(width, span))
    order = np.argsort(profile, kind="stable")
    bounds = np.searchsorted(profile[order], np.arange(0, n + step, step))
    for b, start in enumerate(range(0, n, step)):
        block = cutoff[start:start + step]
        k = len(block)
        keys = (np.arange(k, dtype=np.int64)[:, None] * span + (block - lo)).ravel()
        below = np.cumsum(np.bincount(keys, minlength=k * span).reshape(k, span), axis=1)
        mine = order[bounds[b]:bounds[b + 1]]
        # officers with d minutes: cutoffs below d are those up to d - 1
        out[mine] = below[profile[mine] - start, duty[mine] - lo - 1]
    return out


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
    asks: list[tuple]                  # per line, what it asks (`_asks`)
    request: np.ndarray                # per line, its request
    excluded: list[np.ndarray]         # per request, the pool rows it may not use
    special: np.ndarray                # per pool row: excluded by some request (a profile of its own)
    sendable: np.ndarray               # per pool row: sent for some grade of the batch
    duty: np.ndarray                   # per pool row, minutes worked (int64)
    cut: np.ndarray                    # (origin, request) duty cutoffs, clipped to [lo, the most worked]
    lo: int                            # below every free officer's minutes: "no line"

    @classmethod
    def of(cls, pool: Pool, requests: list[Request], lines: Lines, travel: Trips, accepts: dict,
           free: np.ndarray) -> _Batch:
        excluded = [np.array([pool.row_of[o] for o in req.exclude if o in pool.row_of], dtype=np.int64)
                    for req in requests]
        special = np.zeros(len(pool), dtype=bool)
        for rows in excluded:
            special[rows] = True
        # officers the pool would send for none of the batch's grades serve no line
        sendable = np.zeros(len(pool), dtype=bool)
        for grade in {req.grade for req in requests}:
            sendable |= pool.sendable(np.arange(len(pool)), grade, POLICY)
        duty = pool.duty.astype(np.int64)
        # cutoffs clipped to the free officers' minutes (which answer `duty <= cutoff` alike): small ints
        lo = int(duty[free].min(initial=0)) - 1
        cut = np.clip(cutoffs(requests, travel), lo, int(duty[free].max(initial=0)))
        cut = cut.astype(np.int16 if -2**15 <= lo and cut.max(initial=0) < 2**15 else np.int64)
        asks = [_asks(pool, req, line, accepts) for req in requests for line in req.lines]
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
    meets = np.stack([_requirements(pool, reps, a, memo) for a in distinct], axis=1)
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
    return rows, profile, np.where(ok, reach[pool.origin[reps]], batch.lo).astype(batch.cut.dtype, copy=False)


def _classes_of(batch: _Batch, mine: np.ndarray, rows: np.ndarray, profile: np.ndarray,
                cutoff: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """(members of each class, bool lines x classes: who may serve what) of one module: officers fall
    into (profile, level) groups, and groups of one origin with the same lines make one class. The
    classes are in the order of their (origin bytes, packed lines) keys, their members in row order."""
    pool, duty = batch.pool, batch.duty
    if not len(rows):
        return [], np.zeros((len(mine), 0), dtype=bool)
    level = _levels(cutoff, profile, duty[rows], batch.lo)
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
