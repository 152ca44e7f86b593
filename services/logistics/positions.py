"""Tracking: a position report moves its unit, re-estimates its arrival, raises a late alert or
records the arrival (the response clock stops). Reports logistics cannot accept raise an error
that the worker turns into a dead letter with the reason."""
from __future__ import annotations

from datetime import timedelta

from ..common.auth import Identity
from ..common.clock import now as clock_now
from ..common.clock import parse_time, stamp
from ..common.http import Problem
from . import access, position_policy, store
from .domain import tracking
from .domain.times import seconds_between
from .places import Places
from .policy import Policy
from .reception_flow import note_arrival
from .timeline import emit


class RejectedReport(ValueError):
    """A position report logistics will not apply; the worker dead-letters it with this reason."""


class UnknownUnit(RejectedReport):
    pass


class ImplausibleSpeed(RejectedReport):
    pass


class AheadOfTime(RejectedReport):
    """Stamped later than now: applied, it would make every correct report after it look stale."""


class BeforeTheOrder(RejectedReport):
    """Stamped before the unit was ordered: applied at its reporting point, it would be an arrival
    before the order, a response time of nothing."""


def find_order(conn, unit_id: str, order_id: str) -> dict:
    # the report's hot path: the read (and the write in apply_report) run on the driver (store.py)
    row = store.order_on_driver(conn, order_id)
    if row is None or row["unit_id"] != unit_id:
        raise UnknownUnit(f"unknown unit {unit_id} for order {order_id}: no such dispatched unit")
    return row


