"""Filling the pool: the seeded demo force, and roster imports (CSV or JSON) that are all or nothing."""
from __future__ import annotations

from datetime import datetime

from ..common.auth import region_covers
from ..common.http import Problem
from . import store
from .domain import roster_rows
from .domain.policy import Policy
from .events import report_loads


class RosterRejected(Problem):
    """422: bad rows, each named with its reason; nothing is imported."""

    def __init__(self, errors: list[dict]):
        super().__init__(422, f"{len(errors)} bad rows: nothing was imported", errors)


class OutsideRegion(Problem):
    """403: rows for officers outside the importer's region (their county, or the county they are kept
    in now); nothing is imported."""

    def __init__(self, errors: list[dict]):
        super().__init__(403, "Rows outside your region: nothing was imported", errors)


def load_geography(tx, geo, standards: dict[str, tuple[tuple[str, ...], bool]]) -> None:
    """Province, cities and counties; each county with the interface standards it accepts."""
    regions = [{"code": geo.province_code, "level": "province", "name": geo.province_name, "parent": None}]
    regions += [{"code": c.code, "level": "city", "name": c.name, "parent": geo.province_code} for c in geo.cities]
    # a prefecture-level city with no counties (东莞, 中山) is its own county-level unit: one row, the city's
    cities = {c.code for c in geo.cities}
    regions += [{"code": c.code, "level": "county", "name": c.name, "parent": c.city_code}
                for c in geo.counties if c.code not in cities]
    store.insert_regions(tx.conn, regions)
    national = ("GA/T 1400", "GB/T 28181-2016", "PDT")
    store.insert_counties(tx.conn, [
        {"county": c.code, "city": c.city_code, "reserve_share": None,
         "accepts": list(standards.get(c.code, (national, False))[0]), "legacy": standards.get(c.code, ((), False))[1]}
        for c in geo.counties])


def set_standards(tx, standards: dict[str, tuple[tuple[str, ...], bool]]) -> None:
    store.set_standards(tx.conn, [{"county": c, "accepts": list(a), "legacy": legacy}
                                    for c, (a, legacy) in standards.items()])


def load_force(tx, force, now: datetime, rest_min: int = 480) -> int:
    """Insert a generated force (services.demo): officers, units, equipment."""
    rows = [store.officer_values(_officer_dict(o), now, rest_min) for o in force.officers]
    store.insert_officers(tx.conn, rows)
    store.insert_units(tx.conn, [{"unit_id": u.unit_id, "county": u.county, "city": u.city, "kind": u.kind,
                                    "level": u.level, "module": u.module, "name": u.name or None,
                                    "name_en": u.name_en or None}
                                   for u in force.units])
    store.insert_equipment(tx.conn, [{"equipment_id": e.equipment_id, "type": e.type,
                                        "interface_standard": e.interface_standard, "readiness": e.readiness,
                                        "owner_unit": e.owner_unit, "county": e.county} for e in force.equipment])
    return len(rows)


def _officer_dict(o) -> dict:
    return {"officer_id": o.officer_id, "name": o.name, "gender": o.gender, "birth_year": o.birth_year,
            "county": o.county, "city": o.city, "unit_id": o.unit_id, "rank": o.rank, "module": o.module,
            "role_class": o.role_class, "tags": list(o.tags),
            "certifications": [{"name": c.name, "issued": c.issued.isoformat(), "expires": c.expires.isoformat()}
                               for c in o.certifications],
            "equipment_ids": list(o.equipment_ids), "status": o.status, "duty_minutes_24h": o.duty_minutes_24h,
            "home": o.home, "phone": o.phone, "home_address": o.home_address, "id_number": o.id_number,
            "base_wage_daily": o.base_wage_daily, "points_balance": o.points_balance, "volunteer": o.volunteer,
            "station_id": o.station_id or None, "station": o.station}


def _keep_station(values: dict, stored: dict | None) -> dict:
    """A roster row that names no station keeps the one the officer has (rosters without the column)."""
    if stored and values["station_lon"] is None and stored.get("station_lon") is not None:
        values.update({k: stored[k] for k in ("station_id", "station_lon", "station_lat")})
    return values


def import_roster(tx, rows: list[tuple[str, dict]], policy: Policy, now: datetime, region: str | None = None) -> dict:
    """Check every row first; write nothing unless all are good. New officers are added, known ones
    get their roster fields updated (status, duty, points and tasks are the pool's, not the roster's).
    With `region` (an importer bound to it), every row's county and every known officer's current
    county must lie inside it (OutsideRegion otherwise): no row adds to or takes over another region's officers.
    The units the rows name are added when the pool lacks them, and renamed when a row says so
    (domain.roster_rows.check_units): a unit lies in its officers' county, so the region check covers them.
    An item of equipment the pool holds is carried by its own county's officers (check_equipment)."""
    if not rows:
        raise RosterRejected([{"field": "(body)", "reason": "the roster has no rows"}])
    cities = {c: r["city"] for c, r in store.county_rows(tx.conn).items()}
    officers, errors = roster_rows.check_rows(rows, cities)
    if errors:
        raise RosterRejected(errors)
    stored = store.officers_by_id(tx.conn, [o["officer_id"] for o in officers])
    known = set(stored)
    if region:
        outside = [{"field": where, "reason": f"officer {o['officer_id']} of county {county} is outside {region}"}
                   for (where, _), o in zip(rows, officers)
                   for county in dict.fromkeys([o["county"], stored.get(o["officer_id"], {}).get("county")])
                   if county and not region_covers(region, county)]
        if outside:
            raise OutsideRegion(outside)
    placed = [(where, o) for (where, _), o in zip(rows, officers)]
    new_units, renamed, errors = roster_rows.check_units(
        placed, store.units_by_id(tx.conn, {o["unit_id"] for o in officers}))
    errors += roster_rows.check_equipment(placed, store.equipment_items(
        tx.conn, {i for o in officers for i in o["equipment_ids"]}))
    if errors:
        raise RosterRejected(errors)
    values = [_keep_station(store.officer_values(o, now, policy.rest_min), stored.get(o["officer_id"]))
              for o in officers]
    store.insert_units(tx.conn, new_units)
    store.update_units(tx.conn, renamed)
    store.insert_officers(tx.conn, [v for v in values if v["officer_id"] not in known])
    store.update_roster_fields(tx.conn, [v for v in values if v["officer_id"] in known])
    report_loads(tx, sorted({o["county"] for o in officers}), now, policy.reserve_share)
    return {"imported": len(values), "added": len(values) - len(known), "updated": len(known),
            "units": {"added": len(new_units), "updated": len(renamed)}}
