"""Officers as the API shows them, the availability search and hand edits of one officer (the use
case `edit`, refusing with Problem)."""
from __future__ import annotations

import math
from datetime import datetime

import numpy as np
from sqlalchemy import Float, column

from ..common.http import Problem
from ..common.keyset import Order
from . import reach, representations, store
from .domain import duty, lifecycle, masking, roster_rows
from .domain.policy import Policy
from .events import report_loads, status_changed

PERSONAL_EDITS = ("phone", "home_address")


def view(row: dict, now: datetime, role: str, *, travel_s: float | None = None) -> dict:
    rest_until = row["rest_until"]
    today = now.date().isoformat()
    out = {
        "officer_id": row["officer_id"], **{k: row["personal"].get(k) for k in ("name", "gender", "rank")},
        "county": row["county"], "city": row["city"], "unit_id": row["unit_id"], "module": row["module"],
        "role_class": row["role_class"], "province_reserve": row.get("unit_level") == "province", "tags": [t for t in row["tags_text"].split(";") if t],
        "certifications": [dict(c, valid=c["expires"] >= today) for c in row["certifications"]],
        "equipment_ids": row["equipment_ids"], "status": duty.effective_status(row["status"], rest_until, now),
        "status_since": row["status_since"].isoformat(),
        "rest_until": rest_until.isoformat() if rest_until and rest_until > now else None,
        "duty_minutes_24h": store.duty_now(row, now), "points_balance": round(row["points_balance"], 1),
        "commit_id": row["commit_id"], "position": None if row["lon"] is None else {"lon": row["lon"], "lat": row["lat"]},
        "station": representations.station(row),
        **{k: row["personal"].get(k) for k in masking.PERSONAL_FIELDS},
    }
    if travel_s is not None and np.isfinite(travel_s):   # not timed: no road reaches them (last in the order)
        out["travel_s"] = int(travel_s)
    return masking.masked(out, role)


# The orders a search's pages follow (the `?after=` token and the answer's `next`): by id, or by travel
# time to the search's point and then by id.
BY_ID = Order("officers.by_id", store.officers.c.officer_id)
BY_TRAVEL = Order("officers.by_travel", column("travel_s", Float), store.officers.c.officer_id)


def search(conn, filters: dict, now: datetime, role: str, *, travel=None, seats=None) -> dict:
    """One page of the officers the filters keep, by id, or by travel time when the search names a point,
    with `next` (the `?after=` of the page that follows) while officers are left.

    Without a point the database cuts the page and counts (store.candidate_page). With one, the
    candidates are read (filtered in SQL, certificates' validity included) and timed in one matrix.
    With a bound, SQL keeps only the officers close enough to possibly make it (reach.box: a
    straight-line box from the provider's fastest speed) or with no known position; the matrix then
    times those exactly, so the answer is the one timing every candidate would give. Without a bound,
    the database counts and the nearest are found in ever wider boxes (`_nearest`)."""
    limit, offset, after = filters["limit"], filters["offset"], filters.get("after")
    if not filters.get("point"):
        chosen, total = store.candidate_page(conn, filters, now, limit=limit + 1, offset=offset,
                                             after=after[0] if after else None)
        return _page(conn, chosen, None, total, filters, now, role)
    if filters.get("max_travel_s") is None:
        rows, seconds, keep, total = _nearest(conn, filters, now, travel, seats, after)
    else:
        bound = filters["max_travel_s"]
        rows = store.candidate_positions(conn, filters, now, reach.box(travel, filters["point"], bound))
        seconds, keep = _timed_rows(travel, rows, seats, filters["point"], bound)
        total = len(keep)
    if not len(keep):
        return _page(conn, [], None, total, filters, now, role)
    seconds, ids = seconds[keep], _ids(rows, keep)
    order = np.lexsort((ids, seconds))   # by time, then by id (numpy compares text as Python does)
    if after:
        order, offset = order[_past(seconds, ids, after)[order]], 0
    page = order[offset:offset + limit + 1]
    return _page(conn, ids[page].tolist(), seconds[page].tolist(), total, filters, now, role)


# An unbounded search with a point looks for its nearest officers within this reach first (the drive
# beyond mobilisation, in seconds), then in wider reaches: as wide as would hold the page were the
# officers found spread evenly, at least twice the last. A search of FEW candidates or fewer times every
# candidate, and so does one whose boxes have read half the candidates or would hold every county seat.
# Set on 100,000 officers (bench/README.md): a first reach of 600 s read more in the dense cities; each
# box is a statement, which a filter with no index (a tag) makes a scan of the table.
FIRST_REACH_S = 300
FEW = 1000


