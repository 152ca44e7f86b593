"""Playing one inject on the exercise's services, over HTTP as the people it stands for would.

- incident, competing_incident: the county reports it (POST /incidents on demand);
- incident_growth: the county reports the incident again under its own id with the bigger size; demand
  grows it (graded again, its lines derived again with the reporter's overrides) and its open request
  asks only for the new shortfall, never the whole need a second time;
- officers_unavailable: the city's resource manager marks on-duty officers unavailable (PATCH /officers);
- equipment_failure: the failed items are taken off the officers who carry them (PATCH /officers);
- preposition: the receiving city's commander schedules a major-event security task with its echelons
  (POST /prepositions on demand); demand raises each echelon as a support request when it falls due;
- road_closure, weather: the runner changes the exercise's travel conditions (no service call).

Each function returns its `Outcome`: a line in English for the progress log, and the same as a message of
the report's texts (texts.py, `did_*`) with its values, for the report in its language.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import requests

from services.common.auth import Identity, headers_for
from services.demo.equipment import TYPE_CODE
from services.geo.regions import city_of

from .scenario import Inject

TIMEOUT = 30
PAGE = 100


class InjectFailed(RuntimeError):
    pass


@dataclass(frozen=True)
class Outcome:
    """What an inject did: one line in English for the progress log (`str()`), and the same as a message
    key of the report's texts with its values (`said`), so the report words it in its own language."""

    line: str
    key: str
    values: dict = field(default_factory=dict)

    def __str__(self) -> str:
        return self.line

    @property
    def said(self) -> dict:
        return {"key": self.key, "values": self.values}


@dataclass
class Services:
    """Base URLs of the exercise's services, and the incidents reported so far (for growth)."""

    demand: str
    resources: str
    reported: dict = field(default_factory=dict)
    growth: dict = field(default_factory=dict)


def county_officer(county: str) -> Identity:
    return Identity(f"exercise-duty-{county}", "county_duty_officer", county)


def resource_manager(county: str) -> Identity:
    """The city's resource manager, who keeps the city's officers' status and equipment up to date."""
    return Identity(f"exercise-resources-{city_of(county)}", "resource_manager", city_of(county))


def apply(services: Services, inject: Inject) -> Outcome:
    handler = APPLY.get(inject.kind)
    return handler(services, inject) if handler else conditions_changed(inject)


def conditions_changed(inject: Inject) -> Outcome:
    """A closure or the weather: the runner changes the travel conditions itself; said as the scenario gives it."""
    body, until = inject.body, inject.until_s  # seconds after the start; None: to the end of the exercise
    if inject.kind == "road_closure":
        a, b = body["between"]
        return Outcome("travel conditions changed", "did_closed", {"a": a, "b": b, "link": body.get("link", "road"),
                                                                   "until": until, "reason": body.get("reason", "")})
    return Outcome("travel conditions changed", "did_weather",
                   {"regions": list(body.get("regions") or []), "factor": body.get("speed_factor"), "until": until,
                    "reason": body.get("reason", "")})


def report_incident(services: Services, inject: Inject) -> Outcome:
    body = inject.body["incident"]
    resp = _call("POST", services.demand + "/incidents", county_officer(body["location"]["county"]), json=body)
    services.reported[body["incident_id"]] = body
    return Outcome(f"incident {body['incident_id']} reported ({resp.status_code})", "did_reported",
                   {"id": body["incident_id"]})


def city_commander(county: str) -> Identity:
    return Identity(f"exercise-command-{city_of(county)}", "city_commander", city_of(county))


def schedule_preposition(services: Services, inject: Inject) -> Outcome:
    body = inject.body["preposition"]
    resp = _call("POST", services.demand + "/prepositions", city_commander(body["location"]["county"]), json=body)
    echelons = ", ".join(e["echelon_id"] for e in body["echelons"])
    return Outcome(f"pre-positioned task {body['preposition_id']} scheduled ({resp.status_code}): echelons {echelons}",
                   "did_scheduled", {"id": body["preposition_id"],
                                     "echelons": [e.get("name") or e["echelon_id"] for e in body["echelons"]],
                                     "echelon_ids": [e["echelon_id"] for e in body["echelons"]]})


def growth_report(original: dict, inject: Inject, n: int) -> dict:
    """The report of a grown incident: the original's facts (and overrides) under its id with the new size
    (and grade); `n` counts the growth reports, for the log."""
    body = {k: v for k, v in original.items() if k != "reported_grade"}
    body.update(incident_id=original["incident_id"], size=inject.body["size"],
                description=inject.body.get("description") or f"{original['incident_id']} 事态扩大（续报）")
    if inject.body.get("reported_grade") or original.get("reported_grade"):
        body["reported_grade"] = inject.body.get("reported_grade") or original["reported_grade"]
    return body


