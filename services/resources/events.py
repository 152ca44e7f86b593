"""What the resource pool tells the others: status changes and county load snapshots."""
from __future__ import annotations

from datetime import datetime

from ..common.outbox import Emit
from . import store
from .domain import reserve


def stamp(at: datetime) -> str:
    """RFC 3339 to the millisecond with a numeric offset ('…T08:00:00.000+00:00'): the text resources'
    events and answers have always carried (common.clock.stamp writes 'Z' instead)."""
    return at.isoformat(timespec="milliseconds")


def status_change(officer: dict, to: str, at: datetime, reason: str, **extra) -> Emit:
    """The officer.status-changed event of one officer, to emit (with others: `tx.emit_many`)."""
    data = {"officer_id": officer["officer_id"], "county": officer["county"], "module": officer["module"],
            "from": officer["status"], "to": to, "at": stamp(at), "reason": reason[:200]}
    data.update({k: v for k, v in extra.items() if v})
    return Emit("officer.status-changed", data, key=officer["county"], subject=officer["officer_id"])


def status_changed(tx, officer: dict, to: str, at: datetime, reason: str, **extra) -> None:
    tx.emit_many([status_change(officer, to, at, reason, **extra)])


def county_loads(conn, codes: list[str] | None, now: datetime, default_share: float, *,
                 counts: dict | None = None, rows: dict | None = None) -> list[dict]:
    """Each county's load now: on duty (strength), available, committed, reserve floor, received, and
    the available officers per module holding each skill tag or certification (`qualified`).
    `counts`: store.county_counts over `codes` as they stand, when the caller has them already;
    `rows`: county rows the caller read in this transaction (those of `codes` it lacks are read)."""
    rows = _county_rows(conn, codes, rows)
    counts = store.county_counts(conn, codes, now) if counts is None else counts
    qualified = store.qualified_counts(conn, codes, now)
    received = store.received_by_county(conn, codes)
    out = []
    for county, row in rows.items():
        c = counts.get(county, {"available": 0, "committed": 0, "by_module": {}})
        share = row["reserve_share"] if row["reserve_share"] is not None else default_share
        strength = c["available"] + c["committed"]
        out.append({"county": county, "on_duty": strength, "available": c["available"],
                    "committed": c["committed"], "reserve_floor": reserve.floor(strength, share),
                    "received": received.get(county, 0), "by_module": c["by_module"],
                    "qualified": qualified.get(county, {}), "at": stamp(now), "reserve_share": share})
    return out


def _county_rows(conn, codes: list[str] | None, known: dict | None) -> dict[str, dict]:
    """store.county_rows(conn, codes), taking the rows of `known` (county -> row) as they are."""
    if known is None or codes is None:
        return store.county_rows(conn, codes)
    missing = [c for c in codes if c not in known]
    rows = {**known, **store.county_rows(conn, missing)} if missing else known
    return {c: rows[c] for c in sorted(set(codes)) if c in rows}


def report_loads(tx, codes: list[str] | None, now: datetime, default_share: float, *,
                 counts: dict | None = None, rows: dict | None = None, after: list[Emit] = ()) -> list[dict]:
    """Emit one county.load-reported per county (what demand watches to detect a force gap), after the
    events in `after`: all of them with one write (`tx.emit_many`). `counts`, `rows`: as county_loads."""
    loads = county_loads(tx.conn, codes, now, default_share, counts=counts, rows=rows)
    reports = [Emit("county.load-reported", {k: v for k, v in load.items() if k != "reserve_share"},
                    key=load["county"], subject=load["county"], correlationid=f"load-{load['county']}")
               for load in loads]
    tx.emit_many([*after, *reports])
    return loads


def counts_of(rows, now: datetime) -> dict[str, dict]:
    """store.county_counts of the officers in `rows` (dicts with county, status, module, rest_until), counted
    here from rows the caller holds: available = on duty or resting with the rest over, committed =
    reserved or deployed, each module of theirs named in `by_module` (0 when none is available)."""
    out: dict[str, dict] = {}
    for r in rows:
        c = out.setdefault(r["county"], {"available": 0, "committed": 0, "by_module": {}})
        status, rest_until = r["status"], r["rest_until"]
        available = int(status == "on_duty" or (status == "resting" and (rest_until is None or rest_until <= now)))
        c["available"] += available
        c["committed"] += int(status in ("reserved", "deployed"))
        c["by_module"][r["module"]] = c["by_module"].get(r["module"], 0) + available
    for c in out.values():
        c["by_module"] = dict(sorted(c["by_module"].items()))
    return out


def shifted_counts(counts: dict[str, dict], before: dict[str, dict], after: dict[str, dict]) -> dict[str, dict]:
    """store.county_counts after some officers changed status only (not county or module): the
    counts of everyone (`counts`), less those officers' counts before the change, plus after it."""
    out = {county: {"available": c["available"], "committed": c["committed"], "by_module": dict(c["by_module"])}
           for county, c in counts.items()}
    for sign, part in ((-1, before), (1, after)):
        for county, c in part.items():
            mine = out[county]
            mine["available"] += sign * c["available"]
            mine["committed"] += sign * c["committed"]
            for module, n in c["by_module"].items():
                mine["by_module"][module] += sign * n
    return out
