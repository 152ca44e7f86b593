"""The 1-hour support circle: per county × module × threshold, how many qualified officers can be on
scene in time, now and as shifts change.

An officer counts for a county, a module and a threshold when they are of that module, available
(on duty, not committed), of a deployable class or the province reserve, can reach the county's seat
within the threshold by the travel provider (mobilisation included, the provider the matching uses)
and still has, after the journey, `on_scene` minutes before the 12-hour duty limit. Support from
another county is capped by what that county may lend above its reserve floor (reserve.floor of
its strength); a county is inside the circle for a module when the support from the other counties
that can arrive within the circle threshold is at least a team (policy `team`).

Officers are grouped by (origin, module, county, minutes left) before the travel matrix is read, so
the work grows with the distinct origins, not with the officers.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from ..domain.duty import DUTY_LIMIT_MIN
from . import rota
from .force import AVAILABLE, COMMITTED, MODULES, Force
from .policy import ReadinessPolicy

CHUNK = 10_000   # rows per travel-matrix call: one call over 100,000 origins is ten times slower


def travel_minutes(travel, origins: np.ndarray, destinations: np.ndarray) -> np.ndarray:
    """Minutes from every origin to every destination (float32), by the travel provider."""
    out = np.empty((len(origins), len(destinations)), dtype=np.float32)
    for i in range(0, len(origins), CHUNK):
        out[i:i + CHUNK] = np.asarray(travel.matrix(origins[i:i + CHUNK], destinations)) / 60.0
    return out


@dataclass
class Coverage:
    at: datetime
    local: np.ndarray       # int (county, module, threshold): the county's own officers in time
    support: np.ndarray     # int (county, module, threshold): other counties' officers, capped by their floors
    lendable: np.ndarray    # int per county: available officers above its reserve floor
    covered: np.ndarray     # bool (county, module): support within the circle >= a team


def project(force: Force, policy: ReadinessPolicy, now: datetime, at: datetime) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(available, committed, duty minutes) of every officer at `at` >= now: the live state until the
    officer's rotation next changes shift, then the rota (an officer without a known watch is off)."""
    elapsed = max(0, int((at - now).total_seconds() // 60))
    committed = force.state == COMMITTED
    live = force.state == AVAILABLE
    if elapsed == 0:
        return live, committed, force.duty.copy()
    change = np.array([rota.shift_end(r, now) > at for r in policy.rotations], dtype=bool)
    before = change[force.rotation]
    on, worked = rota.table(policy.rotations, at)
    known = force.watch >= 0
    watch = np.maximum(force.watch, 0)
    by_rota = known & on[force.rotation, watch] & ~force.unavailable & ~committed
    available = np.where(before, live, by_rota)
    minutes = np.where(before, force.duty + elapsed, worked[force.rotation, watch]).astype(np.int32)
    return available, committed, minutes


def compute(force: Force, policy: ReadinessPolicy, minutes: np.ndarray, at: datetime,
            state: tuple[np.ndarray, np.ndarray, np.ndarray], duty_limit: int = DUTY_LIMIT_MIN) -> Coverage:
    """Coverage at one time from the force's state then (project) and the origins' travel minutes."""
    available, committed, duty_min = state
    thresholds = np.array(policy.thresholds_min, dtype=np.float32)
    n_c, n_m, n_k = len(force.counties), len(MODULES), len(thresholds)
    left = duty_limit - duty_min - policy.on_scene_min
    rows = np.flatnonzero(available & force.deployable & (left >= 0))
    cap = int(thresholds[-1]) + 1                      # more minutes left than the longest threshold: all alike
    key = (((force.origin[rows].astype(np.int64) * n_m + force.module[rows]) * n_c + force.county[rows]) * (cap + 1)
           + np.minimum(left[rows], cap))
    groups, weight = np.unique(key, return_counts=True)
    g_left, rest = groups % (cap + 1), groups // (cap + 1)
    g_county, rest = rest % n_c, rest // n_c
    g_module, g_origin = rest % n_m, rest // n_m
    reach = minutes[g_origin]                          # (groups, counties)
    bucket = np.searchsorted(thresholds, reach, side="left")
    bucket[reach > g_left[:, None]] = n_k              # not enough duty time left for the journey
    cell = ((g_county * n_m + g_module) * n_c)[:, None] + np.arange(n_c)[None, :]
    flat = np.bincount((cell * (n_k + 1) + bucket).ravel(), weights=np.repeat(weight, n_c),
                       minlength=n_c * n_m * n_c * (n_k + 1))
    counts = np.cumsum(flat.reshape(n_c, n_m, n_c, n_k + 1)[..., :n_k], axis=-1).astype(np.int64)  # (donor, m, target, k)
    lendable = _lendable(force, available, committed)
    diag = np.arange(n_c)
    local = counts[diag, :, diag, :]                   # (county, module, k)
    capped = np.minimum(counts, lendable[:, None, None, None])
    capped[diag, :, diag, :] = 0
    support = capped.sum(axis=0).transpose(1, 0, 2)    # (target, module, k)
    circle = policy.thresholds_min.index(policy.circle_min)
    return Coverage(at=at, local=local, support=support, lendable=lendable,
                    covered=support[:, :, circle] >= policy.team)


def _lendable(force: Force, available: np.ndarray, committed: np.ndarray) -> np.ndarray:
    n_c = len(force.counties)
    free = np.bincount(force.county, weights=available, minlength=n_c).astype(np.int64)
    strength = free + np.bincount(force.county, weights=committed, minlength=n_c).astype(np.int64)
    floor = np.array([math.ceil(round(s * p, 9)) for s, p in zip(strength, force.share)], dtype=np.int64)
    return np.maximum(0, free - floor)


def timeline(force: Force, policy: ReadinessPolicy, minutes: np.ndarray, now: datetime, at: datetime,
             horizon_h: float) -> list[Coverage]:
    """Coverage at `at` and at every shift change of the rotas within the horizon after it."""
    times = [at, *rota.changes(policy.rotations, at, horizon_h)]
    return [compute(force, policy, minutes, t, project(force, policy, now, t)) for t in times]


def loop_baseline(force: Force, policy: ReadinessPolicy, minutes: np.ndarray, duty_limit: int = DUTY_LIMIT_MIN,
                  rows=None) -> np.ndarray:
    """The same counts (donor, module, target, threshold) by a plain loop over officers (benchmark baseline)."""
    n_c = len(force.counties)
    counts = np.zeros((n_c, len(MODULES), n_c, len(policy.thresholds_min)), dtype=np.int64)
    for i in (range(len(force)) if rows is None else rows):
        if force.state[i] != AVAILABLE or not force.deployable[i]:
            continue
        left = duty_limit - int(force.duty[i]) - policy.on_scene_min
        if left < 0:
            continue
        d, m, row = int(force.county[i]), int(force.module[i]), minutes[force.origin[i]]
        for c in range(n_c):
            t = float(row[c])
            if t > left:
                continue
            for k, limit in enumerate(policy.thresholds_min):
                if t <= limit:
                    counts[d, m, c, k] += 1
    return counts
