"""Drives a stream through a running cluster, phase by phase, as the neighbours of each service would:
counties report incidents over HTTP (retrying until the service answers), a commander's approvals,
logistics' dispatch orders, position reports and releases travel as events from stand-ins that hold
matching's and logistics' keys, each with its own outbox and ledger (a chain of its own under
`/mutual-deploy/matching` and `/mutual-deploy/logistics`). Between phases it waits until the system has
caught up, which is also how recovery after a fault is measured.
"""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

import requests

from services.common import keys
from services.common.auth import Identity, headers_for
from services.common.clock import parse_time, stamp
from services.common.config import Settings
from services.common.runtime import Runtime
from services.matching import signing

from .cluster import Cluster
from .oracle import committed_plans, consumed_topics, dispatched_units, pending, where_stuck
from .stream import Case, Stream

PHASES = ("report", "dispatch", "track", "release")
# What the stand-ins publish until matching's approvals and logistics' dispatch drive the stream.
STAND_INS = {"matching": ("plan.approved",),
             "logistics": ("dispatch.ordered", "unit.position-reported", "deployment.released")}
Hook = Callable[[Cluster, "Driver"], None]


class Driver:
    def __init__(self, cluster: Cluster, stream: Stream, workdir: Path, *, timeout_s: float = 120):
        self.cluster, self.stream, self.timeout_s = cluster, stream, timeout_s
        # Approvals come as matching, orders and positions as logistics (a topic's consumers accept
        # only its producers, signed with their keys), each stand-in on a chain of its own.
        self.runtimes = {}
        for producer in STAND_INS:
            name = f"{producer}/stream"
            db = workdir / f"stream-{producer}.db"
            rt = Runtime.build(Settings(service=name, database_url=f"sqlite:///{db}",
                                        kafka_bootstrap=cluster.broker.bootstrap, acts_as=producer))
            rt.relay.check_every_s = 1.0
            self.runtimes[name] = rt
        self.timings: dict[str, float] = {}
        self.recovery: list[float] = []  # seconds from each fault to everything outstanding through
        self.revived: list[str] = []  # services found dead (at a fault point) and started again
        self._revived_at: float | None = None

    @property
    def outboxes(self) -> dict:
        """The stand-ins' ledgers, by name, for the oracle (they are producers like the services)."""
        return {name: rt.engine for name, rt in self.runtimes.items()}

    def __enter__(self) -> "Driver":
        for rt in self.runtimes.values():
            rt.start()
        return self

    def __exit__(self, *exc) -> None:
        for rt in self.runtimes.values():
            rt.stop()

    # --- inputs --------------------------------------------------------------------------------
    def report(self, body: dict) -> int:
        """POST the incident as its county would, retrying while demand is down (idempotent by id)."""
        url = self.cluster.services["demand"].url + "/incidents"
        who = Identity("stream", "county_duty_officer", body["location"]["county"])
        deadline = time.monotonic() + self.timeout_s
        while True:
            try:
                resp = requests.post(url, json=body, headers=headers_for(who), timeout=5)
                if resp.status_code in (200, 201):
                    return resp.status_code
                if resp.status_code < 500:
                    raise AssertionError(f"demand refused {body['incident_id']}: {resp.status_code} {resp.text}")
            except requests.RequestException:
                self._revive()
            if time.monotonic() > deadline:
                raise AssertionError(f"demand did not take {body['incident_id']} within {self.timeout_s:.0f} s")
            time.sleep(0.2)

    def emit(self, topic: str, data: dict, *, key: str, incident_id: str) -> dict:
        producer = next(p for p, topics in STAND_INS.items() if topic in topics)
        if topic == "plan.approved":  # the stand-in holds matching's key: it signs as matching does
            data = dict(data, signature=signing.sign(keys.registry().signer("matching").key, data))
        with self.runtimes[f"{producer}/stream"].outbox.transaction() as tx:
            return tx.emit(topic, data, key=key, correlationid=incident_id)

    # --- the run -------------------------------------------------------------------------------
    def run(self, hooks: dict[str, Hook] | None = None, *, pace_s: float = 0.0) -> dict[str, float]:
        """Every phase; `hooks[phase]` (or `hooks[f"{phase}@{fraction}"]`) runs part-way through that
        phase's inputs (the fault)."""
        hooks = hooks or {}
        cases = self.stream.cases
        steps = [(lambda c=c: self._report_and_approve(c)) for c in cases]
        steps += [(lambda b=b: self.report(b)) for b in self.stream.minor]
        self._phase("report", hooks, steps, pace_s)
        committed = committed_plans(self.cluster)
        go = [c for c in cases if c.plan["plan_id"] in committed]
        # Once logistics dispatches committed plans itself, the stand-in only watches it happen.
        own_dispatch = "officers.committed" not in consumed_topics("logistics")
        self._phase("dispatch", hooks, [(lambda c=c: self.emit("dispatch.ordered", c.dispatch, key=c.dispatch[
            "request_id"], incident_id=c.incident_id)) for c in go] if own_dispatch else [], pace_s)
        units = {} if own_dispatch else dispatched_units(self.cluster)
        moves = [(c, p) for k in range(len(cases[0].positions) if cases else 0) for c in go
                 for p in retarget(c, c.positions[k], units.get(c.plan["request_id"]))]
        self._phase("track", hooks, [(lambda c=c, p=p: self.emit("unit.position-reported", p, key=p["unit_id"],
                                                                   incident_id=c.incident_id)) for c, p in moves], pace_s)
        self._phase("release", hooks, [(lambda c=c: self.emit("deployment.released", c.release, key=c.release[
            "request_id"], incident_id=c.incident_id)) for c in go], pace_s)
        return self.timings

    def _report_and_approve(self, case: Case) -> None:
        self.report(case.report)
        self.emit("plan.approved", case.plan, key=case.plan["request_id"], incident_id=case.incident_id)

    def _phase(self, name: str, hooks: dict, steps: list, pace_s: float) -> None:
        """hooks[name] runs half-way through the inputs, hooks[f"{name}@{f}"] after the fraction f
        (0 <= f < 1) of them, hooks[name + ':after'] once they are all through."""
        t0 = time.monotonic()
        at: dict[int, list[Hook]] = {}
        for key, hook in hooks.items():
            phase, _, fraction = key.partition("@")
            if key == name or (phase == name and fraction):
                step = int(len(steps) * float(fraction)) if fraction else len(steps) // 2
                at.setdefault(min(step, max(len(steps) - 1, 0)), []).append(hook)
        for i, step in enumerate(steps or [None]):
            for hook in at.get(i, ()):
                hook(self.cluster, self)
            if step is not None:
                step()
            if pace_s:
                time.sleep(pace_s)
        self.wait_caught_up(what=f"phase {name}")
        if f"{name}:after" in hooks:
            hooks[f"{name}:after"](self.cluster, self)
            self.wait_caught_up(what=f"after phase {name}")
        self.timings[name] = time.monotonic() - t0

    def _revive(self) -> None:
        """Start again what died by itself (a fault point), as `make run`'s supervisor would."""
        dead = [n for n, svc in self.cluster.services.items() if svc.proc is not None and not svc.running]
        if dead:
            self._revived_at = self._revived_at or time.monotonic()
            self.revived += self.cluster.revive()

    def wait_caught_up(self, *, what: str = "catch-up", timeout_s: float | None = None) -> float:
        """Until every event any producer wrote is handled by every consumer of its topic; seconds taken."""
        t0 = time.monotonic()
        deadline = t0 + (timeout_s or self.timeout_s)
        left = None
        while time.monotonic() < deadline:
            self._revive()
            left = pending(self.cluster, extra_outboxes=self.outboxes)
            if not left:
                if self._revived_at is not None:  # a process died at a fault point: time to full recovery
                    self.recovery.append(time.monotonic() - self._revived_at)
                    self._revived_at = None
                return time.monotonic() - t0
            time.sleep(0.3)
        try:
            stuck = where_stuck(self.cluster, self.outboxes)
        except Exception as exc:  # the diagnosis must not hide the failure
            stuck = repr(exc)
        raise AssertionError(f"{what}: not caught up within {timeout_s or self.timeout_s:.0f} s: {left}; "
                             f"where: {stuck}")


def utc_start() -> datetime:
    """The stream's time origin: 45 minutes ago (whole minutes), so task windows are near the pool's duty
    windows and every case's order (case i's at origin + 2i + 12 min) is already past when logistics
    dispatches it. Resources counts a task's duty from the order to the release, at least the minutes
    reported; with the origin at the top of the hour, in a run in an hour's first 20 minutes the release
    (stream time) came more than the reported minutes after logistics' order (wall clock), so the count
    followed the wall clock, which differs run by run, and fault runs differed from the oracle by a minute."""
    return (datetime.now(timezone.utc) - timedelta(minutes=45)).replace(second=0, microsecond=0)


def retarget(case: Case, report: dict, units: list[tuple[str, str, datetime]] | None) -> list[dict]:
    """The stand-in's position report, or the same point for each unit logistics dispatched, stamped as
    long after logistics' own order as the stream stamps it after the stream's."""
    if not units:
        return [report]
    after = parse_time(report["at"]) - parse_time(case.dispatch["ordered_at"])
    return [dict(report, unit_id=unit_id, order_id=order_id, at=stamp(ordered_at + after))
            for unit_id, order_id, ordered_at in units]
