"""The province's geography and travel times, loaded on first use and shared by handlers and routes."""
from __future__ import annotations

import os
from functools import cached_property, lru_cache

from shapely.geometry import shape

from .domain import scope


class Places:
    def __init__(self, province: str):
        self.province = province

    @cached_property
    def geography(self):
        from ..geo import Geography
        return Geography.load(self.province)

    @cached_property
    def travel(self):
        """The configured provider (TRAVEL_BACKEND), driving time only: a unit that reports
        positions is already on the move, so no mobilisation delay."""
        from ..geo.travel import make_travel_provider
        return make_travel_provider(self.geography, {**os.environ, "TRAVEL_MOBILISATION_S": "0"})

    def seat(self, county: str) -> tuple[float, float] | None:
        try:
            return self.geography.county(county).seat
        except KeyError:
            return None

    def county_name(self, county: str) -> str:
        try:
            return self.geography.county(county).name
        except KeyError:
            return county

    @cached_property
    def _outlines(self) -> dict:
        return {f["properties"]["code"]: f["geometry"] for f in self.geography.county_geojson()["features"]}

    @lru_cache(maxsize=256)  # noqa: B019 - one Places per process, kept for its life
    def county_area(self, county: str) -> dict | None:
        """The county's outline as the scope area of an order, None for a county not in the province."""
        outline = self._outlines.get(county)
        return scope.county_area(shape(outline)) if outline else None

    def travel_s(self, origin: tuple[float, float], destination: tuple[float, float]) -> float:
        return float(self.travel.matrix([origin], [destination])[0, 0])
