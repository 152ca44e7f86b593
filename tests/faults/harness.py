"""One run of the system under a fault: start the cluster, drive the stream with the fault hooks,
wait until everything is through, read the end state, tear down. `baseline()` is the same run
without faults; its end state is the oracle every faulty run must reproduce exactly.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from .cluster import Cluster
from .driver import Driver, Hook, utc_start
from .oracle import compare, dead_letters, demand_decisions, ledger_problems, places_problems, snapshot
from .postgres import PrivatePostgres
from .stream import Stream, on_duty_officers

INCIDENTS = 6  # each needs a plan: three lending counties apiece, one officer each
MINOR_INCIDENTS = 20  # reported and graded only (most incidents a county handles alone)
PACE_S = 0.05  # how fast the driver feeds its inputs (at most twenty a second)
NORMAL_INCIDENTS_PER_S = 1.0  # a province's normal incident rate for the backpressure fault (60 a minute)

@dataclass
class Outcome:
    snapshot: dict
    ledgers: dict
    metrics: dict
    timings: dict
    recovery_s: list[float] = field(default_factory=list)
    notes: dict = field(default_factory=dict)

    def against(self, oracle: "Outcome") -> dict[str, list]:
        diff = compare(oracle.snapshot, self.snapshot)
        diff["places"] = places_problems(self.snapshot)
        diff["ledgers"] = [f"{k}: {p}" for k, v in self.ledgers.items() for p in v]
        return diff

    def explain(self, oracle: "Outcome", diff: dict) -> str:
        """For each incident a difference names: demand's decision in the oracle and in this run, and what
        each service dead-lettered in this run (the first failure then tells its cause)."""
        named = {k for kind in ("lost", "doubled") for k in diff[kind]} | {c[0] for c in diff["changed"]}
        ids = sorted({part for key in named for part in key if isinstance(part, str) and part.startswith("INC-")})
        ours, theirs = self.notes.get("demand", {}), oracle.notes.get("demand", {})
        lines = [f"{i}: oracle {theirs.get(i)}; this run {ours.get(i)}" for i in ids]
        dead = {n: d for n, d in self.notes.get("deadletters", {}).items() if d}
        return "\n".join(lines + ([f"dead letters: {dead}"] if dead else []))


def run(workdir: Path, stream: Stream | None, hooks: dict[str, Hook] | None = None, *,
        postgres: PrivatePostgres | None = None, validate: bool = True, pace_s: float = PACE_S,
        incidents: int = INCIDENTS, start=None, fault_points: dict[str, str] | None = None,
        ) -> tuple[Outcome, Stream]:
    """Drive `stream` (or one built from the pool, for the baseline) through a fresh cluster."""
    cluster = Cluster(workdir, postgres=postgres, validate=validate).start(fault_points)
    try:
        if stream is None:
            stream = Stream.build(on_duty_officers(cluster.engine("resources")), incidents=incidents,
                                  minor_incidents=MINOR_INCIDENTS, start=start or utc_start())
        with Driver(cluster, stream, workdir) as driver:
            timings = driver.run(hooks, pace_s=pace_s)
            t0 = time.monotonic()
            driver.wait_caught_up(what="the end of the run")
            timings["final_catch_up"] = time.monotonic() - t0
            extra = driver.outboxes
            outcome = Outcome(snapshot(cluster, extra), ledger_problems(cluster, extra),
                              {n: s.metrics() for n, s in cluster.services.items() if s.running}, timings,
                              driver.recovery, {"revived": cluster.revived_at_start + driver.revived,
                                                "deadletters": {n: dead_letters(cluster.engine(n)) for n in cluster.services},
                                                "demand": demand_decisions(cluster.engine("demand"))})
        return outcome, stream
    finally:
        cluster.stop()


def kill_and_restart(service: str, *, fault_point: str | None = None, down_s: float = 0.0) -> Hook:
    """kill -9 `service`, leave it down `down_s`, start it again (optionally armed with a fault point
    that kills it again later), and record how long until everything outstanding is through."""
    def hook(cluster: Cluster, driver: Driver) -> None:
        t0 = time.monotonic()
        cluster.services[service].kill()
        time.sleep(down_s)
        cluster.restart(service, fault_point=fault_point)
        driver.wait_caught_up(what=f"recovery of {service}")
        driver.recovery.append(time.monotonic() - t0)
    return hook


def wipe_broker(cluster: Cluster, driver: Driver) -> None:
    """kill -9 the broker and start it empty on the same port (it keeps nothing on disk)."""
    t0 = time.monotonic()
    cluster.broker.kill()
    cluster.broker.start()
    driver.wait_caught_up(what="refill after the broker was wiped")
    driver.recovery.append(time.monotonic() - t0)


def restart_database(postgres: PrivatePostgres) -> Hook:
    def hook(cluster: Cluster, driver: Driver) -> None:
        t0 = time.monotonic()
        postgres.restart()
        driver.wait_caught_up(what="reconnect after the database restarted")
        driver.recovery.append(time.monotonic() - t0)
    return hook