def check_report(row: dict, report: dict, policy: Policy) -> bool:
    """False for a report older than the one applied; raises AheadOfTime for one stamped well after
    logistics' clock, BeforeTheOrder for one stamped before the order, ImplausibleSpeed for a jump."""
    at = parse_time(report["at"])
    ordered = row["ordered_at"]
    if ordered is not None:   # as published (to the millisecond), less the clock skew allowed ahead too
        earliest = ordered.replace(microsecond=ordered.microsecond // 1000 * 1000) - timedelta(seconds=policy.max_ahead_s)
        if at < earliest:
            raise BeforeTheOrder(f"unit {report['unit_id']} reported a position at {report['at']}, before its order "
                                 f"of {stamp(ordered)}: a device clock that is wrong, or another task's fix")
    ahead = (at - clock_now()).total_seconds()
    if ahead > policy.max_ahead_s:
        raise AheadOfTime(f"unit {report['unit_id']} reported a position at {report['at']}, {ahead:.0f} s ahead of "
                          f"logistics' clock (allowed: {policy.max_ahead_s:.0f} s): a device clock that is wrong")
    applied = row["position_at"]
    if applied is not None and at <= applied:
        return False
    previous = ((row["lon"], row["lat"]), applied) if applied is not None else None
    point = (report["point"]["lon"], report["point"]["lat"])
    speed = tracking.implausible_speed(previous, point, at, report.get("speed_kmh"), policy.max_speed_kmh)
    if speed is not None:
        raise ImplausibleSpeed(f"unit {report['unit_id']} would have moved at {speed:.0f} km/h "
                               f"(plausible: up to {policy.max_speed_kmh:.0f} km/h)")
    return True


def apply_report(tx, report: dict, places: Places, policy: Policy) -> str:
    """Apply one report; returns 'stale', 'moved', 'late', 'on_time' (a late unit made up the time) or
    'arrived'."""
    row = find_order(tx.conn, report["unit_id"], report["order_id"])
    if not check_report(row, report, policy):
        return "stale"
    at = parse_time(report["at"])
    point = (report["point"]["lon"], report["point"]["lat"])
    rp = row["reporting_point"]
    target = (rp["lon"], rp["lat"])
    remaining_m = tracking.distance_m(point, target)
    start_m = row["start_km"] * 1000 if row["start_km"] is not None else remaining_m
    values = {"lon": point[0], "lat": point[1], "position_at": at, "start_km": start_m / 1000,
              "progress": tracking.progress(start_m, remaining_m)}
    outcome = "moved"
    if row["arrived_at"] is None and remaining_m <= policy.arrival_radius_m:
        arrived = max(at, row["ordered_at"]) if row["ordered_at"] is not None else at   # a skewed clock: not before
        values.update(arrived_at=arrived, response_s=seconds_between(row["ordered_at"], arrived), eta=arrived,
                      progress=1.0)
        outcome = "arrived"
    elif row["arrived_at"] is None:
        eta = at + timedelta(seconds=_left_s(row, values, point, target, at, places, policy))
        values["eta"] = eta
        deadline = row["deadline"]
        if eta > deadline and not row["late"]:
            values["late"] = True
            outcome = "late"
            _late(tx, row, point, eta, deadline, remaining_m / 1000, at)
        elif row["late"] and eta <= deadline - timedelta(seconds=policy.on_time_margin_s):
            values["late"] = False  # made up the time: the alert is withdrawn, and may be raised again
            outcome = "on_time"
            _on_time(tx, row, point, eta, deadline, remaining_m / 1000, at)
    store.move_unit(tx.conn, row, values)
    if outcome == "arrived":
        _arrived(tx, {**row, **values}, point)
    return outcome


def _left_s(row: dict, values: dict, point, target, at, places: Places, policy: Policy) -> float:
    """The seconds the unit still needs: along its route (planned from its first report, and again
    from where it is when it strays more than `off_route_m` from it; `Places.route`), at its own pace
    (tracking.paced_left_s). `values` take the route and the pace's anchor."""
    anchor = (row["pace_at"], row["pace_left_s"]) if row["pace_at"] is not None else None
    route, left_s = row["route"], None
    if route is not None:
        left_s, off_m = tracking.left_along(route, point)
        if off_m > policy.off_route_m:
            route = anchor = None          # another way: its seconds are not the old route's
    if route is None:
        route = values["route"] = places.route(point, target)
        left_s = route["left_s"][0] if route is not None else places.travel_s(point, target)
    moved_m = tracking.distance_m((row["lon"], row["lat"]), point) if row["lon"] is not None else None
    anchor = tracking.pace_anchor(anchor, at, left_s, moved_m, policy.pace_evidence_s, policy.still_m)
    values["pace_at"], values["pace_left_s"] = anchor
    return tracking.paced_left_s(anchor, at, left_s, policy.pace_evidence_s)


def _late(tx, row: dict, point, eta, deadline, remaining_km: float, at) -> None:
    _timing(tx, "unit.late", row, point, eta, deadline, remaining_km, at, late_by_s=seconds_between(deadline, eta))


def _on_time(tx, row: dict, point, eta, deadline, remaining_km: float, at) -> None:
    _timing(tx, "unit.on-time", row, point, eta, deadline, remaining_km, at, early_by_s=seconds_between(eta, deadline))


def _timing(tx, topic: str, row: dict, point, eta, deadline, remaining_km: float, at, **by) -> None:
    data = {"unit_id": row["unit_id"], "order_id": row["order_id"], "request_id": row["request_id"],
            "point": {"lon": point[0], "lat": point[1]}, "eta": stamp(eta), "deadline": stamp(deadline),
            **by, "remaining_km": round(remaining_km, 2), "at": stamp(at)}
    if row["incident_id"]:
        data["incident_id"] = row["incident_id"]
    emit(tx, topic, data, key=row["request_id"])


def _arrived(tx, row: dict, point) -> None:
    data = {"unit_id": row["unit_id"], "order_id": row["order_id"], "request_id": row["request_id"],
            "point": {"lon": point[0], "lat": point[1]}, "arrived_at": stamp(row["arrived_at"]),
            "response_s": row["response_s"], "deadline_met": row["arrived_at"] <= row["deadline"]}
    if row["incident_id"]:
        data["incident_id"] = row["incident_id"]
    emit(tx, "unit.arrived", data, key=row["request_id"])
    note_arrival(tx.conn, row["deployment_id"], row["unit_id"], row["arrived_at"])


# ---- over HTTP ----

def report_as(outbox, unit_id: str, body: dict, policy: Policy) -> dict | None:
    """A device's report, checked against the unit's order and published (unit.position-reported: the
    worker applies it); None when it is older than the report already applied."""
    report = {"unit_id": unit_id, **body}
    with outbox.transaction() as tx:
        try:
            row = find_order(tx.conn, unit_id, body["order_id"])
        except UnknownUnit as exc:
            if store.latest_order_of_unit(tx.conn, unit_id) is None:   # no such dispatched unit: the path
                raise Problem.of_field(404, "Not Found", "unit_id", f"no dispatched unit {unit_id}") from None
            raise Problem.of_field(422, "Refused", "order_id", str(exc)) from None   # not this unit's order
        try:
            fresh = check_report(row, report, policy)
        except ImplausibleSpeed as exc:
            raise Problem.of_field(422, "Refused", "point", str(exc)) from None
        except (AheadOfTime, BeforeTheOrder) as exc:
            raise Problem.of_field(422, "Refused", "at", str(exc)) from None
        if not fresh:
            return None
        return tx.emit("unit.position-reported", report, key=unit_id, correlationid=row["incident_id"])


def read_as(conn, unit_id: str, who: Identity, policy: Policy) -> dict:
    """The unit's latest order with its position, for a caller who may see it (access.may_read_position)."""
    row = store.latest_order_of_unit(conn, unit_id)
    if row is None:
        raise Problem(404, "Not Found", detail=f"no dispatched unit {unit_id}")
    county = row["order"]["reporting_point"]["county"]
    sharing = position_policy.receiving_command_sees_own_units(conn, policy)
    if not access.may_read_position(who, county, row["released_at"] is None, sharing):
        raise Problem.of_field(403, "Refused", "X-Role", "positions are core data for the province command" + (
            "; the receiving command sees units under it during the task" if sharing
            else "; the province has not opened them to receiving commands"))
    return row
