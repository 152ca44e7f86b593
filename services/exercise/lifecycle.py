"""One exercise from start to report: start the stack, record, play, score, stop.

    run_exercise(load("telecom-fraud"), stack, speed=600)

`stack` is the exercise's processes, started and stopped here (`infra.exercise.stack.ExerciseStack`,
whose `run_exercise` builds one and calls this): `start()` returns the services' URLs, `stop()` ends
them, `settings()` reads its stream; `exercise_id`, `dir`, `clock_path` and `conditions_path` name its
files. Each step prints a line; every file lands in var/exercises/<id>/ (see `store`).
"""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Callable, Protocol

import requests

from services.common import paging
from services.common.auth import Identity, headers_for
from services.common.query import MAX_IDS, id_batches

from . import clock as xclock
from . import report, seeds
from .conditions import ExerciseTravel, write_conditions
from .decisions import AutoTrainee
from .field import FieldSide
from .injects import Services
from .recorder import Recorder, read_events
from .runner import Player, write_inject_log
from .scenario import Scenario, load
from .schedule import Conditions
from .scoring import score
from .store import exercise_dir
from .texts import language

TRAINER = Identity("exercise-trainer", "trainer")


class Stack(Protocol):
    """An exercise's processes (infra.exercise.stack.ExerciseStack)."""
    exercise_id: str
    dir: Path
    clock_path: Path
    conditions_path: Path

    def start(self) -> dict: ...

    def stop(self) -> None: ...

    def settings(self, service: str = ...): ...


def run_exercise(scenario: Scenario, stack: Stack, *, speed: float | None = None, auto_trainee: bool = False,
                 hold_clock: bool = False, hold_work: bool = True, out: Callable[[str], None] = print,
                 lang: str | None = None, telemetry=None) -> dict:
    """`telemetry`: where the field side's passes are counted (the twin's, when the twin started the exercise)."""
    exercise_id = stack.exercise_id
    speed = xclock.check_speed(speed or scenario.speed)
    # The clock stands still at the scenario's start while the services come up and load the force.
    xclock.write_state(stack.clock_path, xclock.start_state(scenario.start, speed, paused=True))
    write_conditions(stack.conditions_path, Conditions())
    out(f"exercise {exercise_id}: {scenario.title} ({len(scenario.injects)} injects, "
        f"{scenario.duration_s / 3600:g} h at ×{speed:g})")
    began, field = time.monotonic(), None
    try:
        urls = stack.start()
        out("services: " + ", ".join(f"{k} {v}" for k, v in urls.items()))
        recorder = Recorder(stack.settings(), stack.dir / "events.jsonl").start()
        if scenario.roster_path():
            out(f"roster: {import_roster(urls['resources'], scenario.roster_path(), TRAINER)} officers imported")
        start_s = time.monotonic() - began
        field = field_side(scenario, urls["logistics"], stack, recorder,
                           resources_url=urls.get("resources")).start(telemetry=telemetry)
        xclock.write_state(stack.clock_path, xclock.resume(xclock.read_state(stack.clock_path)))
        began = time.monotonic()
        player = Player(scenario, Services(demand=urls["demand"], resources=urls["resources"]), stack.clock_path,
                        stack.conditions_path, out=out, event_count=lambda: len(recorder.events),
                        trainee=AutoTrainee(urls["matching"]) if auto_trainee else None, events=recorder.snapshot,
                        hold_clock=hold_clock, hold_work=hold_work, planned=lambda: planned(urls["matching"]))
        if not auto_trainee:
            out(f"trainees decide on plans at {urls['matching']} (POST /plans/<id>/approve|reject)")
        log = player.run()
        played_s = time.monotonic() - began
        xclock.write_state(stack.clock_path, xclock.pause(xclock.read_state(stack.clock_path)))
        field.stop()
        out(f"field: {field.stats['acked']} orders acknowledged, {field.stats['reports']} positions reported, "
            f"{field.stats['arrived']} units arrived, {field.stats['arranged']} receptions arranged "
            f"({field.loop.runs} passes, {field.loop.errors} failed); "
            f"clock held {player.held_s:.1f} s wall for work in hand")
        recorder.settle()
        served = served_indicators(urls.get("logistics"))
        recorder.stop()
    finally:
        if field is not None:
            field.stop()
        stack.stop()
    write_inject_log(stack.dir / "injects.json", log)
    json_path, html_path = finish(scenario, exercise_id, log, recorder.snapshot(), served, lang=lang)
    out(f"played in {played_s:.1f} s wall; report: {html_path} and {json_path.name}")
    return {"exercise_id": exercise_id, "start_s": start_s, "played_s": played_s, "report": str(html_path),
            "injects": log, "held_s": player.held_s, "field": dict(field.stats)}


