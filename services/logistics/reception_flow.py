"""Reception of a deployment: arrangements, arrival flags, release and extension; and the receiving
side's actions over HTTP (the use cases at the end: the unit of work in, `Problem` out)."""
from __future__ import annotations

from datetime import datetime, timedelta

from ..common.auth import Identity
from ..common.clock import parse_time, stamp
from ..common.http import Problem
from . import access, dispatch, store
from .domain import reception
from .policy import Policy
from .timeline import emit


def note_arrival(conn, deployment_id: str, unit_id: str, at: datetime) -> None:
    """Flag what was not arranged before this unit arrived; on scene once every unit is in place."""
    dep = store.deployment(conn, deployment_id)
    flags = list(dep["flags"]) + [{"item": item, "unit_id": unit_id, "at": stamp(at)}
                                  for item in reception.missing(dep["arrangements"])]
    waiting = store.unit_on_the_way(conn, deployment_id)
    status = dep["status"] if waiting else "on_scene"
    store.update_deployment(conn, deployment_id, flags=flags,
                            status=status if dep["status"] != "released" else "released")
    if not waiting:
        store.request_on_scene(conn, dep["request_id"])


def lodging_in_use(conn, county: str, other_than: str) -> int:
    return sum(a.get("lodging", {}).get("quantity", 0) for a in store.arrangements_in_county(conn, county, other_than)
               if a.get("lodging", {}).get("status") == "arranged")


def arrange(tx, dep: dict, body: dict, policy: Policy, now: datetime) -> dict:
    """Record arrangements (lodging within the county's capacity) and emit logistics.arranged."""
    items = dict(dep["arrangements"])
    if body.get("medic", {}).get("status") == "not_needed":
        raise Problem.of_field(422, "Refused", "medic.status",
                               "a medic travels with every team (随队医护): the medic is always needed",
                               code="reception.medic_needed")
    for item in reception.ITEMS:
        if item in body:
            items[item] = body[item]
    lodging = items["lodging"]
    if "lodging" in body and lodging["status"] == "arranged":
        beds = lodging.setdefault("quantity", dep["headcount"])
        capacity = policy.capacity(dep["county"])
        in_use = lodging_in_use(tx.conn, dep["county"], dep["deployment_id"])
        why = reception.lodging_refusal(beds, capacity, in_use)
        if why:
            raise Problem.of_field(409, "Refused", "lodging.quantity", why, code="reception.beds_short",
                                   params={"requested": beds, "free": capacity - in_use, "capacity": capacity,
                                           "county": dep["county"]})
    store.update_deployment(tx.conn, dep["deployment_id"], arrangements=items)
    data = {"deployment_id": dep["deployment_id"], "request_id": dep["request_id"], "headcount": dep["headcount"],
            **{k: items[k] for k in reception.ITEMS}, "at": stamp(now)}
    if dep["incident_id"]:
        data["incident_id"] = dep["incident_id"]
    emit(tx, "logistics.arranged", data, key=dep["request_id"])
    return items


def release(tx, dep: dict, now: datetime, outcome: str = "completed", policy: Policy | None = None) -> dict:
    """Release every officer; duty runs from each unit's order to now (resources closes duty time).
    After a hard task (policy: grades I-II) the release flags psychological follow-up for every officer."""
    if dep["status"] == "released":
        raise Problem.of_field(409, "Refused", "deployment_id", "already released", code="deployment.released")
    rows = store.orders_of_deployment(tx.conn, dep["deployment_id"])
    minutes = {o: max(0, round((now - r["ordered_at"]).total_seconds() / 60))
               for r in rows for o in r["officer_ids"]}
    officers = [o for o in dep["officer_ids"] if o in minutes] or list(dep["officer_ids"])
    data = {"deployment_id": dep["deployment_id"], "request_id": dep["request_id"], "plan_id": dep["plan_id"],
            "officer_ids": officers, "duty_minutes": max(minutes.values(), default=0),
            "duty_minutes_by_officer": {o: minutes.get(o, 0) for o in officers}, "outcome": outcome,
            "released_at": stamp(now),
            "psychological_followup": (policy or Policy()).needs_psychological_followup(dep["grade"])}
    if dep["incident_id"]:
        data["incident_id"] = dep["incident_id"]
    store.update_deployment(tx.conn, dep["deployment_id"], status="released", released_at=now, outcome=outcome)
    store.release_orders(tx.conn, dep["deployment_id"], now)
    emit(tx, "deployment.released", data, key=dep["request_id"])
    return data


