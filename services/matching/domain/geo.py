"""Travel seconds for the optimiser, from whichever travel provider services.geo is configured with.

Officers leave from their origin: their police station when the roster gives one, else their county's
seat. A pool numbers its origins with the county seats first (origin i < len(counties) is county i's
seat), then the stations (`Pool.origins`). A batch's travel is then one number per (origin,
request): `Trips`, built from the provider by matching's planner (station -> incident point), or from
a seat-to-seat county matrix, where a station counts as its county's seat (`trips`).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

YEAR_S = 365 * 86400   # what an unreachable pair costs


def county_matrix(geography, provider) -> tuple[tuple[str, ...], np.ndarray]:
    """(county codes, int64 seconds seat -> seat incl. mobilisation); unreachable pairs get a year."""
    codes = tuple(c.code for c in geography.counties)
    return codes, seconds(provider.matrix(geography.seats, geography.seats))


def seconds(raw) -> np.ndarray:
    """A provider's matrix as whole int64 seconds, unreachable entries a year."""
    raw = np.asarray(raw, dtype=float)
    return np.rint(np.where(np.isfinite(raw), raw, YEAR_S)).astype(np.int64)


@dataclass
class Reach:
    """Travel seconds to one destination from every origin of a pool (seats first, then stations)."""
    seconds: np.ndarray            # int64 per origin
    origin: np.ndarray             # per pool row: its origin
    origin_county: np.ndarray      # per origin: its county
    n_counties: int

    def of(self, rows) -> np.ndarray:
        """Seconds for pool rows `rows`."""
        return self.seconds[self.origin[np.asarray(rows, dtype=np.int64)]]

    @property
    def seats(self) -> np.ndarray:
        """Seconds from each county's seat (index = county)."""
        return self.seconds[:self.n_counties]

    @property
    def nearest(self) -> np.ndarray:
        """Seconds from each county's nearest origin (its seat or one of its stations)."""
        out = self.seats.copy()
        np.minimum.at(out, self.origin_county[self.n_counties:], self.seconds[self.n_counties:])
        return out


@dataclass
class Trips:
    """Travel seconds from every origin of a pool to each request's destination of a batch."""
    seconds: np.ndarray            # int64 (origins, requests)
    origin: np.ndarray             # per pool row: its origin
    origin_county: np.ndarray      # per origin: its county
    n_counties: int

    def of(self, rows, r) -> np.ndarray:
        """Seconds of pool rows `rows` to request `r`'s destination."""
        return self.seconds[self.origin[np.asarray(rows, dtype=np.int64)], r]

    def reach(self, r: int) -> Reach:
        return Reach(self.seconds[:, r], self.origin, self.origin_county, self.n_counties)


def trips(pool, requests, travel) -> Trips:
    """`travel` as Trips: itself, or from a seat-to-seat county matrix (a station counts as its seat,
    the destination is the receiving county's seat), which gives every officer of a county one time."""
    if isinstance(travel, Trips):
        return travel
    at = {c: i for i, c in enumerate(pool.counties)}
    dest = np.array([at[r.county] for r in requests], dtype=np.int64)
    matrix = np.asarray(travel)
    return Trips(matrix[np.ix_(pool.origin_county, dest)].astype(np.int64), pool.origin, pool.origin_county,
                 len(pool.counties))


def reach(pool, travel, dest: int) -> Reach:
    """`travel` (a Reach, or a seat-to-seat county matrix) as the Reach of county `dest`'s seat."""
    if isinstance(travel, Reach):
        return travel
    return Reach(np.asarray(travel)[pool.origin_county, dest].astype(np.int64), pool.origin, pool.origin_county,
                 len(pool.counties))
