"""logistics' places: the province's geography and driving times (services.geo.places, without the
mobilisation delay: a unit that reports positions is already on the move), plus a county's outline as
an order's scope area."""
from __future__ import annotations

from functools import cached_property, lru_cache

from shapely.geometry import shape

from ..geo.places import Places as ProvincePlaces
from ..geo.road_graph import RoadGraphTravel
from .domain import scope


class Places(ProvincePlaces):
    def __init__(self, province: str):
        super().__init__(province, mobilisation=False)

    @cached_property
    def _outlines(self) -> dict:
        return {f["properties"]["code"]: f["geometry"] for f in self.geography.county_geojson()["features"]}

    @lru_cache(maxsize=256)  # noqa: B019 - one Places per process, kept for its life
    def county_area(self, county: str) -> dict | None:
        """The county's outline as the scope area of an order, None for a county not in the province."""
        outline = self._outlines.get(county)
        return scope.county_area(shape(outline)) if outline else None

    def route(self, origin: tuple[float, float], destination: tuple[float, float]) -> dict | None:
        """The road graph's route from `origin` to `destination` with the driving seconds left at each
        of its points ({points, left_s}; `RoadGraphTravel.timed_route`), kept on an order so that every
        report of a unit on it is timed along the way it drives (the graph times a point between two
        seats by the local roads to a seat, far slower than the expressway it is on). None for any other
        provider: a routing server times each report on the real roads itself."""
        if not isinstance(self.travel, RoadGraphTravel):
            return None
        points, left = self.travel.timed_route(origin, destination)
        return {"points": [list(p) for p in points], "left_s": left}

    def travel_s(self, origin: tuple[float, float], destination: tuple[float, float]) -> float:
        """Driving seconds from `origin` to `destination`: the road graph's `seconds` (one pair, the
        destination's part kept: every report of a unit times the way to the same reporting point),
        any other provider's 1x1 matrix."""
        if isinstance(self.travel, RoadGraphTravel):
            return self.travel.seconds(origin, destination)
        return float(self.travel.matrix([origin], [destination])[0, 0])
