"""The resource pool's read-only answers as the API shows them (no SQL, no I/O)."""
from __future__ import annotations

from datetime import datetime

from .domain import compatibility, points


def region_tree(rows: list[dict]) -> dict:
    nodes = {r["code"]: {"code": r["code"], "name": r["name"], "level": r["level"], "children": []} for r in rows}
    root = {}
    for r in rows:
        if r["parent"] and r["parent"] in nodes:
            nodes[r["parent"]]["children"].append(nodes[r["code"]])
        elif r["level"] == "province":
            root = nodes[r["code"]]
    return root


def compatibility_report(body: dict, county: dict, items: dict[str, dict]) -> dict:
    results = []
    for equipment_id in body["equipment_ids"]:
        item = items.get(equipment_id)
        if item is None:
            results.append({"equipment_id": equipment_id, "found": False, "compatible": False, "usable": False,
                            "reason": "no such equipment"})
        else:
            results.append(dict(compatibility.check(item, county["accepts"]), found=True))
    found = [r for r in results if r["found"]]
    return {"county": county["county"], "accepts": county["accepts"], "items": results,
            "compatibility_rate": compatibility.rate(found)}


def officer_points(row: dict, awards: list[dict]) -> dict:
    return {"officer_id": row["officer_id"], "county": row["county"], "city": row["city"],
            "points_balance": round(row["points_balance"], 1),
            "awards": [{k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in a.items() if k != "id"}
                       for a in awards]}   # SQLite hands back the stored UTC times without their offset


def reciprocity(flows: list[tuple[str, str, float]], city: str | None) -> list[dict]:
    pairs = points.reciprocity(flows).values()
    if not city:
        return list(pairs)
    out = []
    for p in pairs:
        if city not in (p["city"], p["other_city"]):
            continue
        if p["city"] != city:   # seen from `city`: swap the sides
            p = {"city": city, "other_city": p["city"], "given_points": p["received_points"],
                 "received_points": p["given_points"], "given_tasks": p["received_tasks"],
                 "received_tasks": p["given_tasks"], "balance": -p["balance"]}
        out.append(p)
    return out


def summary(rows) -> dict:
    out: dict = {}
    for county, status, n in rows:
        out.setdefault(county, {})[status] = n
    return {"officers": sum(n for _, _, n in rows), "counties": out}


def _shares(c: dict) -> dict:
    return {**c, "equipment_readiness": round(c["ready_items"] / c["equipment_items"], 4) if c["equipment_items"] else None,
            "volunteer_share": round(c["volunteers"] / c["officers"], 4) if c["officers"] else None}


def force_summary(counts: dict[str, dict[str, int]], region: str) -> dict:
    """The region's equipment readiness (ready items / items in the register) and volunteer share
    (officers willing to volunteer / officers on the roster), with each of its counties; as of now."""
    from ..common.auth import region_covers, region_level
    keys = ("equipment_items", "ready_items", "officers", "volunteers")
    mine = {c: v for c, v in sorted(counts.items()) if region_covers(region, c)}
    total = {k: sum(v[k] for v in mine.values()) for k in keys}
    return {"region": region, "level": region_level(region), **_shares(total),
            "counties": [{"county": c, **_shares(v)} for c, v in mine.items()]}


def station(row: dict) -> dict | None:
    """The police station the officer works from (where matching times their travel from), None if not known."""
    if row.get("station_lon") is None:
        return None
    return {"station_id": row.get("station_id"), "point": {"lon": row["station_lon"], "lat": row["station_lat"]}}
