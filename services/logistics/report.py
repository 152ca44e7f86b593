"""Indicators and the after-action report, from the facts logistics gathered off the event stream."""
from __future__ import annotations

from sqlalchemy import and_, func, insert, select, update

from ..common.clock import as_utc, stamp
from ..common.http import Problem
from . import access, relief
from .domain import indicators as ind
from .domain import reception
from .policy import Policy
from .store import case_outcomes, deployments, equipment_checks, loads, orders, plans, requests, surveys, timeline


def _where(col_county, col_time, f: dict, col_incident=None) -> list:
    out = []
    if f.get("county"):
        out.append(col_county == f["county"])
    if f.get("city"):
        out.append(func.substr(col_county, 1, 4) == f["city"][:4])
    if f.get("from"):
        out.append(col_time >= f["from"])
    if f.get("to"):
        out.append(col_time < f["to"])
    if f.get("incident") and col_incident is not None:
        out.append(col_incident == f["incident"])
    return out


def _city(county: str | None) -> str | None:
    return None if not county else county[:4] + "00"


def _group(rows, county_of) -> dict[str, list]:
    """rows by the city of their county, each city's rows in the order the query gave them."""
    out: dict[str, list] = {}
    for r in rows:
        city = _city(county_of(r))
        if city is not None:
            out.setdefault(city, []).append(r)
    return out


def indicators(conn, f: dict, *, by_city: bool = False) -> dict:
    """The six indicators for the filters {from, to, city, county, incident} (all optional); with
    `by_city`, the same six for each city with anything recorded in scope as well (`by_city`: city
    code → indicators), from the same rows: one pass instead of a call per city."""
    arrived = conn.execute(select(orders.c.response_s, orders.c.arrived_at, orders.c.deadline, deployments.c.grade,
                                  deployments.c.county)
                           .join(deployments, deployments.c.deployment_id == orders.c.deployment_id)
                           .where(orders.c.arrived_at.is_not(None),
                                  *_where(deployments.c.county, orders.c.ordered_at, f, orders.c.incident_id))).all()
    arrivals = [{"grade": r.grade, "response_s": r.response_s, "county": r.county,
                 "deadline_met": as_utc(r.arrived_at) <= as_utc(r.deadline)} for r in arrived]
    deps = conn.execute(select(deployments.c.county, deployments.c.arrangements).where(
        *_where(deployments.c.county, deployments.c.created_at, f, deployments.c.incident_id))).mappings().all()
    checks = conn.execute(select(equipment_checks.c.checked, equipment_checks.c.compatible, equipment_checks.c.county)
                          .join(orders, orders.c.order_id == equipment_checks.c.order_id)
                          .where(*_where(equipment_checks.c.county, equipment_checks.c.at, f, orders.c.incident_id))
                          ).mappings().all()
    ratings = conn.execute(select(surveys.c.side, surveys.c.rating, surveys.c.county).where(
        *_where(surveys.c.county, surveys.c.at, f, surveys.c.incident_id))).mappings().all()
    latest = _latest_loads(conn, f, deps)
    cases_by_city: dict[str, list] = {}
    cases = cross_region_cases(conn, f, cases_by_city if by_city else None)
    out = {"filters": {k: (stamp(v) if hasattr(v, "isoformat") else v) for k, v in f.items() if v},
           **_six(arrivals, latest, cases, checks, ratings, deps)}
    if by_city:
        groups = [_group(arrivals, lambda r: r["county"]), _group(latest, lambda r: r["county"]),
                  cases_by_city, _group(checks, lambda r: r["county"]),
                  _group(ratings, lambda r: r["county"]), _group(deps, lambda r: r["county"])]
        cities = sorted(set().union(*groups))
        out["by_city"] = {c: _six(*(g.get(c, []) for g in groups)) for c in cities}
    return out


