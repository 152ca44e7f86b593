"""The exercise's recorded stream: every event of every topic that belongs to this exercise, as
received (whole CloudEvents envelopes, one JSON object per line, in arrival order).

It is a consumer like any other (the kit's Worker, in exercise mode, under its own group), so live
traffic and other exercises are filtered out by the same rule the services follow. The file is
what the scoring reads and what the twin's replay plays for the debrief.
"""
from __future__ import annotations

import json
import threading
import time
from pathlib import Path

from services.common.config import Settings
from services.common.topics import topic_names
from services.common.worker import Worker


class Recorder:
    def __init__(self, settings: Settings, path: Path):
        if settings.mode != "exercise":
            raise ValueError("the recorder records an exercise: build it with mode=exercise and an exercise id")
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.events: list[dict] = []
        self._lock = threading.Lock()
        self._file = open(self.path, "a", encoding="utf-8")
        self.worker = Worker(settings, {t: self._record for t in topic_names()},
                             group_id=f"exercise-recorder.{settings.exercise_id}")

    def _record(self, ctx) -> None:
        with self._lock:
            self.events.append(ctx.event)
            self._file.write(json.dumps(ctx.event, ensure_ascii=False) + "\n")
            self._file.flush()

    def start(self, ready_timeout: float = 60) -> "Recorder":
        self.worker.start()
        self.worker.ready.wait(ready_timeout)
        return self

    def snapshot(self) -> list[dict]:
        with self._lock:
            return list(self.events)

    def settle(self, quiet_s: float = 2.0, timeout: float = 60, at_least: int = 1) -> None:
        """Wait until at least `at_least` events arrived and then none for `quiet_s` (the stream has
        drained), at most `timeout`. Joining the group can take seconds: an empty recording is not
        a quiet one."""
        deadline, count, since = time.monotonic() + timeout, -1, time.monotonic()
        while time.monotonic() < deadline:
            n = len(self.events)
            if n != count:
                count, since = n, time.monotonic()
            elif n >= at_least and time.monotonic() - since >= quiet_s:
                return
            time.sleep(0.1)

    def stop(self) -> None:
        self.worker.stop()
        with self._lock:
            self._file.close()


def read_events(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]
