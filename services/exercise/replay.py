"""Replay for the debrief: play an exercise's recorded stream into the twin's model.

The recording (events.jsonl) holds whole envelopes, one a line: the format of the twin's own
recordings (twin.mirror.recording), so the twin's replay panel opens it as it is
(`TWIN_REPLAY_FROM=var/exercises/<id>/events.jsonl`). `replay_into` applies the events with
`twin.mirror.replay.apply`; `until` stops at a simulated instant so the debrief can step through.
"""
from __future__ import annotations

from collections import Counter
from datetime import datetime
from pathlib import Path

from twin.mirror import recording as twin_recording
from twin.mirror import replay as twin_replay
from twin.sim.model import ProvinceModel

from .scoring import parse_time
from .store import exercise_dir


def recording(exercise_id: str) -> Path:
    return exercise_dir(exercise_id) / "events.jsonl"


def replay_into(model: ProvinceModel, events, until: datetime | None = None) -> Counter:
    """Apply `events` (envelopes) up to `until` (event time); returns what happened to each."""
    outcomes: Counter = Counter()
    for event in sorted(events, key=lambda e: parse_time(e["time"])):
        if until is not None and parse_time(event["time"]) > until:
            break
        outcomes[twin_replay.apply(model, event)] += 1
    return outcomes


def replay_exercise(exercise_id: str, *, province: str = "330000", until: datetime | None = None) -> ProvinceModel:
    model = ProvinceModel(province=province)
    replay_into(model, twin_recording.load(recording(exercise_id)), until)
    return model
