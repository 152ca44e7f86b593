"""Which officers may serve which lines: the rules, and the figures that let them run once per
profile of alike officers rather than once per officer.

An officer qualifies for a line when on duty, in the deployable pool (mobile, specialist or
support officers; the province reserve only for the grades it serves), of the line's module,
outside the receiving county, holding every tag, every certificate valid until the task ends, for
each piece of equipment a ready item the receiving county's systems accept (team kit travels with
the unit), and with duty already worked + travel + time on scene within the 12-hour limit, counted
in seconds (travel is never rounded down); an officer without the whole time on scene left may still
serve a stint (`within_duty`, the policy's `duty.stint`).

Travel is the officer's own: from their police station (or their county's seat when the roster gives
none) to the request's destination (`geo.Trips`). The officer classes the flow network works on are
made in classes.py.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .geo import Trips
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
    return (pool.county[rows] != dest) & requirements(pool, rows, asks_of(pool, req, line, accepts))


def asks_of(pool: Pool, req: Request, line, accepts: dict[str, tuple[str, ...]]) -> tuple:
    """All `line` of `req` asks of an officer but their county and duty minutes: module, tags,
    certificates valid on the task's last day, equipment fitting the standards the receiving county
    accepts, the grade the pool is sent for. Lines asking the same share one answer."""
    mask = pool.standard_mask(accepts.get(req.county, ())) | (1 << NO_LINK)
    return (line.module, line.tags, line.certifications, line.equipment, req.task_end.date().toordinal(), mask,
            req.grade)


def requirements(pool: Pool, rows: np.ndarray, asks: tuple, memo: dict | None = None) -> np.ndarray:
    """Boolean per row: does the officer meet `asks` (`asks_of`)? `memo`: each test's answer for these
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


def sent_for(pool: Pool, grades) -> np.ndarray:
    """Boolean per pool row: would the pool send the officer for some of `grades` (pool structure)?"""
    out = np.zeros(len(pool), dtype=bool)
    for grade in grades:
        out |= pool.sendable(np.arange(len(pool)), grade, POLICY)
    return out


def duty_seconds(pool: Pool, rows: np.ndarray, req: Request, travel_s: np.ndarray) -> np.ndarray:
    """Seconds on duty at the end of the officer's shift on this task: worked + own travel (or the wait
    until a relief shift starts, when longer) + time on scene."""
    to_start = np.maximum(np.asarray(travel_s, dtype=np.int64), req.wait_s)
    return pool.duty[rows].astype(np.int64) * 60 + to_start + req.on_scene_minutes * 60


def stint_seconds(pool: Pool, rows: np.ndarray, req: Request) -> np.ndarray:
    """Seconds on duty at the end of a stint that starts as late as the plan's shift can start (an
    officer without the whole time on scene left is sent for a stint: Request.stint_start_s)."""
    return pool.duty[rows].astype(np.int64) * 60 + req.stint_start_s + req.stint_minutes * 60


def within_duty(pool: Pool, rows: np.ndarray, req: Request, travel_s: np.ndarray) -> np.ndarray:
    """The 12-hour limit: the whole time on scene after the officer's own journey, or a stint from the
    latest the shift can start when the officer arrives by then."""
    travel_s = np.asarray(travel_s, dtype=np.int64)
    whole = duty_seconds(pool, rows, req, travel_s) <= DUTY_LIMIT_S
    return whole | ((travel_s <= req.stint_start_s) & (stint_seconds(pool, rows, req) <= DUTY_LIMIT_S))


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
    seconds = travel.seconds[:, :len(requests)].astype(np.int64, copy=False)
    whole = (DUTY_LIMIT_S - np.maximum(seconds, wait) - scene) // 60
    start = np.array([req.stint_start_s for req in requests], dtype=np.int64)
    stint = (DUTY_LIMIT_S - start - np.array([req.stint_minutes * 60 for req in requests], dtype=np.int64)) // 60
    # a stint only for those who arrive by the latest start; below every officer's minutes otherwise
    return np.maximum(whole, np.where(seconds <= start, stint, np.iinfo(np.int32).min))


def levels(cutoff: np.ndarray, profile: np.ndarray, duty: np.ndarray, lo: int, chunk: int = 1 << 22) -> np.ndarray:
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
