"""The background check on the process clock (its period too, in simulated seconds): unacknowledged
orders are re-sent and then escalated, and a unit still on the way when its deadline passes raises
its late alert."""
from __future__ import annotations

from ..common.clock import now as clock_now
from ..common.clock import stamp
from ..common.periodic import Periodic
from . import dispatch, store
from .domain.times import seconds_between
from .timeline import emit


def overdue(tx, now) -> int:
    """Late alerts for units not in place at their deadline that have not raised one yet."""
    raised = 0
    for row in store.orders_past_deadline(tx.conn, now):
        eta = max(row["eta"] or now, now)
        data = {"unit_id": row["unit_id"], "order_id": row["order_id"], "request_id": row["request_id"],
                "eta": stamp(eta), "deadline": stamp(row["deadline"]),
                "late_by_s": seconds_between(row["deadline"], eta), "at": stamp(now)}
        if row["lon"] is not None:
            data["point"] = {"lon": row["lon"], "lat": row["lat"]}
        if row["incident_id"]:
            data["incident_id"] = row["incident_id"]
        if store.flag_late(tx.conn, row["order_id"]):  # not already raised by another instance
            emit(tx, "unit.late", data, key=row["request_id"])
            raised += 1
    return raised


def run_once(runtime, now=None) -> dict:
    now = now or clock_now()
    with runtime.outbox.transaction() as tx:
        counts = dispatch.chase_unacknowledged(tx, runtime.deps.policy, now)
        counts["late"] = overdue(tx, now)
    return counts


class Checker(Periodic):
    """`run_once` every `every_s` simulated seconds (the loop: common/periodic.py)."""

    def __init__(self, runtime, every_s: float = 5.0):
        self.runtime = runtime
        super().__init__("checker", every_s, lambda: run_once(self.runtime), floor_s=0.25,
                         telemetry=runtime, service="logistics")
