"""Where an exercise's files live, the exercises on this machine, and steering a running one's clock.

Everything of exercise <id> lives in var/exercises/<id>/: the services' databases (config.database_url),
clock.json and conditions.json (shared by its processes), logs, the recorded stream (events.jsonl),
the inject log, urls.json while it runs, and the after-action report. Plain files: reading and
steering an exercise needs none of the processes that play it (`infra.exercise.stack` starts those).
"""
from __future__ import annotations

import uuid
from datetime import datetime, timezone
from pathlib import Path

from services.common.config import VAR

from . import clock as xclock

EXERCISES = VAR / "exercises"


def new_exercise_id(scenario_name: str) -> str:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S")
    return f"{scenario_name}-{stamp}-{uuid.uuid4().hex[:4]}"


def exercise_dir(exercise_id: str) -> Path:
    return EXERCISES / exercise_id


def exercises() -> list[dict]:
    """Exercises on this machine, newest first, with their state (for the twin's exercise page)."""
    out = []
    for folder in sorted(EXERCISES.glob("*/"), key=lambda p: p.stat().st_mtime, reverse=True):
        clock_path = folder / "clock.json"
        state = xclock.read_state(clock_path) if clock_path.exists() else None
        out.append({"exercise_id": folder.name, "report": (folder / "report.html").exists(),
                    "running": (folder / "urls.json").exists(),
                    "speed": state.speed if state else None, "paused": state.paused if state else None})
    return out


def control(exercise_id: str, action: str, speed: float | None = None) -> xclock.ClockState:
    """Pause, resume or change the speed of a running exercise's clock (every process follows)."""
    path = exercise_dir(exercise_id) / "clock.json"
    if not path.exists():
        raise FileNotFoundError(f"no exercise {exercise_id} (no {path.name})")
    state = xclock.read_state(path)
    if action == "pause":
        state = xclock.pause(state)
    elif action == "resume":
        state = xclock.resume(state)
    elif action == "speed":
        state = xclock.set_speed(state, speed if speed is not None else 1.0)
    else:
        raise ValueError(f"action is pause, resume or speed, not {action!r}")
    xclock.write_state(path, state)
    return state
