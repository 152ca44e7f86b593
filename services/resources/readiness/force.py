"""The live force as numpy columns: what the coverage needs of each officer, nothing personal."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np

from services.common.contracts import MODULES

from ..domain import duty
from ..domain.reserve import DEFAULT_SHARE
from .policy import ReadinessPolicy

AVAILABLE, COMMITTED, AWAY = 0, 1, 2   # on duty and free; reserved or deployed; off duty, resting, unavailable


@dataclass
class Force:
    ids: np.ndarray               # officer ids (object)
    counties: tuple[str, ...]     # `county` indexes into it (the geography's order)
    county: np.ndarray            # int16
    module: np.ndarray            # int8, index into MODULES
    deployable: np.ndarray        # bool: of a deployable class, or in the province reserve
    state: np.ndarray             # int8: AVAILABLE, COMMITTED, AWAY now
    unavailable: np.ndarray       # bool: away whatever the rota says (leave, sickness, training)
    duty: np.ndarray              # int32: duty minutes in the current 24-hour window
    origin: np.ndarray            # int32: index into `origins`
    origins: np.ndarray           # float (k, 2) lon, lat: county seats first, then known positions
    rotation: np.ndarray          # int8: index into policy.rotations (the watch's, else the role class's)
    watch: np.ndarray             # int8: the officer's watch, -1 when not known
    share: np.ndarray             # float per county: its reserve share

    def __len__(self) -> int:
        return len(self.ids)

    def without(self, ids) -> "Force":
        """The force with these officers taken out of the available pool (committed elsewhere)."""
        rows = np.flatnonzero(np.isin(self.ids, list(ids)))
        state = self.state.copy()
        state[rows] = COMMITTED
        return Force(**{**self.__dict__, "state": state})

    def restored(self, ids) -> "Force":
        """The force with these officers, where committed, back in the available pool: as it stood
        before the commit that holds them (a plan's own officers, to ask what sending them changed)."""
        state = self.state.copy()
        state[np.isin(self.ids, list(ids)) & (state == COMMITTED)] = AVAILABLE
        return Force(**{**self.__dict__, "state": state})


def build(rows: list[tuple], counties: list, policy: ReadinessPolicy, now: datetime,
          shares: dict[str, float | None] | None = None, default_share: float = DEFAULT_SHARE) -> Force:
    """A Force from store.force_rows (counties: the geography's, each with .code and .seat)."""
    codes = tuple(c.code for c in counties)
    at = {c: i for i, c in enumerate(codes)}
    n = len(rows)
    cols = list(zip(*rows)) if rows else [()] * 13
    oid, county, module, role, status, avail, minutes, window, lon, lat, level, rot_name, watch = cols
    rot_index = {r.name: i for i, r in enumerate(policy.rotations)}
    by_role = {role_class: rot_index[name] for role_class, name in policy.by_role}
    lon = np.array([np.nan if v is None else v for v in lon], dtype=float)
    lat = np.array([np.nan if v is None else v for v in lat], dtype=float)
    county_idx = np.array([at[c] for c in county], dtype=np.int16)
    placed = np.flatnonzero(~np.isnan(lon) & ~np.isnan(lat))
    points, inverse = (np.unique(np.column_stack((lon[placed], lat[placed])), axis=0, return_inverse=True)
                       if len(placed) else (np.zeros((0, 2)), np.zeros(0, dtype=int)))
    origin = county_idx.astype(np.int32)
    origin[placed] = len(codes) + inverse.reshape(-1)
    seats = np.array([c.seat for c in counties], dtype=float)
    status = np.array(status, dtype=object)
    state = np.where(np.array(avail, dtype=bool), AVAILABLE,
                     np.where(np.isin(status, ("reserved", "deployed")), COMMITTED, AWAY)).astype(np.int8)
    known = np.array([r in rot_index for r in rot_name], dtype=bool)
    rotation = np.array([rot_index[r] if k else by_role.get(c, by_role.get("regular", 0))
                         for r, k, c in zip(rot_name, known, role)], dtype=np.int8)
    reserve = np.array([lv == "province" for lv in level], dtype=bool)
    deployable = np.isin(np.array(role, dtype=object), list(policy.deployable))
    if policy.province_reserve:
        deployable |= reserve
    share_of = shares or {}
    return Force(
        ids=np.array(oid, dtype=object), counties=codes, county=county_idx,
        module=np.array([MODULES.index(m) for m in module], dtype=np.int8).reshape(n),
        deployable=deployable.reshape(n), state=state.reshape(n),
        unavailable=(status == "unavailable").reshape(n),
        duty=np.array([duty.minutes_in_window(m, w, now) for m, w in zip(minutes, window)], dtype=np.int32),
        origin=origin, origins=np.vstack((seats, points)) if len(points) else seats,
        rotation=rotation.reshape(n), watch=np.where(known, np.array([w if w is not None else -1 for w in watch]), -1)
        .astype(np.int8).reshape(n),
        share=np.array([default_share if share_of.get(c) is None else share_of[c] for c in codes], dtype=float))