def request_extension(conn, dep: dict, body: dict, by: str, now: datetime, max_hours: float = 24) -> dict:
    until = parse_time(body["until"])
    if until <= dep["task_end"]:
        raise Problem.of_field(422, "Refused", "until", f"must be after the current end {stamp(dep['task_end'])}")
    if until > dep["task_end"] + timedelta(hours=max_hours):   # the policy's dispatch.max_extension_h
        raise Problem.of_field(422, "Refused", "until", f"at most {max_hours:g} h after the current end "
                                                        f"{stamp(dep['task_end'])}; ask again for more")
    if dep["status"] == "released":
        raise Problem.of_field(409, "Refused", "deployment_id", "the deployment is released",
                               code="deployment.released")
    pending = {"until": stamp(until), "reason": body["reason"], "requested_by": by, "requested_at": stamp(now)}
    store.update_deployment(conn, dep["deployment_id"], extension=pending)
    return pending


def approve_extension(tx, dep: dict, by: str, role: str, now: datetime) -> dict:
    pending = dep["extension"]
    if not pending:
        raise Problem.of_field(409, "Refused", "extension", "no extension was requested")
    data = {"deployment_id": dep["deployment_id"], "request_id": dep["request_id"], "plan_id": dep["plan_id"],
            "officer_ids": list(dep["officer_ids"]), "previous_until": stamp(dep["task_end"]),
            "until": pending["until"], "reason": pending["reason"], "requested_by": pending["requested_by"],
            "approved_by": by, "role": role, "at": stamp(now)}
    if dep["incident_id"]:
        data["incident_id"] = dep["incident_id"]
    until = parse_time(pending["until"])
    store.update_deployment(tx.conn, dep["deployment_id"], task_end=until, extension=None)
    for row in store.orders_of_deployment(tx.conn, dep["deployment_id"]):
        order = dict(row["order"], scope=dict(row["order"]["scope"], until=pending["until"]))
        store.set_order_body(tx.conn, row["order_id"], order)
    emit(tx, "deployment.extended", data, key=dep["request_id"])
    return data


# ---- the receiving side's actions over HTTP ----

def load(conn, deployment_id: str, *, lock: bool = False) -> dict:
    """The deployment (its row locked with `lock`); 404 when there is none. Every change of a deployment
    locks it first: two at once (a release tapped twice, a release and the request's cancellation, an
    extension approved by two commanders) each read the other's as not yet committed on PostgreSQL and
    both went out; the second now waits, then finds the first (released: 409)."""
    dep = store.deployment(conn, deployment_id, lock=lock)
    if dep is None:
        raise Problem(404, "Not Found", detail=f"no deployment {deployment_id}")
    return dep


def arrange_as(outbox, deployment_id: str, who: Identity, body: dict, policy: Policy, now: datetime) -> dict:
    """The receiving side records lodging, meals, transport or medic; the deployment as it then stands."""
    if not body:
        raise Problem.of_field(422, "Refused", "(body)", "name at least one of lodging, meals, transport, medic")
    with outbox.transaction() as tx:
        dep = load(tx.conn, deployment_id, lock=True)   # decisions on it take turns (load)
        access.require_reception(who, dep["county"])
        arrange(tx, dep, body, policy, now)
        return load(tx.conn, deployment_id)