def _six(arrivals, latest, cases, checks, ratings, deps) -> dict:
    figures = {
        "response_time": ind.response_time(arrivals),
        "utilisation": ind.utilisation(latest),
        "cross_region_clearance": ind.cross_region_clearance(cases),
        "equipment_compatibility": ind.equipment_compatibility([{"checked": c["checked"], "compatible": c["compatible"]}
                                                                for c in checks]),
        "satisfaction": ind.satisfaction([{"side": r["side"], "rating": r["rating"]} for r in ratings]),
        "logistics_coverage": ind.logistics_coverage([{"covered": reception.covered(d["arrangements"])} for d in deps]),
    }
    return {k: {**v, "definition": ind.DEFINITIONS[k]} for k, v in figures.items()}


def cross_region_cases(conn, f: dict, by_city: dict | None = None) -> list[dict]:
    """Incidents in scope that received officers from another county, with the recorded case outcome;
    `by_city`, when given, gains each city's cases (those received in one of its counties)."""
    rows = conn.execute(select(orders.c.incident_id, deployments.c.county).distinct()
                        .join(deployments, deployments.c.deployment_id == orders.c.deployment_id)
                        .where(orders.c.incident_id.is_not(None), orders.c.from_county.is_not(None),
                               orders.c.from_county != deployments.c.county,
                               *_where(deployments.c.county, deployments.c.created_at, f, orders.c.incident_id)))
    pairs = {(r.incident_id, _city(r.county)) for r in rows}
    incidents = sorted({i for i, _ in pairs})
    solved = dict(conn.execute(select(case_outcomes.c.incident_id, case_outcomes.c.solved)
                               .where(case_outcomes.c.incident_id.in_(incidents or [""]))).all())
    if by_city is not None:
        for i, city in sorted(pairs):
            by_city.setdefault(city, []).append({"incident_id": i, "solved": solved.get(i)})
    return [{"incident_id": i, "solved": solved.get(i)} for i in incidents]


def _latest_loads(conn, f: dict, deps) -> list[dict]:
    """The latest load report per county in the period (for an incident: its receiving and donor counties)."""
    conds = _where(loads.c.county, loads.c.at, {k: v for k, v in f.items() if k != "incident"})
    if f.get("incident"):
        counties = {d["county"] for d in deps}
        counties |= {c for (c,) in conn.execute(select(orders.c.from_county).where(
            orders.c.incident_id == f["incident"])) if c}
        conds.append(loads.c.county.in_(sorted(counties) or [""]))
    latest = select(loads.c.county, func.max(loads.c.at).label("at")).where(*conds).group_by(loads.c.county).subquery()
    rows = conn.execute(select(loads).join(latest, and_(loads.c.county == latest.c.county, loads.c.at == latest.c.at)))
    return [dict(r) for r in rows.mappings()]


def incident_report(conn, incident_id: str, policy=None) -> dict | None:
    events = conn.execute(select(timeline).where(timeline.c.incident_id == incident_id)
                          .order_by(timeline.c.at, timeline.c.event_id)).mappings().all()
    reqs = conn.execute(select(requests).where(requests.c.incident_id == incident_id)).mappings().all()
    if not events and not reqs:
        return None
    request_ids = [r["request_id"] for r in reqs] or sorted({e["request_id"] for e in events if e["request_id"]})
    plan_rows = conn.execute(select(plans).where(plans.c.request_id.in_(request_ids))).mappings().all()
    order_rows = conn.execute(select(orders).where(orders.c.incident_id == incident_id)
                              .order_by(orders.c.ordered_at)).mappings().all()
    dep_rows = conn.execute(select(deployments).where(deployments.c.incident_id == incident_id)).mappings().all()
    shifts = {p["request_id"]: relief.marker(p) for p in plan_rows}
    return {
        "incident_id": incident_id,
        "requests": [{"request_id": r["request_id"], "county": r["county"], "grade": r["grade"],
                      "deadline": stamp(r["deadline"]) if r["deadline"] else None, "status": r["status"],
                      **_echelon(shifts.get(r["request_id"]))} for r in reqs],
        "timeline": [{"at": stamp(e["at"]), "type": e["type"], "actor": e["actor"], "source": e["source"],
                      "request_id": e["request_id"], "event_id": e["event_id"]} for e in events],
        "plans": [_plan(p) for p in plan_rows],
        "deadlines": [{"order_id": o["order_id"], "unit_id": o["unit_id"], "from_county": o["from_county"],
                       "ordered_at": stamp(o["ordered_at"]), "deadline": stamp(o["deadline"]),
                       "arrived_at": stamp(o["arrived_at"]) if o["arrived_at"] else None, "response_s": o["response_s"],
                       "met": (as_utc(o["arrived_at"]) <= as_utc(o["deadline"])) if o["arrived_at"] else None,
                       "late_alert": bool(o["late"])} for o in order_rows],
        "reception": [{"deployment_id": d["deployment_id"], "headcount": d["headcount"], "status": d["status"],
                       "arrangements": d["arrangements"], "flags": d["flags"],
                       "psychological_followup": (policy or Policy()).needs_psychological_followup(d["grade"])}
                      for d in dep_rows],
        "case_outcome": _case_outcome(conn, incident_id),
        "indicators": indicators(conn, {"incident": incident_id}),
    }


