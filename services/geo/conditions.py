"""Travel under an exercise's conditions: closed road or bridge links and weather slow-downs,
wrapped around whichever travel provider the process uses.

An exercise's runner writes the conditions in force to a JSON file whenever they change (closures
and weather injects start and end); every process of the exercise names it in
EXERCISE_CONDITIONS_FILE. `process_travel(geography)` is the provider a service should use: the
provider of `make_travel_provider` in live mode, and in an exercise that provider wrapped so that
every matrix follows the file:

- on the road graph (default), closed links are removed from the graph and the links touching a
  region in bad weather are driven at `speed_factor` of their speed, and shortest paths are computed
  again, so a closure between two counties sends traffic round by the next road;
- on a routing server, each entry's driving part is scaled by the ratio the road graph gives under
  the same conditions (the server knows the roads, the graph knows the closures).

Providers that follow the file carry `version` (changes whenever the conditions do), so a caller
that keeps a matrix derived from them (matching's county matrix) knows when to compute it again.
"""
from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from services.common.private import write_atomic

from .regions import region_covers
from .road_graph import RoadGraphTravel
from .travel import make_travel_provider

ENV_VAR = "EXERCISE_CONDITIONS_FILE"
GRAPH_PARAMETERS = ("highway_kmh", "arterial_kmh", "circuity", "mobilisation_s", "ferry_edges", "local_kmh",
                    "bridge_edges", "highway_min_km", "ferry_kmh", "ferry_wait_s")


@dataclass(frozen=True)
class Conditions:
    """The travel conditions in force: closed links (county pairs) and weather slow-downs."""

    closed: tuple[tuple[str, str], ...] = ()
    slowdowns: tuple[tuple[tuple[str, ...], float], ...] = ()  # (regions, speed factor)

    def __bool__(self) -> bool:
        return bool(self.closed or self.slowdowns)

    def as_dict(self) -> dict:
        return {"closed": [list(pair) for pair in self.closed],
                "slowdowns": [{"regions": list(regions), "speed_factor": factor} for regions, factor in self.slowdowns]}

    @classmethod
    def from_dict(cls, raw: dict) -> "Conditions":
        return cls(closed=tuple(tuple(pair) for pair in raw.get("closed", ())),
                   slowdowns=tuple((tuple(s["regions"]), float(s["speed_factor"])) for s in raw.get("slowdowns", ())))


def in_region(county: str, region: str) -> bool:
    """Whether a county lies in a region given by its code (province, city or the county itself)."""
    return region_covers(region, county)


class ConditionedRoadGraph(RoadGraphTravel):
    """The road graph with `conditions` applied (see the module docstring)."""

    def __init__(self, geography, conditions: Conditions | None = None, **kwargs):
        self.conditions = conditions or Conditions()
        super().__init__(geography, **kwargs)

    def edge_seconds(self) -> np.ndarray:
        weights = super().edge_seconds().copy()  # 0 means no link
        codes = [c.code for c in self.geography.counties]
        index = {code: i for i, code in enumerate(codes)}
        for a, b in self.conditions.closed:
            if a in index and b in index:
                weights[index[a], index[b]] = weights[index[b], index[a]] = 0.0
        for regions, factor in self.conditions.slowdowns:
            hit = np.array([any(in_region(code, r) for r in regions) for code in codes])
            touched = hit[:, None] | hit[None, :]
            weights = np.where(touched & (weights > 0), weights / factor, weights)
        return weights


def graph_parameters(provider: RoadGraphTravel) -> dict:
    return {name: getattr(provider, name) for name in GRAPH_PARAMETERS}


class ConditionedTravel:
    """`base` (any provider) under `conditions` (see the module docstring)."""

    def __init__(self, base, geography, conditions: Conditions):
        self.base, self.conditions = base, conditions
        if isinstance(base, RoadGraphTravel):
            self._graph = ConditionedRoadGraph(geography, conditions, **graph_parameters(base))
            self._clear = None
        else:  # a routing server: scale by what the road graph says the conditions cost
            self._graph = ConditionedRoadGraph(geography, conditions, mobilisation_s=0)
            self._clear = RoadGraphTravel(geography, mobilisation_s=0)
        self.mobilisation_s = getattr(base, "mobilisation_s", 0.0)

    def matrix(self, origins, destinations) -> np.ndarray:
        if self._clear is None:
            return self._graph.matrix(origins, destinations)
        served = self.base.matrix(origins, destinations)
        if not self.conditions:
            return served
        clear, now = self._clear.matrix(origins, destinations), self._graph.matrix(origins, destinations)
        ratio = np.divide(now, clear, out=np.ones_like(now), where=clear > 0)
        return self.mobilisation_s + (served - self.mobilisation_s) * ratio


def write_conditions(path: Path, conditions: Conditions) -> None:
    write_atomic(path, json.dumps(conditions.as_dict()))  # readers see the old conditions or the new, never half a file


def read_conditions(path: Path) -> Conditions:
    try:
        return Conditions.from_dict(json.loads(Path(path).read_text()))
    except FileNotFoundError:
        return Conditions()


class FollowedTravel:
    """A provider that follows the conditions file: `base` under the conditions it holds now."""

    def __init__(self, base, geography, path: Path):
        self.base, self.geography, self.path = base, geography, Path(path)
        self.version, self._provider = None, None

    def current(self) -> ConditionedTravel:
        try:
            stat = self.path.stat()
            stamp = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
        except FileNotFoundError:
            stamp = None
        if self._provider is None or stamp != self.version:
            self.version = stamp
            self._provider = ConditionedTravel(self.base, self.geography, read_conditions(self.path))
        return self._provider

    @property
    def conditions(self) -> Conditions:
        return self.current().conditions

    def matrix(self, origins, destinations) -> np.ndarray:
        return self.current().matrix(origins, destinations)


def process_travel(geography, env: Mapping[str, str] = os.environ):
    """The travel provider of this process: `make_travel_provider`'s, following the exercise's
    conditions when EXERCISE_CONDITIONS_FILE names them (an exercise process)."""
    base = make_travel_provider(geography, env)
    path = env.get(ENV_VAR)
    return FollowedTravel(base, geography, Path(path)) if path else base
