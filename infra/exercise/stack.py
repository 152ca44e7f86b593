"""An exercise's processes: the services in MODE=exercise with a fresh EXERCISE_ID, on the running
embedded broker (or one of its own when none runs), each on the exercise clock.

Everything of exercise <id> lives in var/exercises/<id>/ (`services.exercise.store`). Live state is
never touched: other databases, other consumer groups, and every event carries mode=exercise and the
exercise id. `run_exercise` plays a scenario from start to report on a stack of its own.
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Callable

from infra import broker
from infra.children import spawn
from infra.ports import free_ports
from infra.run import SERVICES, Supervisor
from services.common.bus import Bus
from services.common.config import VAR, Settings, port_variable
from services.common.private import write_atomic
from services.common.topics import topic_specs
from services.exercise import clock as xclock
from services.exercise import lifecycle
from services.exercise.conditions import ENV_VAR as CONDITIONS_ENV
from services.exercise.scenario import Scenario
from services.exercise.store import exercise_dir, new_exercise_id


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
    """The infra Supervisor, starting the services of one exercise through `infra.exercise.serve`."""

    def __init__(self, exercise_id: str, *, env: dict | None = None, force: dict | None = None,
                 with_twin: bool = False):
        self.exercise_id = exercise_id
        self.dir = exercise_dir(exercise_id)
        self.clock_path, self.conditions_path = self.dir / "clock.json", self.dir / "conditions.json"
        super().__init__(env=env, var=self.dir)
        self.names = SERVICES + (["twin"] if with_twin else [])
        # TWIN_DEVICES=0: the runner plays the field side (services.exercise.field), once, for every run
        self.env.update(MODE="exercise", EXERCISE_ID=exercise_id, DEMO="1", TWIN_DEVICES="0",
                        **{xclock.ENV_VAR: str(self.clock_path), CONDITIONS_ENV: str(self.conditions_path)})
        force = force or {}
        if "seed" in force:
            self.env.update(DEMO_SEED=str(force["seed"]), DEMO_OFFICERS=str(force["officers"]))
        elif "roster" in force:
            self.env["DEMO"] = "0"  # the roster file is imported once the services answer
        for name, port in zip(self.names, free_ports(len(self.names))):
            self.env[port_variable(name)] = str(port)

    def start(self) -> dict:
        (self.dir / "log").mkdir(parents=True, exist_ok=True)
        bootstrap = running_broker(self.env)
        if bootstrap is None:
            port = free_ports(1, exclude={int(self.env[port_variable(name)]) for name in self.names})[0]
            self.broker = broker.start(port, self.dir / "broker", log_path=self.dir / "log" / "broker.log")
            bootstrap = f"127.0.0.1:{port}"
        self.env["KAFKA_BOOTSTRAP_SERVERS"] = bootstrap
        Bus(bootstrap, client_id=f"exercise-{self.exercise_id}").ensure_topics(topic_specs())
        for name in self.names:
            self.procs[name] = self._spawn(name)
        urls = {name: f"http://127.0.0.1:{self.env[port_variable(name)]}" for name in self.names}
        self._wait_healthy(urls, float(self.env.get("START_TIMEOUT_S", "240")))
        urls["kafka"] = bootstrap
        write_atomic(self.urls_path, json.dumps(urls, indent=2) + "\n")  # complete the moment it exists: others poll for it
        return urls

    def _spawn(self, name: str) -> subprocess.Popen:
        log = open(self.dir / "log" / f"{name}.log", "ab")
        return spawn([sys.executable, "-m", "infra.exercise.serve", name], env=self.env, stdout=log,
                     stderr=subprocess.STDOUT)

    def settings(self, service: str = "exercise-runner") -> Settings:
        return Settings(service=service, database_url="sqlite://", kafka_bootstrap=self.env["KAFKA_BOOTSTRAP_SERVERS"],
                        mode="exercise", exercise_id=self.exercise_id)


def env_without_exercise() -> dict:
    env = dict(os.environ)
    for key in ("MODE", "EXERCISE_ID", xclock.ENV_VAR, CONDITIONS_ENV):
        env.pop(key, None)
    return env


def run_exercise(scenario: Scenario, *, speed: float | None = None, exercise_id: str | None = None,
                 with_twin: bool = False, auto_trainee: bool = False, hold_clock: bool = False,
                 hold_work: bool = True, env: dict | None = None, out: Callable[[str], None] = print,
                 lang: str | None = None, telemetry=None) -> dict:
    """One exercise from start to report on processes of its own (`lifecycle.run_exercise` on an ExerciseStack);
    `telemetry` counts the field side's passes (the twin's, when the twin's exercise page started it)."""
    stack = ExerciseStack(exercise_id or new_exercise_id(scenario.name), env=env, force=scenario.force,
                          with_twin=with_twin)
    return lifecycle.run_exercise(scenario, stack, speed=speed, auto_trainee=auto_trainee, hold_clock=hold_clock,
                                  hold_work=hold_work, out=out, lang=lang, telemetry=telemetry)