def _nearest(conn, filters: dict, now: datetime, travel, seats, after) -> tuple[list, np.ndarray, np.ndarray, int]:
    """(rows, seconds, kept, total) for an unbounded search with a point: the candidates read and their
    travel times, the indexes of those kept (enough of the nearest for the page), and how many the
    filters keep in all (counted by the database; those no road reaches included, last in the order).

    Within a bound, reach.box holds every candidate who can make it, so the candidates kept within it
    are all those of the search that close, and every officer not kept is strictly slower than each
    one kept: when the kept hold the page and the one after it, the page is the one timing every
    candidate gives. Otherwise the reach widens. Every candidate is timed instead for a search of FEW
    or fewer, once the boxes have read half of them, for a box holding them all or every county seat,
    on a provider with no box (a routing server), and after a position no road reaches."""
    point, total = filters["point"], store.candidate_count(conn, filters, now)
    if not total:
        return [], None, np.array([], int), 0
    needed = filters["limit"] + 1 + (0 if after else filters["offset"])
    mobilisation = float(getattr(travel, "mobilisation_s", 0.0))
    bound = max(mobilisation + FIRST_REACH_S, after[0] if after else 0.0)
    rows: list = []
    read = 0
    while total > FEW and read < total / 2:
        near = reach.box(travel, point, bound) if np.isfinite(bound) else None
        if near is None or _spans(near, seats):
            break
        rows = store.candidate_positions(conn, filters, now, near)
        read += len(rows)
        if len(rows) >= total:   # the box holds them all: time every one
            break
        seconds, keep = _timed_rows(travel, rows, seats, point, bound)
        found = np.count_nonzero(_past(seconds[keep], _ids(rows, keep), after)) if after and len(keep) else len(keep)
        if found >= needed:
            return rows, seconds, keep, total
        wider = max(2.0, 1.25 * math.sqrt(needed / found)) if found else 3.0
        bound = mobilisation + (bound - mobilisation) * wider
    if len(rows) < total:
        rows = store.candidate_positions(conn, filters, now, None)
    return (rows, *_timed_rows(travel, rows, seats, point, None), total)


def _spans(box, seats) -> bool:
    """Does the box hold every county seat (so, about, the whole province)?"""
    lon, lat = np.asarray(list(seats.values()), dtype=float).T
    return box[0] <= lon.min() and box[1] >= lon.max() and box[2] <= lat.min() and box[3] >= lat.max()


def _timed_rows(travel, rows: list, seats, point, max_travel_s: float | None) -> tuple[np.ndarray | None, np.ndarray]:
    """`_timed` of the candidates' rows (their origins as `_origins` builds them); none kept of no rows."""
    return _timed(travel, _origins(rows, seats), point, max_travel_s) if rows else (None, np.array([], int))


def _ids(rows, keep) -> np.ndarray:
    return np.array([rows[i][0] for i in keep], dtype=str)


def _past(seconds: np.ndarray, ids: np.ndarray, after) -> np.ndarray:
    """Which of the officers (travel times and ids) come after the position `after` in the search's order."""
    return (seconds > after[0]) | ((seconds == after[0]) & (ids > after[1]))


def _page(conn, chosen: list[str], seconds: list[float] | None, total: int, filters: dict, now: datetime,
          role: str) -> dict:
    """The answer from the page's ids as read with one more than the limit (which says whether officers
    are left), each with its travel time when the search times them."""
    limit = filters["limit"]
    full = store.officers_by_id(conn, chosen[:limit])
    times = seconds or [None] * len(chosen)
    items = [view(full[i], now, role, travel_s=t) for i, t in zip(chosen[:limit], times) if i in full]
    out = {"total": total, "limit": limit, "items": items}
    if filters.get("after") is None:
        out["offset"] = filters["offset"]
    if len(chosen) > limit:
        last = chosen[limit - 1]
        out["next"] = (BY_ID.token({"officer_id": last}) if seconds is None
                       else BY_TRAVEL.token({"travel_s": seconds[limit - 1], "officer_id": last}))
    return out


def _timed(travel, origins: np.ndarray, point, max_travel_s: float | None) -> tuple[np.ndarray, np.ndarray]:
    """(seconds, kept): every origin's travel time to `point` (inf for those not timed) and the indexes of
    those within `max_travel_s`, in origin order. With a bound, only the origins inside the straight-line
    circle the provider's fastest speed allows (reach.within) are timed: those outside cannot make it,
    so the same officers are kept, at the same times, as when every origin is timed."""
    if max_travel_s is None:
        seconds = travel.matrix(origins, [point])[:, 0]
        return seconds, np.flatnonzero(seconds <= np.inf)
    near = reach.within(travel, point, max_travel_s, origins)
    seconds = np.full(len(origins), np.inf)
    if near is None:
        seconds = travel.matrix(origins, [point])[:, 0]
    elif len(near):
        seconds[near] = travel.matrix(origins[near], [point])[:, 0]
    return seconds, np.flatnonzero(seconds <= max_travel_s)


