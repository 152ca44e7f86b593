"""Turn pending requests into proposed plans: one batch, one transaction, one plan.proposed per
candidate. A request is planned only for what approved plans do not already hold, so a re-plan
after a commit rejection or an officer falling out touches only what changed."""
from __future__ import annotations

import hashlib
import logging
import os
from collections import Counter
from datetime import datetime, timedelta
from functools import cached_property

import numpy as np

from ..common.clock import now
from ..common.periodic import Periodic
from ..common.runtime import Runtime
from . import readmodel, relief, snapshot, store
from .approvals import supersede, task_minutes
from .domain import explain
from .domain.geo import Trips, county_matrix, seconds
from .domain.model import Assignment, Line, Request
from .domain.planner import KINDS, plan_batch


class Batcher(Periodic):
    """Every `window_s`: take the snapshot if the read model is empty, then plan what is pending (the
    loop: common/periodic.py; the travel matrix is loaded in its thread before the first window)."""

    def __init__(self, runtime: Runtime, planner: Planner, *, window_s: float, resources_url: str | None):
        self.runtime, self.planner, self.window_s, self.url = runtime, planner, window_s, resources_url
        super().__init__("batcher", window_s, self._round_of_planning, telemetry=runtime, service="matching",
                         join_s=30, prepare=self._load_matrix, on_error=self._failed)

    def ensure_snapshot(self) -> int:
        with self.runtime.engine.connect() as conn:
            if store.officer_count(conn) or not self.url:
                return 0
        rows, counties = snapshot.fetch(snapshot.Snapshot(self.url), now())
        with self.runtime.outbox.transaction() as tx:      # the writer's turn: SQLite has one writer
            return snapshot.store(tx.conn, rows, counties)

    def _load_matrix(self) -> None:
        try:
            _ = self.planner.places.matrix      # load the geography and travel matrix before the first request
        except Exception as exc:
            log.warning("matching: travel matrix not loaded yet (%s)", exc)

    def _round_of_planning(self) -> None:
        self.ensure_snapshot()
        self.planner.plan_pending()

    @staticmethod
    def _failed(exc: BaseException) -> None:  # resources down or a transient database error: next window
        log.warning("matching: planning round failed (%s: %s)", exc.__class__.__name__, exc)


log = logging.getLogger(__name__)
LETTER = {"fastest": "A", "fairest": "B", "least_reserve_damage": "C"}
VALID_FOR = timedelta(minutes=15)


class Places:
    """The province's counties, their names and the county-seat travel matrix, loaded on first use,
    and each batch's travel from the officers' stations (`trips`).
    In an exercise both follow the closures and weather in force (services.geo.conditions): they are
    computed again whenever those change, so the next planning round plans on the roads as they are."""

    CACHED = 1024      # destinations whose travel columns are kept

    def __init__(self, province: str, env=None):
        self.province, self.env = province, env
        self._matrix, self._version = None, None
        self._columns: dict = {}
        self._columns_key = None

    @cached_property
    def _travel(self):
        from ..geo import Geography
        from ..geo.conditions import process_travel
        geo = Geography.load(self.province)
        return geo, process_travel(geo, os.environ if self.env is None else self.env)

    @property
    def matrix(self) -> tuple[tuple[str, ...], np.ndarray, dict[str, str]]:
        geo, travel = self._travel
        if hasattr(travel, "current"):
            travel.current()  # re-reads the exercise's conditions when they changed
        version = getattr(travel, "version", None)
        if self._matrix is None or version != self._version:
            codes, seat_s = county_matrix(geo, travel)
            # the counties' names, and the cities' (a line's designated donor cities are named in its explanation)
            names = {c.city_code: c.city_name for c in geo.counties} | {c.code: c.name for c in geo.counties}
            self._matrix, self._version = (codes, seat_s, names), version
        return self._matrix

    def trips(self, pool, requests: list[Request]) -> Trips:
        """Seconds from every origin of `pool` (the county seats, then the officers' stations) to each
        request's destination (its incident point, else the receiving county's seat), from the same
        provider as the seat matrix, mobilisation included. One provider call covers the destinations
        not seen before; columns are kept while the stations and the roads' conditions stay the same."""
        codes, seat_s, _ = self.matrix          # refreshes the conditions
        geo, travel = self._travel
        key = (self._version, len(pool.origins), hash(np.nan_to_num(pool.origins).tobytes()))
        if key != self._columns_key or len(self._columns) > self.CACHED:
            self._columns, self._columns_key = {}, key
        dests = [(req.county, tuple(req.point) if req.point else None) for req in requests]
        new = list(dict.fromkeys(d for d in dests if d not in self._columns))
        if new:
            at = {c: i for i, c in enumerate(codes)}
            points = [p if p else tuple(geo.seats[at[c]]) for c, p in new]
            origins = np.vstack([np.asarray(geo.seats, dtype=float), pool.stations])
            fresh = seconds(travel.matrix(origins, points))
            for k, (county, point) in enumerate(new):
                if point is None:      # a seat: seat to seat exactly as the county matrix has it
                    fresh[:len(codes), k] = seat_s[:, at[county]]
                self._columns[(county, point)] = fresh[:, k]
        out = np.column_stack([self._columns[d] for d in dests]) if dests else np.zeros((len(pool.origins), 0))
        return Trips(out.astype(np.int64), pool.origin, pool.origin_county, len(codes))


