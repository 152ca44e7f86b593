"""The first picture of the force, read from the resource pool's HTTP API (as an integrator);
the stream keeps it current afterwards (officer.status-changed, county.load-reported, points.awarded).

Officers page through GET /officers by position (`next`), each with the police station they leave
from; their equipment's type, standard and readiness, and each county's accepted standards, come from
POST /equipment/compatibility; loads from GET /counties/load.
"""
from __future__ import annotations

import os
from datetime import datetime

import requests as http

from ..common.auth import headers_for, service_identity
from ..common.config import port_for
from . import readmodel
from .store import upsert_county, upsert_officers

PAGE, BATCH = 1000, 10000


def resources_url(env=os.environ) -> str:
    return (env.get("RESOURCES_URL") or f"http://127.0.0.1:{port_for('resources', env)}").rstrip("/")


class Snapshot:
    def __init__(self, base_url: str, *, session=None, timeout: float = 30):
        self.base, self.http, self.timeout = base_url, session or http.Session(), timeout
        self.headers = headers_for(service_identity("matching"), audience="resources")

    def _get(self, path: str, **params):
        resp = self.http.get(self.base + path, params=params, headers=self.headers, timeout=self.timeout)
        resp.raise_for_status()
        return resp.json()

    def _post(self, path: str, body: dict):
        resp = self.http.post(self.base + path, json=body, headers=self.headers, timeout=self.timeout)
        resp.raise_for_status()
        return resp.json()

    def officers(self) -> list[dict]:
        """Every officer, page after page in id order, each page asked after the last one's `next`
        (a page costs the same to the end of the force; an officer added meanwhile is not counted twice)."""
        out, page = [], self._get("/officers", limit=PAGE)
        out += page["items"]
        while page.get("next") and page["items"]:
            page = self._get("/officers", limit=PAGE, after=page["next"])
            out += page["items"]
        return out

    def equipment(self, ids: list[str], county: str) -> dict[str, dict]:
        found = {}
        for i in range(0, len(ids), BATCH):
            report = self._post("/equipment/compatibility", {"county": county, "equipment_ids": ids[i:i + BATCH]})
            found.update({item["equipment_id"]: item for item in report["items"] if item.get("found")})
        return found

    def accepts(self, county: str, any_item: str) -> list[str]:
        return self._post("/equipment/compatibility", {"county": county, "equipment_ids": [any_item]})["accepts"]


def fetch(snap: Snapshot, now: datetime) -> tuple[list[dict], list[tuple[str, dict]]]:
    """(officer rows, [(county, values)]) read from the pool, before any database write."""
    people = snap.officers()
    if not people:
        return [], []
    ids = sorted({e for o in people for e in o.get("equipment_ids") or []})
    kit = snap.equipment(ids, people[0]["county"]) if ids else {}
    rows = [{"officer_id": o["officer_id"], "county": o["county"], "module": o["module"], "tags": o["tags"],
             "certifications": [{"name": c["name"], "expires": c["expires"]} for c in o["certifications"]],
             "equipment": [{k: kit[e][k] for k in ("type", "interface_standard", "readiness")}
                           for e in o.get("equipment_ids") or [] if e in kit],
             "duty_minutes": o.get("duty_minutes_24h") or 0, "status": o["status"],
             "points": o.get("points_balance") or 0.0, "unit_id": o.get("unit_id"),
             "role_class": o.get("role_class") or "regular", "province_reserve": int(bool(o.get("province_reserve"))),
             **station_columns(o.get("station")), "as_of": now}
            for o in people]
    counties = []
    for load in snap._get("/counties/load"):
        values = {"on_duty": load["on_duty"], "available": load["available"], "reserve_floor": load["reserve_floor"],
                  "as_of": readmodel.parse_time(load["at"])}
        if ids:
            values["accepts"] = snap.accepts(load["county"], ids[0])
        counties.append((load["county"], values))
    return rows, counties


def station_columns(station) -> dict:
    """The read model's station columns from the pool's `station` ({station_id, point: {lon, lat}}, or
    a point given as [lon, lat]); all NULL when the officer has none (they leave from the seat)."""
    point = (station or {}).get("point")
    if isinstance(point, dict):
        point = (point.get("lon"), point.get("lat"))
    if not point or point[0] is None:
        return {"station_id": None, "station_lon": None, "station_lat": None}
    return {"station_id": station.get("station_id"), "station_lon": float(point[0]), "station_lat": float(point[1])}


def store(conn, rows: list[dict], counties: list[tuple[str, dict]]) -> int:
    upsert_officers(conn, rows)
    for county, values in counties:
        upsert_county(conn, county, values)
    return len(rows)


def load_force(conn, force, now: datetime) -> int:
    """Fill the read model straight from a generated force (services.demo), for tests and exercises."""
    kit = {e.equipment_id: {"type": e.type, "interface_standard": e.interface_standard, "readiness": e.readiness}
           for e in force.equipment}
    level = {u.unit_id: u.level for u in force.units}
    rows = [{"officer_id": o.officer_id, "county": o.county, "module": o.module, "tags": list(o.tags),
             "certifications": [{"name": c.name, "expires": c.expires.isoformat()} for c in o.certifications],
             "equipment": [kit[e] for e in o.equipment_ids], "duty_minutes": o.duty_minutes_24h,
             "status": o.status, "points": float(o.points_balance), "unit_id": o.unit_id,
             "role_class": o.role_class, "province_reserve": int(level.get(o.unit_id) == "province"),
             **station_columns({"station_id": o.station_id, "point": o.station} if o.station else None), "as_of": now}
            for o in force.officers]
    upsert_officers(conn, rows)
    for s in force.standards:
        upsert_county(conn, s.county, {"accepts": list(s.accepts)})
    return len(rows)