def report_growth(services: Services, inject: Inject) -> Outcome:
    incident_id = inject.body["incident_id"]
    n = services.growth[incident_id] = services.growth.get(incident_id, 0) + 1
    body = growth_report(services.reported[incident_id], inject, n)
    _call("POST", services.demand + "/incidents", county_officer(body["location"]["county"]), json=body)
    return Outcome(f"incident {incident_id} grew (report {n + 1}): {body['size']}", "did_grew",
                   {"id": incident_id, "n": n + 1, "size": dict(body["size"])})


def officers_unavailable(services: Services, inject: Inject) -> Outcome:
    county, want = inject.body["county"], inject.body["count"]
    who = resource_manager(county)
    # a few more than asked: an officer listed on duty may be reserved by a plan approved meanwhile
    # (resources refuses that change with 409: only a release ends a task), and then the next one goes
    params = {"county": county, "status": "on_duty", "limit": min(want + max(5, want // 2), 1000)}
    if inject.body.get("module"):
        params["module"] = inject.body["module"]
    found = _call("GET", services.resources + "/officers", who, params=params).json()["items"]
    body = {"status": "unavailable", "reason": inject.body["reason"][:200]}
    done = skipped = 0
    candidates = [o["officer_id"] for o in found]
    while candidates and done < want:
        batch, candidates = candidates[:want - done], candidates[want - done:]
        outcomes = _each(services, who, [(officer_id, body) for officer_id in batch], busy_ok=True)
        done += sum(outcomes)
        skipped += len(outcomes) - sum(outcomes)
    busy = f" ({skipped} reserved meanwhile, others taken)" if skipped else ""
    short = f" (only {len(found)} on duty and free there)" if len(found) < want else ""
    return Outcome(f"{done} of {want} officers of {county} unavailable{busy}{short}", "did_unavailable",
                   {"county": county, "done": done, "want": want, "busy": skipped,
                    "found": len(found) if short else None})


def failing_items(officers: list[dict], equipment_type: str, count: int) -> dict[str, list[str]]:
    """officer_id -> the equipment list left after `count` items of `equipment_type` fail (first found first)."""
    code = TYPE_CODE.get(equipment_type)
    left: dict[str, list[str]] = {}
    failed = 0
    for officer in officers:
        kept = []
        for item in officer.get("equipment_ids") or []:
            if failed < count and code and f"-{code}-" in item:
                failed += 1
            else:
                kept.append(item)
        if len(kept) != len(officer.get("equipment_ids") or []):
            left[officer["officer_id"]] = kept
        if failed >= count:
            break
    return left


def equipment_failure(services: Services, inject: Inject) -> Outcome:
    county, kind, want = inject.body["county"], inject.body["equipment_type"], inject.body["count"]
    who = resource_manager(county)
    changes, failed, after = {}, 0, None
    while failed < want:  # page through the county's officers (each page after the last) until enough items fail
        params = {"county": county, "limit": PAGE, **({"after": after} if after else {})}
        page = _call("GET", services.resources + "/officers", who, params=params).json()
        found = failing_items(page["items"], kind, want - failed)
        failed += sum(len(o.get("equipment_ids") or []) for o in page["items"] if o["officer_id"] in found) \
            - sum(map(len, found.values()))
        changes.update(found)
        after = page.get("next")
        if not after:
            break
    _each(services, who, [(officer_id, {"equipment_ids": kept}) for officer_id, kept in changes.items()])
    return Outcome(f"{failed} of {want} {kind} in {county} failed", "did_failed",
                   {"county": county, "failed": failed, "want": want, "kind": kind})


def _each(services: Services, who: Identity, patches: list[tuple[str, dict]], *, busy_ok: bool = False) -> list[bool]:
    """PATCH several officers at once (the HTTP round trips overlap; resources serialises the writes).
    With `busy_ok` an officer whose status may not change now (409: reserved or deployed) is False, not a failure."""
    def patch(p) -> bool:
        url = f"{services.resources}/officers/{p[0]}"
        if busy_ok:
            resp = requests.request("PATCH", url, headers=headers_for(who), timeout=TIMEOUT, json=p[1])
            if resp.status_code == 409:
                return False
            if resp.status_code >= 400:
                raise InjectFailed(f"PATCH {url} -> {resp.status_code}: {resp.text[:300]}")
            return True
        _call("PATCH", url, who, json=p[1])
        return True
    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(patch, patches))


APPLY = {"incident": report_incident, "competing_incident": report_incident, "incident_growth": report_growth,
         "officers_unavailable": officers_unavailable, "equipment_failure": equipment_failure,
         "preposition": schedule_preposition}


def _call(method: str, url: str, who: Identity, **kwargs) -> requests.Response:
    resp = requests.request(method, url, headers=headers_for(who), timeout=TIMEOUT, **kwargs)
    if resp.status_code >= 400:
        raise InjectFailed(f"{method} {url} -> {resp.status_code}: {resp.text[:300]}")
    return resp
