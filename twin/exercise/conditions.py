"""Travel times under an exercise's conditions: closed road/bridge links and weather slow-downs.

`ConditionedTravel` is the default road graph (services.geo.RoadGraphTravel) with the closed links
removed and the links touching a region in bad weather driven at `speed_factor` of their speed.
The runner writes the conditions in force to var/exercises/<id>/conditions.json whenever they
change; `travel_for_exercise` gives any process of the exercise (matching, the twin's preview, the
scoring) a provider that follows that file.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from services.geo.travel import RoadGraphTravel

from .schedule import Conditions

ENV_VAR = "EXERCISE_CONDITIONS_FILE"


def in_region(county: str, region: str) -> bool:
    if region.endswith("0000"):
        return county[:2] == region[:2]
    if region.endswith("00"):
        return county[:4] == region[:4]
    return county == region


class ConditionedTravel(RoadGraphTravel):
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


def write_conditions(path: Path, conditions: Conditions) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(conditions.as_dict()))
    os.replace(tmp, path)


def read_conditions(path: Path) -> Conditions:
    try:
        return Conditions.from_dict(json.loads(Path(path).read_text()))
    except FileNotFoundError:
        return Conditions()


class ExerciseTravel:
    """A travel provider that rebuilds its road graph whenever the exercise's conditions file changes."""

    def __init__(self, geography, path: Path, **kwargs):
        self.geography, self.path, self.kwargs = geography, Path(path), kwargs
        self._stamp, self._provider = None, None

    def _current(self) -> ConditionedTravel:
        try:
            stat = self.path.stat()
            stamp = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
        except FileNotFoundError:
            stamp = None
        if self._provider is None or stamp != self._stamp:
            self._stamp = stamp
            self._provider = ConditionedTravel(self.geography, read_conditions(self.path), **self.kwargs)
        return self._provider

    def matrix(self, origins, destinations) -> np.ndarray:
        return self._current().matrix(origins, destinations)


def travel_for_exercise(geography, env=None, **kwargs):
    """The exercise's provider when EXERCISE_CONDITIONS_FILE is set (an exercise process), else None."""
    path = (os.environ if env is None else env).get(ENV_VAR)
    return ExerciseTravel(geography, Path(path), **kwargs) if path else None
