"""When a request escalates: watched stages, each on its own clock, each escalating once.

- launch: a request with a launch deadline (grade I) whose units are not launched (dispatched) by it;
- approval: a request without one that is not approved by its on-scene deadline;
- on_scene: not on scene by the on-scene deadline.
Both grade I clocks count from the request and are watched separately: missing the launch deadline
escalates at once, missing the on-scene deadline escalates again. A stage that already escalated is
not watched again; a request that left the stage is not watched for it.
"""
from __future__ import annotations

from datetime import datetime

from .lifecycle import NOT_YET_APPROVED, NOT_YET_LAUNCHED, NOT_YET_ON_SCENE


def _watched(status: str, launch: datetime | None, deadline: datetime, escalated: list[str]):
    if launch is not None:
        if status in NOT_YET_LAUNCHED and "launch" not in escalated:
            yield "launch", launch
    elif status in NOT_YET_APPROVED and "approval" not in escalated:
        yield "approval", deadline
    if status in NOT_YET_ON_SCENE and "on_scene" not in escalated:
        yield "on_scene", deadline


def stages_due(status: str, launch: datetime | None, deadline: datetime, escalated: list[str],
               now: datetime) -> list[str]:
    """The stages whose deadline has passed at `now` and that have not escalated yet."""
    return [stage for stage, due in _watched(status, launch, deadline, escalated) if due <= now]


def next_check(status: str, launch: datetime | None, deadline: datetime, escalated: list[str]) -> datetime | None:
    """The earliest deadline still watched, or None when nothing is left to watch."""
    return min((due for _, due in _watched(status, launch, deadline, escalated)), default=None)