def _origins(rows, seats) -> np.ndarray:
    """(lon, lat) of each candidate, its county's seat when it has no position: built column-wise
    (one transpose, one array per column) rather than row by row, the search's main cost at 100k."""
    _, county, lon, lat = list(zip(*rows))[:4]
    origins = np.column_stack((np.array(lon, dtype=float), np.array(lat, dtype=float)))
    unplaced = np.flatnonzero(np.isnan(origins[:, 0]))
    for i in unplaced:  # None reads as NaN
        origins[i] = seats[county[i]]
    return origins


def edit(outbox, officer_id: str, body: dict, role: str, policy: Policy, now: datetime) -> dict:
    """The use case: a hand edit of one officer in one transaction (patch); 404 when there is no such
    officer, 403 and 409 as patch refuses."""
    if not body:
        raise Problem(422, "Nothing to change", [{"field": "(body)", "reason": "name at least one field"}])
    with outbox.transaction() as tx:
        result = patch(tx, officer_id, body, role, policy, now)
    if result is None:
        raise Problem(404, "Not Found", detail=f"no officer {officer_id}")
    return result


def patch(tx, officer_id: str, body: dict, role: str, policy: Policy, now: datetime) -> dict | None:
    """Apply a hand edit (None: no such officer); refuses with Problem, writing nothing then: 403 for
    personal fields the role may not edit, 409 for a status change the lifecycle does not allow."""
    rows = store.lock_officers(tx.conn, [officer_id])
    if officer_id not in rows:
        return None
    row = rows[officer_id]
    if any(k in body for k in PERSONAL_EDITS) and not masking.may(role, "edit_personal"):
        reason = f"role {role} may not edit personal fields ({', '.join(PERSONAL_EDITS)})"
        raise Problem(403, "Not allowed for this role", [{"field": "Authorization", "reason": reason}], detail=reason)
    _check_placement(tx.conn, row, body)
    values: dict = {}
    if "status" in body:
        current = duty.effective_status(row["status"], row["rest_until"], now)
        if body["status"] != current:
            try:
                lifecycle.check_manual(row["status"], body["status"],
                                       rested=duty.rested(row["status"], row["rest_until"], now))
            except lifecycle.IllegalTransition as exc:
                raise Problem(409, "Illegal status change", [{"field": "status", "reason": exc.reason}],
                              detail=str(exc)) from None
            values.update(status=body["status"], status_since=now, rest_until=None)
            status_changed(tx, {**row, "status": current},
                           body["status"], now, body.get("reason") or "changed by hand")
    values.update(_roster_values(row, body))
    if values:
        store.update_each(tx.conn, [{"officer_id": officer_id, **values}])
    if "status" in values:
        report_loads(tx, [row["county"]], now, policy.reserve_share)
    return view(store.officer(tx.conn, officer_id), now, role)


def _check_placement(conn, row: dict, body: dict) -> None:
    """422 when the edit puts the officer in a unit of another county or one the pool does not hold (a
    unit lies in its officers' county; the roster import adds new ones), or hands them equipment the
    pool holds in another county (domain.roster_rows.check_equipment): the officer's own county stays
    the only one an edit of theirs reaches."""
    errors = []
    if "unit_id" in body and body["unit_id"] != row["unit_id"]:
        unit = store.units_by_id(conn, [body["unit_id"]]).get(body["unit_id"])
        if unit is None:
            errors.append({"field": "unit_id", "reason": f"no unit {body['unit_id']} (a roster import adds units)"})
        elif unit["county"] != row["county"]:
            errors.append({"field": "unit_id", "reason": f"unit {body['unit_id']} is in county {unit['county']}, "
                                                        f"not {row['county']}"})
    if "equipment_ids" in body:
        errors += roster_rows.check_equipment([("", {"county": row["county"], "equipment_ids": body["equipment_ids"]})],
                                              store.equipment_items(conn, body["equipment_ids"]))
    if errors:
        raise Problem(422, "Not this officer's county", errors)


def _roster_values(row: dict, body: dict) -> dict:
    values = {}
    if "tags" in body:
        values["tags_text"] = store.joined(body["tags"])
    if "certifications" in body:
        values["certifications"] = body["certifications"]
        values["cert_text"] = store.joined(c["name"] for c in body["certifications"])
    for key in ("equipment_ids", "unit_id", "module"):
        if key in body:
            values[key] = body[key]
    if any(k in body for k in PERSONAL_EDITS):
        values["personal"] = {**row["personal"], **{k: body[k] for k in PERSONAL_EDITS if k in body}}
    return values