def _echelon(mark: dict | None) -> dict:
    """A relief shift's place in the incident's support: the request it relieves and its shift."""
    return {"relief_of": mark["request_id"], "shift": mark["shift"]} if mark else {}


def _plan(p) -> dict:
    proposal = p["proposal"] or {}
    return {"plan_id": p["plan_id"], "request_id": p["request_id"], "kind": p["kind"],
            "chosen": p["approval"] is not None,
            "approved_by": (p["approval"] or {}).get("approved_by"),
            "metrics": proposal.get("metrics"), "explanation": proposal.get("explanation"),
            "officers": len(proposal.get("assignments") or (p["approval"] or {}).get("assignments") or [])}


def _case_outcome(conn, incident_id: str) -> dict | None:
    row = conn.execute(select(case_outcomes).where(case_outcomes.c.incident_id == incident_id)).mappings().first()
    return None if row is None else {"solved": row["solved"], "note": row["note"], "recorded_by": row["recorded_by"],
                                     "at": stamp(as_utc(row["at"]))}


def record_case_outcome(conn, incident_id: str, solved: bool, note: str | None, identity, now) -> dict:
    """The receiving command says whether the case was solved; a later word replaces an earlier one."""
    values = {"solved": solved, "note": note, "recorded_by": identity.subject[:128], "role": identity.role, "at": now}
    done = conn.execute(update(case_outcomes).where(case_outcomes.c.incident_id == incident_id).values(**values))
    if done.rowcount == 0:
        conn.execute(insert(case_outcomes).values(incident_id=incident_id, **values))
    return _case_outcome(conn, incident_id)


def incident_county(conn, incident_id: str) -> str | None:
    """The receiving county of an incident's support (its deployments, else its requests)."""
    for table in (deployments, requests):
        county = conn.execute(select(table.c.county).where(table.c.incident_id == incident_id)).scalar()
        if county:
            return county
    return None


# ---- over HTTP ----

def load(conn, incident_id: str, policy: Policy) -> dict:
    """The incident's after-action report; 404 when logistics saw nothing of it."""
    found = incident_report(conn, incident_id, policy)
    if found is None:
        raise Problem(404, "Not Found", detail=f"no events of incident {incident_id}")
    return found


def record_case_outcome_as(outbox, incident_id: str, who, body: dict, now) -> dict:
    """The receiving command of the incident's support (or the province) says whether the case was solved."""
    with outbox.transaction() as tx:
        county = incident_county(tx.conn, incident_id)
        if county is None:
            raise Problem(404, "Not Found", detail=f"no support for incident {incident_id}")
        if who.role != "province_commander":
            access.require_receiving_command(who, county, "record the outcome of this case")
        return {"incident_id": incident_id,
                **record_case_outcome(tx.conn, incident_id, body["solved"], body.get("note"), who, now)}
