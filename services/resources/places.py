"""The province's geography and travel-time provider for resources, loaded on first use: the
availability search with a point and the support circle read them, the pool's regions are filled
from the geography once."""
from __future__ import annotations

from functools import cached_property


class Places:
    """Geography, the configured travel provider (TRAVEL_BACKEND, with its mobilisation delay: an
    officer timed from where they are must first set off) and each county's seat."""

    def __init__(self, province: str):
        self.province = province

    @cached_property
    def geography(self):
        from ..geo import Geography
        return Geography.load(self.province)

    @cached_property
    def travel(self):
        from ..geo.travel import make_travel_provider
        return make_travel_provider(self.geography)

    @cached_property
    def seats(self) -> dict[str, tuple[float, float]]:
        return {c.code: c.seat for c in self.geography.counties}