def plan_id(request_id: str, version: int, kind: str) -> str:
    base = f"PLAN-{request_id}" if len(request_id) <= 52 else "PLAN-" + hashlib.sha1(request_id.encode()).hexdigest()[:16]
    return f"{base}-{version}{LETTER[kind]}"


def to_request(row, held: dict[str, dict], at: datetime) -> Request | None:
    """The request's open need: its lines less the officers approved plans already hold for it."""
    data = row.data
    have = Counter(h["line_id"] for h in held.values() if h["request_id"] == row.request_id)
    lines = tuple(Line(line["line_id"], line["module"], line["headcount"] - have[line["line_id"]], tuple(line["tags"]),
                       tuple(line["certifications"]), tuple(line["equipment"]), tuple(line.get("donor_cities", ())))
                  for line in data["lines"] if line["headcount"] > have[line["line_id"]])
    if not lines:
        return None
    window = data.get("task_window") or {}
    return Request(request_id=row.request_id, county=data["county"], lines=lines, planned_at=at,
                   deadline=readmodel.parse_time(data["deadline"]), grade=data["grade"],
                   task_minutes=task_minutes(data), incident_id=data.get("incident_id"),
                   approval_level=data.get("approval_level", "city"), exclude=frozenset(row.exclude or ()),
                   window_end=readmodel.parse_time(window["end"]) if window.get("end") else None,
                   starts_at=readmodel.parse_time(data["relief_from"]) if data.get("relief_from") else None,
                   point=incident_point(data),
                   window_s=int(data["deadline_minutes"]) * 60 if data.get("deadline_minutes") else None)


def incident_point(data: dict) -> tuple[float, float] | None:
    """Where the support is needed: the request's location point, None when it gives only the county."""
    point = (data.get("location") or {}).get("point")
    return (float(point["lon"]), float(point["lat"])) if point else None


