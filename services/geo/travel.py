"""Travel time between points: a replaceable provider of (origins x destinations) matrices.

Every provider answers `matrix(origins, destinations)` with seconds as a numpy array of shape
(len(origins), len(destinations)); points are (lon, lat) in WGS84. Entries include the
provider's `mobilisation_s` (time from order to a team on the move); inf means unreachable.

- `RoadGraphTravel` (default): a graph of county seats, road-class speeds and a circuity factor;
  needs nothing but the geography (parameters and their sources: `services.geo.road_graph`).
- `OsrmTravel`, `ValhallaTravel`: a routing server with the province's road network.

`make_travel_provider(geography)` picks one from the environment:
    TRAVEL_BACKEND = road (default) | osrm | valhalla
    TRAVEL_URL     = the server's base URL, e.g. http://localhost:5000 (osrm, valhalla)
    TRAVEL_MOBILISATION_S = seconds added to every entry (default 600)
"""
from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Protocol, runtime_checkable

import numpy as np

from .links import FixedLink
from .road_graph import RoadGraphTravel
from .routing_servers import OsrmTravel, TravelBackendError, ValhallaTravel

__all__ = ["FixedLink", "OsrmTravel", "RoadGraphTravel", "TravelBackendError", "TravelTimeProvider",
           "ValhallaTravel", "make_travel_provider"]

BACKENDS = ("road", "osrm", "valhalla")


@runtime_checkable
class TravelTimeProvider(Protocol):
    def matrix(self, origins: Sequence[tuple[float, float]],
               destinations: Sequence[tuple[float, float]]) -> np.ndarray:
        """Seconds from every origin to every destination, shape (len(origins), len(destinations))."""
        ...


def make_travel_provider(geography, env: Mapping[str, str] = os.environ) -> TravelTimeProvider:
    """The provider the environment asks for (see the module docstring)."""
    backend = (env.get("TRAVEL_BACKEND") or "road").strip().lower()
    if backend not in BACKENDS:
        raise ValueError(f"TRAVEL_BACKEND must be one of {', '.join(BACKENDS)}; got {backend!r}")
    mobilisation_s = float(env.get("TRAVEL_MOBILISATION_S") or 600)
    if backend == "road":
        return RoadGraphTravel(geography, mobilisation_s=mobilisation_s)
    url = (env.get("TRAVEL_URL") or "").strip()
    if not url:
        raise ValueError(f"TRAVEL_BACKEND={backend} needs TRAVEL_URL, the routing server's base URL")
    server = OsrmTravel if backend == "osrm" else ValhallaTravel
    return server(url, mobilisation_s=mobilisation_s)
