"""The value types of the geography: a county-level unit and a prefecture-level city."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class County:
    """A county-level unit (district, county, county-level city).

    `seat` is (lon, lat) in WGS84 of the county government seat: "curated" when it comes from the
    province's seat table, "interior-point" when no table exists and a point guaranteed to lie
    inside the county polygon stands in for it. `population` is the resident population of the
    2020 census where known, else None.
    """

    code: str
    name: str
    city_code: str
    city_name: str
    seat: tuple[float, float]
    seat_source: str
    population: int | None = None


@dataclass(frozen=True)
class City:
    """A prefecture-level unit and the codes of its counties (sorted).

    For municipalities (e.g. 110000) and for county-level units that the province administers
    directly without a city feature of their own, the "city" is the province itself.
    """

    code: str
    name: str
    counties: tuple[str, ...]