def field_side(scenario: Scenario, logistics_url: str, stack: Stack, recorder: Recorder,
               resources_url: str | None = None) -> FieldSide:
    """The units' devices, on the exercise clock, driving under the exercise's travel conditions, each
    from its officers' police stations (read from the exercise's resource pool)."""
    from services.geo import Geography

    geography = Geography.load(scenario.province)
    travel = ExerciseTravel(geography, stack.conditions_path)

    def seat(county: str):
        try:
            return geography.county(county).seat
        except KeyError:
            return None
    return FieldSide(logistics_url, events=recorder.snapshot, now=xclock.FileClock(stack.clock_path), seat=seat,
                     travel_s=lambda a, b: float(travel.matrix([a], [b])[0, 0]),
                     stations=OfficerStations(resources_url) if resources_url else None)


class OfficerStations:
    """The police stations an order's officers work from, as the roster in the exercise's resource pool
    gives them (GET /officers?ids=, as the trainer, in batches a request line holds; each officer read
    once). An officer the pool does not answer for, or without a station, is left out: with none, the
    unit leaves from its seat."""

    def __init__(self, resources_url: str, get=requests.get):
        self.url, self.get, self.known = resources_url, get, {}

    def __call__(self, order: dict) -> list[tuple[float, float]]:
        ids = dict.fromkeys(o for o in order.get("officer_ids") or () if o not in self.known)
        for batch in id_batches(ids, MAX_IDS):
            self._read(batch)
        return sorted({self.known[o] for o in order.get("officer_ids") or () if self.known.get(o) is not None})

    def _read(self, ids: list[str]) -> None:
        """Their stations, kept once the pool has answered (a failed read is tried again with the next order)."""
        try:
            resp = self.get(f"{self.url}/officers", params={"ids": ",".join(ids)}, headers=headers_for(TRAINER),
                            timeout=10)
        except requests.RequestException:
            return
        if resp.status_code != 200:
            return
        body = resp.json()
        for person in body.get("items", ()):
            point = (person.get("station") or {}).get("point")
            self.known[person["officer_id"]] = (float(point["lon"]), float(point["lat"])) if point else None
        self.known.update(dict.fromkeys(body.get("not_shown", ())))


def import_roster(resources_url: str, path: Path, identity) -> int:
    """Load a scenario's roster file into the exercise's resource pool (POST /roster/import)."""
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


def finish(scenario: Scenario, exercise_id: str, inject_log: list[dict], events: list[dict],
           served: dict | None = None, lang: str | None = None) -> tuple[Path, Path]:
    """Score the recorded stream and write the report (Chinese unless `lang` or EXERCISE_REPORT_LANG says en),
    with the reference case's figures beside this run's outcome when the scenario names them."""
    scored = score(events, inject_log=inject_log, targets=scenario.good_response.get("targets"),
                   served_indicators=served)
    scored["seed_figures"] = seeds.compare(events, scenario.seed_figures)
    data = report.report_data(scenario, exercise_id, scored, inject_log, lang=language(lang))
    return report.write(data, exercise_dir(exercise_id))


def rescore(exercise_id: str, scenario_name: str, lang: str | None = None) -> tuple[Path, Path]:
    """Rebuild the report of a finished exercise from its recorded files."""
    folder = exercise_dir(exercise_id)
    log = json.loads((folder / "injects.json").read_text(encoding="utf-8"))
    return finish(load(scenario_name), exercise_id, log, read_events(folder / "events.jsonl"), lang=lang)


def planned(matching_url: str) -> set[str]:
    """Requests matching has planned (proposed, approved...), with candidates or none: GET /requests."""
    resp, rows = paging.every_row(requests.get, matching_url + "/requests", params={"limit": paging.MOST},
                                  headers=headers_for(TRAINER), timeout=5)
    if rows is None:
        resp.raise_for_status()
        raise requests.HTTPError(f"matching answered GET /requests with {resp.status_code}, not a list", response=resp)
    return {r["request_id"] for r in rows if r["status"] != "pending"}


def served_indicators(logistics_url: str | None) -> dict | None:
    """logistics' GET /indicators when it serves them; None otherwise (the report computes its own)."""
    if not logistics_url:
        return None
    try:
        resp = requests.get(logistics_url + "/indicators", headers=headers_for(TRAINER), timeout=5)
    except requests.RequestException:
        return None
    return resp.json() if resp.status_code == 200 and isinstance(resp.json(), dict) else None