def release_as(outbox, deployment_id: str, who: Identity, outcome: str, policy: Policy, now: datetime) -> dict:
    """The receiving command releases the deployment (deployment.released)."""
    with outbox.transaction() as tx:
        dep = load(tx.conn, deployment_id, lock=True)   # decisions on it take turns (load)
        access.require_receiving_command(who, dep["county"], "release this deployment")
        return release(tx, dep, now, outcome, policy)


def request_extension_as(outbox, deployment_id: str, who: Identity, body: dict, now: datetime,
                         policy: Policy | None = None) -> dict:
    """The receiving command asks for a later end, at most `dispatch.max_extension_h` after the current
    one; pending until a commander approves it."""
    with outbox.transaction() as tx:
        dep = load(tx.conn, deployment_id, lock=True)   # decisions on it take turns (load)
        access.require_receiving_command(who, dep["county"], "request an extension")
        return request_extension(tx.conn, dep, body, who.subject, now, (policy or Policy()).max_extension_h)


def approve_extension_as(outbox, deployment_id: str, who: Identity, now: datetime) -> dict:
    """A commander of the request's approval level approves the pending extension (deployment.extended)."""
    with outbox.transaction() as tx:
        dep = load(tx.conn, deployment_id, lock=True)   # decisions on it take turns (load)
        access.require_approver(who, dep["county"], store.approval_level(tx.conn, dep["request_id"]) or "province")
        return approve_extension(tx, dep, who.subject, who.role, now)


def rate_as(outbox, deployment_id: str, who: Identity, body: dict, now: datetime) -> None:
    """The officers sent (side officer: the support officer of a county that sent one of its units) or
    the receiving side (side receiver) rate the deployment; a support officer of the receiving county is
    neither. One rating per person and side of a deployment, as in any satisfaction survey: a second is
    refused (409) and the first stands, so that the satisfaction indicator counts each rater once."""
    with outbox.transaction() as tx:
        dep = load(tx.conn, deployment_id, lock=True)   # two taps of one rater: the second waits, then finds the first
        side, rater = body["side"], who.subject[:128]
        if side == "officer":
            sending = sorted(c for c in store.sending_counties(tx.conn, deployment_id) if c)
            if not (who.role == "support_officer" and any(who.covers(c) for c in sending)):
                raise Problem.of_field(403, "Refused", "side", (
                    f"officer ratings come from the support officers of the counties that sent units "
                    f"({', '.join(sending) or 'none known'}); caller is {who.role} of {who.region}"))
        if side == "receiver" and not (who.role in access.RECEPTION_ROLES and who.covers(dep["county"])):
            raise Problem.of_field(403, "Refused", "side",
                                   f"receiver ratings come from the receiving side of {dep['county']}")
        if store.survey_given(tx.conn, deployment_id, rater, side):
            raise Problem.of_field(409, "Refused", "side", f"{rater} already rated deployment {deployment_id} "
                                   f"as {side}: one rating per person and side", code="survey.already_rated",
                                   params={"deployment_id": deployment_id, "side": side})
        store.add_survey(tx.conn, deployment_id=deployment_id, incident_id=dep["incident_id"], county=dep["county"],
                         rater=rater, side=side, rating=body["rating"], comment=body.get("comment"), at=now)


def check_equipment_as(outbox, order_id: str, who: Identity, body: dict, now: datetime) -> None:
    """The receiving side records how many of a unit's items its systems accepted."""
    if body["compatible"] > body["checked"]:
        raise Problem.of_field(422, "Refused", "compatible", "cannot exceed checked")
    with outbox.transaction() as tx:
        row = dispatch.load_order(tx.conn, order_id)
        county = row["order"]["reporting_point"]["county"]
        access.require_reception(who, county)
        store.add_equipment_check(tx.conn, order_id=order_id, county=county, checked=body["checked"],
                                  compatible=body["compatible"], at=now)
