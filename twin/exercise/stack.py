"""An exercise's processes: the services in MODE=exercise with a fresh EXERCISE_ID, on the running
embedded broker (or one of its own when none runs), each on the exercise clock.

Everything of exercise <id> lives in var/exercises/<id>/: the services' databases (config.database_url),
clock.json and conditions.json (shared by its processes), logs, the recorded stream (events.jsonl),
the inject log and the after-action report. Live state is never touched: other databases, other
consumer groups, and every event carries mode=exercise and the exercise id.
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import uuid
from datetime import datetime, timezone
from pathlib import Path

import requests

from infra import broker
from infra.children import spawn
from infra.ports import free_port
from infra.run import SERVICES, Supervisor
from services.common.bus import Bus
from services.common.config import VAR, Settings, port_variable
from services.common.topics import topic_specs

from . import clock as xclock
from .conditions import ENV_VAR as CONDITIONS_ENV

EXERCISES = VAR / "exercises"


def new_exercise_id(scenario_name: str) -> str:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S")
    return f"{scenario_name}-{stamp}-{uuid.uuid4().hex[:4]}"


def exercise_dir(exercise_id: str) -> Path:
    return EXERCISES / exercise_id


def running_broker(env: dict, var: Path = VAR) -> str | None:
    """The broker this exercise should use: KAFKA_BOOTSTRAP_SERVERS, else the one `make run` started."""
    if env.get("KAFKA_BOOTSTRAP_SERVERS"):
        return env["KAFKA_BOOTSTRAP_SERVERS"]
    try:
        address = json.loads((var / "urls.json").read_text())["kafka"]
    except (OSError, ValueError, KeyError):
        return None
    host, _, port = address.rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=1):
            return address
    except OSError:
        return None


class ExerciseStack(Supervisor):
    """The infra Supervisor, starting the services of one exercise through `twin.exercise.serve`."""

    def __init__(self, exercise_id: str, *, env: dict | None = None, force: dict | None = None,
                 with_twin: bool = False):
        self.exercise_id = exercise_id
        self.dir = exercise_dir(exercise_id)
        self.clock_path, self.conditions_path = self.dir / "clock.json", self.dir / "conditions.json"
        super().__init__(env=env, var=self.dir)
        self.names = SERVICES + (["twin"] if with_twin else [])
        # TWIN_DEVICES=0: the runner plays the field side (twin.exercise.field), once, for every run
        self.env.update(MODE="exercise", EXERCISE_ID=exercise_id, DEMO="1", TWIN_DEVICES="0",
                        **{xclock.ENV_VAR: str(self.clock_path), CONDITIONS_ENV: str(self.conditions_path)})
        force = force or {}
        if "seed" in force:
            self.env.update(DEMO_SEED=str(force["seed"]), DEMO_OFFICERS=str(force["officers"]))
        elif "roster" in force:
            self.env["DEMO"] = "0"  # the roster file is imported once the services answer
        for name in self.names:
            self.env[port_variable(name)] = str(free_port())

    def start(self) -> dict:
        (self.dir / "log").mkdir(parents=True, exist_ok=True)
        bootstrap = running_broker(self.env)
        if bootstrap is None:
            port = free_port()
            self.broker = broker.start(port, self.dir / "broker", log_path=self.dir / "log" / "broker.log")
            bootstrap = f"127.0.0.1:{port}"
        self.env["KAFKA_BOOTSTRAP_SERVERS"] = bootstrap
        Bus(bootstrap, client_id=f"exercise-{self.exercise_id}").ensure_topics(topic_specs())
        for name in self.names:
            self.procs[name] = self._spawn(name)
        urls = {name: f"http://127.0.0.1:{self.env[port_variable(name)]}" for name in self.names}
        self._wait_healthy(urls, float(self.env.get("START_TIMEOUT_S", "240")))
        urls["kafka"] = bootstrap
        self.urls_path.write_text(json.dumps(urls, indent=2) + "\n")
        return urls

    def _spawn(self, name: str) -> subprocess.Popen:
        log = open(self.dir / "log" / f"{name}.log", "ab")
        return spawn([sys.executable, "-m", "twin.exercise.serve", name], env=self.env, stdout=log,
                     stderr=subprocess.STDOUT)

    def settings(self, service: str = "exercise-runner") -> Settings:
        return Settings(service=service, database_url="sqlite://", kafka_bootstrap=self.env["KAFKA_BOOTSTRAP_SERVERS"],
                        mode="exercise", exercise_id=self.exercise_id)


def import_roster(resources_url: str, path: Path, identity) -> int:
    """Load a scenario's roster file into the exercise's resource pool (POST /roster/import)."""
    from services.common.auth import headers_for

    headers = headers_for(identity)
    if path.suffix == ".csv":
        resp = requests.post(resources_url + "/roster/import", data=path.read_bytes(),
                             headers=dict(headers, **{"Content-Type": "text/csv"}), timeout=300)
    else:
        body = json.loads(path.read_text(encoding="utf-8"))
        resp = requests.post(resources_url + "/roster/import", json=body, headers=headers, timeout=300)
    if resp.status_code >= 400:
        raise SystemExit(f"error: roster {path} refused: {resp.text[:500]}")
    return len(body["officers"]) if path.suffix != ".csv" else resp.json().get("imported", 0)


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


def env_without_exercise() -> dict:
    env = dict(os.environ)
    for key in ("MODE", "EXERCISE_ID", xclock.ENV_VAR, CONDITIONS_ENV):
        env.pop(key, None)
    return env
