"""Indicators and the after-action report, from the facts logistics gathered off the event stream."""
from __future__ import annotations

from ..common.clock import stamp
from ..common.http import Problem
from ..geo.regions import city_of
from . import access, relief, store
from .domain import indicators as ind
from .domain import reception
from .policy import Policy


def _city(county: str | None) -> str | None:
    return None if not county else city_of(county)


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
    arrivals = [{"grade": r.grade, "response_s": r.response_s, "county": r.county,
                 "deadline_met": r.arrived_at <= r.deadline} for r in store.arrivals(conn, f)]
    deps = store.deployment_arrangements(conn, f)
    checks = store.equipment_checks_in(conn, f)
    ratings = store.ratings(conn, f)
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
    pairs = {(r.incident_id, _city(r.county)) for r in store.cross_region_pairs(conn, f)}
    incidents = sorted({i for i, _ in pairs})
    solved = store.solved_cases(conn, incidents)
    if by_city is not None:
        for i, city in sorted(pairs):
            by_city.setdefault(city, []).append({"incident_id": i, "solved": solved.get(i)})
    return [{"incident_id": i, "solved": solved.get(i)} for i in incidents]


def _latest_loads(conn, f: dict, deps) -> list[dict]:
    """The latest load report per county in the period (for an incident: its receiving and donor counties)."""
    counties = None
    if f.get("incident"):
        counties = {d["county"] for d in deps} | store.donor_counties(conn, f["incident"])
    return store.latest_loads(conn, {k: v for k, v in f.items() if k != "incident"}, counties)


def incident_report(conn, incident_id: str, policy=None) -> dict | None:
    events = store.timeline_of_incident(conn, incident_id)
    reqs = store.requests_of_incident(conn, incident_id)
    if not events and not reqs:
        return None
    request_ids = [r["request_id"] for r in reqs] or sorted({e["request_id"] for e in events if e["request_id"]})
    plan_rows = store.plans_of_requests(conn, request_ids)
    order_rows = store.orders_of_incident(conn, incident_id)
    dep_rows = store.deployments_of_incident(conn, incident_id)
    shifts = {p["request_id"]: relief.marker(p) for p in plan_rows}
    # announced late at some time (a unit.on-time since withdraws the alert, not the fact it was raised)
    alerted = {e["data"].get("order_id") for e in events if e["type"] == "unit.late"}
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
                       "met": (o["arrived_at"] <= o["deadline"]) if o["arrived_at"] else None,
                       "late_alert": bool(o["late"]) or o["order_id"] in alerted} for o in order_rows],
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
    row = store.case_outcome(conn, incident_id)
    return None if row is None else {"solved": row["solved"], "note": row["note"], "recorded_by": row["recorded_by"],
                                     "at": stamp(row["at"])}


def record_case_outcome(conn, incident_id: str, solved: bool, note: str | None, identity, now) -> dict:
    """The receiving command says whether the case was solved; a later word replaces an earlier one."""
    values = {"solved": solved, "note": note, "recorded_by": identity.subject[:128], "role": identity.role, "at": now}
    store.put_case_outcome(conn, incident_id, **values)
    return _case_outcome(conn, incident_id)


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
        county = store.incident_county(tx.conn, incident_id)
        if county is None:
            raise Problem(404, "Not Found", detail=f"no support for incident {incident_id}")
        if who.role != "province_commander":
            access.require_receiving_command(who, county, "record the outcome of this case")
        return {"incident_id": incident_id,
                **record_case_outcome(tx.conn, incident_id, body["solved"], body.get("note"), who, now)}
