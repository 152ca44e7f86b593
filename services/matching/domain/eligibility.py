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
class Classes:
    county: np.ndarray                 # county index per class (the donor)
    count: np.ndarray                  # officers per class
    members: list[np.ndarray]          # pool rows per class
    arc_class: np.ndarray              # every class -> line arc of the full model
    arc_line: np.ndarray
    arc_cost: np.ndarray               # travel seconds (int64)
    eligible: Mapping[int, np.ndarray]  # line -> pool rows that qualify (for explanations and greedy)
    origin: np.ndarray = None          # origin (station or seat) per class


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
    ok = (pool.county[rows] != dest) & (pool.module[rows] == MODULES.index(line.module))
    for tag in line.tags:
        t = pool.tag_vocab.index(tag) if tag in pool.tag_vocab else -2
        ok &= (pool.tag_ids[rows] == t).any(axis=1)
    end = req.task_end.date().toordinal()
    for cert in line.certifications:
        if cert not in pool.cert_vocab:
            return np.zeros(len(rows), dtype=bool)
        ok &= pool.cert_expiry[rows, pool.cert_vocab.index(cert)] >= end
    mask = pool.standard_mask(accepts.get(req.county, ())) | (1 << NO_LINK)
    for kind in line.equipment:
        if kind not in pool.kit_vocab:
            if kind not in TEAM_KIT:
                return np.zeros(len(rows), dtype=bool)
            continue
        k = pool.kit_vocab.index(kind)
        fits = (pool.kit_ready[rows, k] & mask) != 0
        ok &= fits | (pool.kit_held[rows, k] == 0) if kind in TEAM_KIT else fits
    return ok & pool.sendable(rows, req.grade, POLICY)


def duty_seconds(pool: Pool, rows: np.ndarray, req: Request, travel_s: np.ndarray) -> np.ndarray:
    """Seconds on duty at the end of the officer's shift on this task: worked + own travel (or the wait
    until a relief shift starts, when longer) + time on scene."""
    to_start = np.maximum(np.asarray(travel_s, dtype=np.int64), req.wait_s)
    return pool.duty[rows].astype(np.int64) * 60 + to_start + req.on_scene_minutes * 60


def within_duty(pool: Pool, rows: np.ndarray, req: Request, travel_s: np.ndarray) -> np.ndarray:
    return duty_seconds(pool, rows, req, travel_s) <= DUTY_LIMIT_S


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
    _, inverse = np.unique(key, axis=0, return_inverse=True)
    return inverse.ravel()


def duty_cutoff(req: Request, travel_s: np.ndarray) -> np.ndarray:
    """The most duty minutes an officer may have worked and still serve `req` within the 12-hour limit
    (within_duty, solved for the minutes worked: an integer, so the floor is exact)."""
    to_start = np.maximum(np.asarray(travel_s, dtype=np.int64), req.wait_s)
    return (DUTY_LIMIT_S - to_start - req.on_scene_minutes * 60) // 60


def build_classes(pool: Pool, requests: list[Request], lines: Lines, travel: Trips | np.ndarray,
                  accepts: dict[str, tuple[str, ...]], *, taken: np.ndarray | None = None) -> Classes:
    """Classes of interchangeable officers and the class -> line arcs with their travel seconds.
    `travel`: the batch's Trips, or a seat-to-seat county matrix (every officer at their seat).

    The rules (`qualifies`) run once per profile of alike officers rather than once per officer; an
    officer then qualifies for a line when their profile does and their duty minutes are within the
    line's cutoff for that profile (the same answer as `qualifies` row by row: tests hold the two equal)."""
    travel = trips(pool, requests, travel)
    free = pool.available.copy()
    if taken is not None:
        free[taken] = False
    special = np.zeros(len(pool), dtype=bool)
    excluded = [np.array([pool.row_of[o] for o in req.exclude if o in pool.row_of], dtype=np.int64)
                for req in requests]
    for rows in excluded:
        special[rows] = True
    counties, origins, counts, members, arcs, listed = [], [], [], [], [], []
    flat = [(r, line) for r, req in enumerate(requests) for line in req.lines]
    for m in np.unique(lines.module):
        mine = np.flatnonzero(lines.module == m)
        rows = np.flatnonzero(free & (pool.module == m))
        if not len(rows):
            continue
        listed += mine.tolist()
        profile = profiles(pool, rows, requests, special)
        first = np.zeros(profile.max() + 1, dtype=np.int64)
        first[profile[::-1]] = np.arange(len(rows))[::-1]
        reps = rows[first]                       # one officer standing for each profile
        table = np.zeros((len(rows), len(mine)), dtype=bool)
        duty = pool.duty[rows].astype(np.int64)
        for col, j in enumerate(mine):
            r, line = flat[j]
            req = requests[r]
            t = travel.of(reps, r)
            ok = _qualifies_but_duty(pool, reps, req, line, int(lines.dest[j]), accepts)
            if len(excluded[r]):
                ok &= ~np.isin(reps, excluded[r])
            cutoff = np.where(ok, duty_cutoff(req, t), -1)
            table[:, col] = duty <= cutoff[profile]
        keep = table.any(axis=1)
        rows, table = rows[keep], table[keep]
        if not len(rows):
            continue
        key = np.concatenate([pool.origin[rows].astype(np.int32).view(np.uint8).reshape(-1, 4),
                              np.packbits(table, axis=1)], axis=1)
        _, first, inverse, count = np.unique(key, axis=0, return_index=True, return_inverse=True,
                                             return_counts=True)
        inverse = inverse.ravel()
        order = np.argsort(inverse, kind="stable")
        bounds = np.cumsum(count)[:-1]
        base = len(members)
        members += np.split(rows[order], bounds)
        counties.append(pool.county[rows[first]])
        origins.append(pool.origin[rows[first]])
        counts.append(count)
        k, col = np.nonzero(table[first])
        arcs.append((k + base, mine[col]))
    if not counts:
        empty = np.zeros(0, dtype=np.int64)
        return Classes(empty, empty, [], empty, empty, empty, Eligible([], empty, empty, listed), empty)
    county = np.concatenate(counties).astype(np.int64)
    origin = np.concatenate(origins).astype(np.int64)
    arc_class = np.concatenate([a for a, _ in arcs]).astype(np.int64)
    arc_line = np.concatenate([b for _, b in arcs]).astype(np.int64)
    request = np.asarray(lines.request, dtype=np.int64)
    cost = travel.seconds[origin[arc_class], request[arc_line]].astype(np.int64)
    return Classes(county, np.concatenate(counts).astype(np.int64), members, arc_class, arc_line, cost,
                   Eligible(members, arc_class, arc_line, listed), origin)


class Eligible(Mapping):
    """line -> the pool rows that qualify for it (for explanations and the greedy baseline), made on
    demand from the classes: every member of a class with an arc to the line, in row order. Lists every
    line of a module with free officers (`lines`, in the order they were examined), qualified or not."""

    def __init__(self, members: list[np.ndarray], arc_class: np.ndarray, arc_line: np.ndarray, lines: list[int]):
        self._members, self._class, self._line = members, arc_class, arc_line
        self._lines, self._known = lines, set(lines)

    def __getitem__(self, j: int) -> np.ndarray:
        if j not in self._known:
            raise KeyError(j)
        classes = self._class[self._line == j]
        if not len(classes):
            return np.zeros(0, dtype=np.int64)
        return np.sort(np.concatenate([self._members[k] for k in classes]))

    def __iter__(self):
        return iter(self._lines)

    def __len__(self) -> int:
        return len(self._lines)