class Planner:
    def __init__(self, runtime, places: Places):
        self.runtime, self.places = runtime, places
        self._pool, self._print = None, None

    def pool(self, conn, codes):
        mark = store.fingerprint(conn)
        if self._pool is None or mark != self._print:
            self._pool, self._print = readmodel.pool(conn, codes), mark
        return self._pool

    def plan_pending(self) -> int:
        """Plan every pending request together; returns how many plans were proposed."""
        with self.runtime.outbox.transaction() as tx:
            relief.promote_due(tx.conn, now())
            relief.publish_due(tx, now())
            rows = store.pending_requests(tx.conn)
            if not rows:
                return 0
            return self._plan(tx, rows)

    def _plan(self, tx, rows) -> int:
        conn, at = tx.conn, now()
        codes, _, names = self.places.matrix
        pool = self.pool(conn, codes)
        held = readmodel.held(conn)
        todo = []
        for row in rows:
            req = to_request(row, held, at)
            if req is None:
                store.update_request(conn, row.request_id, status="approved")
            else:
                todo.append((row, req))
        if not todo:
            return 0
        taken = np.array([pool.row_of[o] for o in held if o in pool.row_of], dtype=np.int64)
        loads, accepts = readmodel.loads(conn), readmodel.accepts(conn)
        reqs = [r for _, r in todo]
        batch = plan_batch(pool, reqs, self.places.trips(pool, reqs), accepts, loads=loads,
                           fairness=readmodel.fairness(conn, pool), taken=taken, kinds=KINDS)
        points = readmodel.county_points(conn, pool)
        made = 0
        for r, (row, req) in enumerate(todo):
            supersede(tx, row.request_id, f"superseded: re-planned as version {row.version}", at)
            travel = batch.trips.reach(r)     # from each officer's station to this request's point
            pinned = [Assignment(row.request_id, h["line_id"], pool.row_of[o], o, pool.county_of(pool.row_of[o]),
                                 int(travel.of([pool.row_of[o]])[0]))
                      for o, h in held.items()
                      if h["request_id"] == row.request_id and not h["committed"] and o in pool.row_of]
            eligible = {batch.lines.line_id[j]: batch.classes.eligible.get(j, np.zeros(0, dtype=np.int64))
                        for j in range(len(batch.lines.line_id)) if batch.lines.request[j] == r}
            for kind, option in batch.options[r].items():
                body = self._proposal(row, req, kind, option, pinned, pool, travel, accepts, loads, points, names,
                                      eligible, batch.lendable, at)
                status = "proposed" if body["assignments"] else "infeasible"
                store.insert_plan(conn, plan_id=body["plan_id"], request_id=row.request_id, kind=kind, status=status,
                                  version=row.version, body=body, created_at=at)
                if body["assignments"]:
                    tx.emit("plan.proposed", body, key=row.request_id, correlationid=req.incident_id or row.request_id)
                    made += 1
            store.update_request(conn, row.request_id, status="proposed")
        return made

    def _proposal(self, row, req: Request, kind, option, pinned, pool, travel, accepts, loads, points, names,
                  eligible, lendable, at: datetime) -> dict:
        chosen = option.assignments
        dest = pool.counties.index(req.county)
        metrics, donors = explain.metrics(req, chosen, loads, points)
        short = explain.shortfall(req, chosen, eligible, pool, travel, dest)
        rows = {a.row for a in chosen}
        refusals = {line.line_id: explain.why_not(pool, req, line, dest, rows, travel, accepts, lendable, names)
                    for line in req.lines}
        preposition = [] if metrics["deadline_met"] else explain.prepositioning(req, chosen, travel, dest, pool, names)
        text = explain.explanation(req, kind, chosen, metrics, short, refusals, names, kinds=option.kinds,
                                   preposition=preposition)
        if pinned:
            text = f"{len(pinned)} officers kept from the previous plan; planned anew: {len(chosen)}. " + text
        body = {"plan_id": plan_id(row.request_id, row.version, kind), "request_id": row.request_id, "kind": kind,
                "kinds": list(option.kinds), "version": row.version,
                "assignments": [_assignment(a, pool) for a in pinned] + [_assignment(a, pool) for a in chosen],
                "metrics": metrics, "explanation": text, "certificate": option.certificate.as_dict(),
                "donors": donors, "shortfall": short, "deadline": row.data["deadline"],
                "proposed_at": at.isoformat(), "valid_until": (at + VALID_FOR).isoformat()}
        if preposition:
            body["prepositioning"] = preposition
        if req.incident_id:
            body["incident_id"] = req.incident_id
        if relief.marker(row.data):
            body["relief_of"] = relief.marker(row.data)
        if row.replaces:
            body["replaces"] = row.replaces
        if row.replanned:
            body["replanned"] = row.replanned
        return body


def _assignment(a: Assignment, pool) -> dict:
    out = {"officer_id": a.officer_id, "line_id": a.line_id, "from_county": a.from_county, "eta_s": int(a.eta_s)}
    if pool.unit[a.row]:
        out["unit_id"] = pool.unit[a.row]
    return out
