"""The exercise clock: simulated time that runs ×1..×600, pauses and resumes, the same in every
process of one exercise.

Its state is one small JSON file (var/exercises/<id>/clock.json) that only the runner writes
(atomically, by rename) and every process of the exercise reads: `FileClock` re-reads it when the
file changes. The state is an anchor: at wall instant `wall` the simulated time was `sim`; since
then it advanced `speed` times faster than the wall clock, unless `paused`. Changing speed or
pausing re-anchors at the current simulated instant, so simulated time never jumps.

A stop (`until`) is a simulated instant the clock does not run past: it reaches it and stands there,
as if paused, until the runner moves the stop on (`stop_at`). The runner sets it at the next moment
it must act at (an inject, a change of conditions, the end), so that on a busy machine a late
wake-up of the runner does not let simulated time run past that moment: at ×600 a tenth of a
second late would be a minute of exercise.
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timezone
from pathlib import Path

from services.common.private import write_atomic

MIN_SPEED, MAX_SPEED = 1.0, 600.0
ENV_VAR = "EXERCISE_CLOCK_FILE"


class ClockError(ValueError):
    pass


@dataclass(frozen=True)
class ClockState:
    sim: float  # simulated epoch seconds at the anchor
    wall: float  # wall epoch seconds at the anchor
    speed: float = 1.0
    paused: bool = False
    until: float | None = None  # the stop: simulated epoch seconds the clock does not run past

    def sim_at(self, wall: float) -> float:
        sim = self.sim if self.paused else self.sim + (wall - self.wall) * self.speed
        return sim if self.until is None else min(sim, max(self.until, self.sim))

    def wall_at(self, sim: float) -> float:
        """The wall instant at which simulated time reaches `sim` (inf while paused or beyond the stop)."""
        if self.paused or (self.until is not None and sim > self.until):
            return float("inf")
        return self.wall + (sim - self.sim) / self.speed

    def standing(self, wall: float) -> bool:
        """Simulated time stands still at `wall`: paused, or at the stop."""
        return self.paused or (self.until is not None and self.sim_at(wall) >= self.until)

    def reanchor(self, wall: float, **changes) -> "ClockState":
        return replace(self, sim=self.sim_at(wall), wall=wall, **changes)


def check_speed(speed: float) -> float:
    if not MIN_SPEED <= float(speed) <= MAX_SPEED:
        raise ClockError(f"speed must be from ×{MIN_SPEED:g} to ×{MAX_SPEED:g}, not ×{speed:g}")
    return float(speed)


def start_state(start: datetime, speed: float = 1.0, *, wall: float | None = None, paused: bool = False) -> ClockState:
    return ClockState(sim=start.timestamp(), wall=time.time() if wall is None else wall,
                      speed=check_speed(speed), paused=paused)


def set_speed(state: ClockState, speed: float, wall: float | None = None) -> ClockState:
    return state.reanchor(time.time() if wall is None else wall, speed=check_speed(speed))


def pause(state: ClockState, wall: float | None = None) -> ClockState:
    return state if state.paused else state.reanchor(time.time() if wall is None else wall, paused=True)


def stop_at(state: ClockState, until: float | None, wall: float | None = None) -> ClockState:
    """The clock stopping at simulated instant `until` (None: running on), re-anchored first so that
    moving the stop never makes simulated time jump over the wall time it stood at the old one."""
    return replace(state.reanchor(time.time() if wall is None else wall), until=until)


def resume(state: ClockState, wall: float | None = None) -> ClockState:
    if not state.paused:
        return state
    return replace(state, wall=time.time() if wall is None else wall, paused=False)


def write_state(path: Path, state: ClockState) -> None:
    write_atomic(path, json.dumps(asdict(state)))  # readers see the old state or the new one, never half a file


def read_state(path: Path) -> ClockState:
    raw = json.loads(Path(path).read_text())
    until = raw.get("until")
    return ClockState(sim=float(raw["sim"]), wall=float(raw["wall"]), speed=float(raw["speed"]),
                      paused=bool(raw["paused"]), until=None if until is None else float(until))


class FileClock:
    """A clock (callable returning aware UTC datetimes) that follows the state file."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._stamp: tuple | None = None
        self._state = self._load()

    def _load(self) -> ClockState:
        stat = self.path.stat()
        self._stamp = (stat.st_mtime_ns, stat.st_ino, stat.st_size)
        return read_state(self.path)

    def state(self) -> ClockState:
        try:
            stat = self.path.stat()
            if (stat.st_mtime_ns, stat.st_ino, stat.st_size) != self._stamp:
                self._state = self._load()
        except (OSError, ValueError, KeyError):
            pass  # mid-rename or removed at the end of the exercise: keep the last state read
        return self._state

    def rate(self) -> float:
        """Simulated seconds per wall second now: the speed, 0 while it stands still (background loops pace on it)."""
        state = self.state()
        return 0.0 if state.standing(time.time()) else state.speed

    def sim_seconds(self) -> float:
        return self.state().sim_at(time.time())

    def __call__(self) -> datetime:
        return datetime.fromtimestamp(self.sim_seconds(), tz=timezone.utc)


def install_from_env(env=None) -> FileClock | None:
    """In an exercise process: install the exercise clock named by EXERCISE_CLOCK_FILE as `clock.now()`."""
    from services.common import clock

    path = (os.environ if env is None else env).get(ENV_VAR)
    if not path:
        return None
    exercise_clock = FileClock(Path(path))
    clock.set_clock(exercise_clock)
    return exercise_clock
