"""Travel times under an exercise's conditions: closed road/bridge links and weather slow-downs.

The runner writes the conditions in force to var/exercises/<id>/conditions.json whenever they
change; every process of the exercise follows that file through `services.geo.conditions`
(matching's plans, logistics' estimates, the field side's trips). This module names them for the
exercise package: `ConditionedTravel` is the road graph under given conditions, `ExerciseTravel`
the road graph following the file.
"""
from __future__ import annotations

import os
from pathlib import Path

from services.geo.conditions import ENV_VAR, Conditions, FollowedTravel, in_region, read_conditions, write_conditions
from services.geo.conditions import ConditionedRoadGraph as ConditionedTravel
from services.geo.road_graph import RoadGraphTravel

__all__ = ["ENV_VAR", "Conditions", "ConditionedTravel", "ExerciseTravel", "in_region", "read_conditions",
           "travel_for_exercise", "write_conditions"]


class ExerciseTravel(FollowedTravel):
    """The road graph (parameters as `RoadGraphTravel`'s) following the exercise's conditions file."""

    def __init__(self, geography, path: Path, **kwargs):
        super().__init__(RoadGraphTravel(geography, **kwargs), geography, Path(path))


def travel_for_exercise(geography, env=None, **kwargs):
    """The exercise's provider when EXERCISE_CONDITIONS_FILE is set (an exercise process), else None."""
    path = (os.environ if env is None else env).get(ENV_VAR)
    return ExerciseTravel(geography, Path(path), **kwargs) if path else None
