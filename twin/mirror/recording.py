"""Recorded streams: the events of a past period, kept as JSON lines, replayed into a fresh model.

The mirror writes one (`TWIN_RECORD_TO=file.jsonl`: every event it reads, one envelope a line);
`TWIN_REPLAY_FROM=file.jsonl` loads one for the replay panel. `Player` rebuilds the state at any
moment of the recording: forward by applying the next events, backward by starting again.
"""
from __future__ import annotations

import json
import threading
from datetime import datetime, timezone
from pathlib import Path

from services.common.private import open_private
from services.geo import Geography
from twin.mirror import replay
from twin.sim.model import ProvinceModel


def load(path: str | Path) -> list[dict]:
    """The recording's events in time order (a line that is not an envelope is skipped)."""
    events = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.strip():
            event = json.loads(line)
            if isinstance(event, dict) and event.get("time") and event.get("type"):
                events.append(event)
    return sorted(events, key=lambda e: instant(e["time"]))


class Recorder:
    """Appends each event the mirror reads to a JSON-lines file."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()

    def __call__(self, event: dict) -> None:
        line = json.dumps(event, ensure_ascii=False, separators=(",", ":"))
        with self._lock, open_private(self.path, "a", encoding="utf-8") as out:  # events name officers: 0600
            out.write(line + "\n")


class Player:
    """The recorded period as a model at a chosen offset (seconds after the first event)."""

    def __init__(self, events: list[dict], geography: Geography) -> None:
        self.events, self.geography = events, geography
        self.start = instant(events[0]["time"]) if events else datetime.now(timezone.utc)
        self.end = instant(events[-1]["time"]) if events else self.start
        self._lock = threading.Lock()
        self._reset()

    @property
    def duration_s(self) -> float:
        return (self.end - self.start).total_seconds()

    def _reset(self) -> None:
        self.model = ProvinceModel(province=self.geography.province_code, geography=self.geography, start=self.start)
        self.applied, self.offset_s = 0, 0.0

    def at(self, offset_s: float) -> dict:
        """The snapshot after every event up to `offset_s`; the model's clock is set to that moment."""
        with self._lock:
            if offset_s < self.offset_s:
                self._reset()
            until = self.start.timestamp() + offset_s
            while self.applied < len(self.events) and instant(self.events[self.applied]["time"]).timestamp() <= until:
                replay.apply(self.model, self.events[self.applied])
                self.applied += 1
            self.offset_s = offset_s
            self.model.observe_time(datetime.fromtimestamp(until, timezone.utc))
            return self.model.snapshot()


def instant(text: str) -> datetime:
    when = datetime.fromisoformat(text)
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)
