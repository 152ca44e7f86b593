"""Filling the pool: regions, counties, officers, units and equipment inserted in chunks, and
re-imported officers' roster fields."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.engine import Connection

from .schema import counties, equipment, officer_certificates, officers, regions, units

PERSONAL = ("name", "gender", "birth_year", "rank", "phone", "home_address", "id_number", "base_wage_daily",
            "volunteer")
CHUNK = 2000


def officer_values(o: dict, now: datetime, rest_min: int = 480) -> dict:
    """A normalised officer (domain.roster_rows / the demo force) as a row; a resting one rests from now."""
    lon, lat = o["home"] if o.get("home") else (None, None)
    s_lon, s_lat = o["station"] if o.get("station") else (None, None)
    return {
        "officer_id": o["officer_id"], "county": o["county"], "city": o["city"], "unit_id": o["unit_id"],
        "module": o["module"], "role_class": o.get("role_class") or "regular", "status": o["status"],
        "status_since": now,
        "rest_until": now + timedelta(minutes=rest_min) if o["status"] == "resting" else None, "duty_minutes_24h": o.get("duty_minutes_24h") or 0,
        "duty_window_start": now if o.get("duty_minutes_24h") else None,
        "points_balance": float(o.get("points_balance") or 0), "lon": lon, "lat": lat,
        "station_id": o.get("station_id") or None, "station_lon": s_lon, "station_lat": s_lat,
        "tags_text": joined(o.get("tags", [])), "cert_text": joined(c["name"] for c in o.get("certifications", [])),
        "certifications": list(o.get("certifications", [])), "equipment_ids": list(o.get("equipment_ids", [])),
        "personal": {k: o.get(k) for k in PERSONAL}, "commit_id": None, "task_unit": None,
    }


def joined(items) -> str:
    items = list(items)
    return ";" + ";".join(items) + ";" if items else ""


def insert_rows(conn: Connection, table, rows: list[dict]) -> None:
    for i in range(0, len(rows), CHUNK):
        conn.execute(insert(table), rows[i:i + CHUNK])


def insert_regions(conn: Connection, rows: list[dict]) -> None:
    insert_rows(conn, regions, rows)


def insert_counties(conn: Connection, rows: list[dict]) -> None:
    insert_rows(conn, counties, rows)


def insert_officers(conn: Connection, rows: list[dict]) -> None:
    insert_rows(conn, officers, rows)
    insert_rows(conn, officer_certificates, certificate_rows(rows))


def certificate_rows(rows: list[dict]) -> list[dict]:
    """`officer_certificates`' rows of officers' rows (each with `officer_id` and `certifications`): one
    per certificate (the same name and expiry listed twice, once)."""
    return [{"officer_id": r["officer_id"], "name": name, "expires": expires} for r in rows
            for name, expires in sorted({(c["name"], c["expires"]) for c in r["certifications"]})]


def replace_certificates(conn: Connection, rows: list[dict]) -> None:
    """The officers' certificate rows replaced by those of their new `certifications` (rows of officers
    whose certifications changed: `officer_id`, `certifications`)."""
    ids = [r["officer_id"] for r in rows]
    for i in range(0, len(ids), 1000):
        conn.execute(delete(officer_certificates).where(officer_certificates.c.officer_id.in_(ids[i:i + 1000])))
    insert_rows(conn, officer_certificates, certificate_rows(rows))


def insert_units(conn: Connection, rows: list[dict]) -> None:
    insert_rows(conn, units, rows)


def units_by_id(conn: Connection, ids) -> dict[str, dict]:
    """The units of `ids` the pool holds, by id."""
    ids, out = sorted(set(ids)), {}
    for i in range(0, len(ids), 1000):
        out.update((r.unit_id, r._asdict()) for r in conn.execute(select(units).where(units.c.unit_id.in_(ids[i:i + 1000]))))
    return out


def update_units(conn: Connection, rows: list[dict]) -> None:
    """Units a roster renames or places anew (name, name_en, level, kind; all four in each row)."""
    if rows:
        cols = ("name", "name_en", "level", "kind")
        stmt = (update(units).where(units.c.unit_id == bindparam("b_id"))
                .values({k: bindparam(f"b_{k}") for k in cols}))
        conn.execute(stmt, [{"b_id": r["unit_id"], **{f"b_{k}": r[k] for k in cols}} for r in rows])


def insert_equipment(conn: Connection, rows: list[dict]) -> None:
    insert_rows(conn, equipment, rows)


def update_roster_fields(conn: Connection, rows: list[dict]) -> None:
    """Re-imported officers: roster fields change; status, duty, points and tasks stay as they are."""
    keep = {"status", "status_since", "rest_until", "duty_minutes_24h", "duty_window_start", "points_balance",
            "commit_id", "task_unit", "officer_id"}
    if not rows:
        return
    cols = [k for k in rows[0] if k not in keep]
    stmt = (update(officers).where(officers.c.officer_id == bindparam("b_id"))
            .values({k: bindparam(f"b_{k}") for k in cols}))
    conn.execute(stmt, [{"b_id": r["officer_id"], **{f"b_{k}": r[k] for k in cols}} for r in rows])
    if "certifications" in cols:
        replace_certificates(conn, rows)
