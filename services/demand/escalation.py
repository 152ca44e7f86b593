"""The deadline watch: escalate requests not approved, or not on scene, by their deadlines.

`check_deadlines` is a plain function of a transaction and a time; `DeadlineWatch` runs it (and the
pre-positioning schedule) in the service's process on the process clock (`clock.now()`), so an
exercise on a faster clock escalates on exercise time.
"""
from __future__ import annotations

from datetime import datetime

from ..common import clock
from ..common.outbox import Tx
from ..common.periodic import Periodic
from . import prepositions, store, support
from .domain import escalation


def check_deadlines(tx: Tx, now: datetime, limit: int = 500) -> list[dict]:
    """Escalate every request with a watched deadline passed at `now`; returns the escalations."""
    out = []
    for row in store.due_requests(tx.conn, now, limit):
        launch = row.launch_deadline
        stages = escalation.stages_due(row.status, launch, row.deadline, row.escalated_stages, now)
        if stages:  # not approved by the on-scene deadline is not on scene either: one escalation for both
            out.append(support.escalate_deadline(tx, row, stages, now))
        else:  # the request left the watched stage: nothing more to watch until it changes
            store.update_request(tx.conn, row.request_id, next_check=escalation.next_check(
                row.status, launch, row.deadline, row.escalated_stages))
    return out


class DeadlineWatch(Periodic):
    """Checks deadlines and due echelons every `interval_s` seconds (the loop: common/periodic.py)."""

    def __init__(self, runtime, interval_s: float = 1.0):
        self.runtime, self.interval_s = runtime, interval_s
        self.stats = {"ticks": 0, "escalated": 0, "echelons_raised": 0, "errors": 0}
        super().__init__("deadline-watch", interval_s, self._counted_tick, floor_s=0.25,
                         telemetry=runtime, service="demand")

    def tick(self, now: datetime | None = None) -> None:
        now = now or clock.now()
        with self.runtime.outbox.transaction() as tx:
            self.stats["escalated"] += len(check_deadlines(tx, now))
            self.stats["echelons_raised"] += len(prepositions.raise_due(tx, now))
        self.stats["ticks"] += 1

    def _counted_tick(self) -> None:
        try:
            self.tick()
        except Exception:  # logged by the loop; the next tick tries again (the database may be back)
            self.stats["errors"] += 1
            raise
