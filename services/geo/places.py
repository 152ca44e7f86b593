"""A province's geography and its travel-time provider, loaded on first use: what every service that
places things on the map shares (resources' search and support circle, logistics' orders and ETAs)."""
from __future__ import annotations

import os
from functools import cached_property


class Places:
    """Geography, the configured travel provider (TRAVEL_BACKEND) and each county's seat.

    `mobilisation`: whether travel times include the provider's mobilisation delay (an officer timed
    from where they are must first set off) or are driving time only (a unit already on the move)."""

    def __init__(self, province: str, *, mobilisation: bool = True):
        self.province, self.mobilisation = province, mobilisation

    @cached_property
    def geography(self):
        from . import Geography
        return Geography.load(self.province)

    @cached_property
    def travel(self):
        from .travel import make_travel_provider
        if self.mobilisation:
            return make_travel_provider(self.geography)
        return make_travel_provider(self.geography, {**os.environ, "TRAVEL_MOBILISATION_S": "0"})

    @cached_property
    def seats(self) -> dict[str, tuple[float, float]]:
        return {c.code: c.seat for c in self.geography.counties}

    def seat(self, county: str) -> tuple[float, float] | None:
        return self.seats.get(county)

    def county_name(self, county: str) -> str:
        try:
            return self.geography.county(county).name
        except KeyError:
            return county
