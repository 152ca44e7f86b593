"""What the system knows at the end of a run, read from each service's own tables, and how two runs
compare: the run without faults is the oracle for the same inputs with faults.

Facts: incidents and their grades (demand), incidents each service observed, every officer's
status, duty minutes, points and position, every commitment and points award (resources). Event
counts: how many times each logical event (one commit per plan, one award per officer and task, one
status change per officer, target and request, ...) sits in its producer's ledger.
"""
from __future__ import annotations

import importlib
import json
import signal
from collections import Counter
from datetime import datetime
from functools import lru_cache

from sqlalchemy import inspect, select

from services.common import contracts
from services.common.chain import verify_chain
from services.common.clock import as_utc
from services.common.storage import inbox, outbox
from services.common.topics import DEADLETTER

# The fields that name one logical fact per topic: the same fact twice in a ledger is a doubled effect.
LOGICAL = {
    "incident.reported": ("incident_id",),
    "support.requested": ("incident_id",),  # request ids are minted per run
    "plan.approved": ("plan_id",),
    "officers.committed": ("plan_id",),
    "commit.rejected": ("plan_id",),
    "points.awarded": ("officer_id", "task_id"),
    "officer.status-changed": ("officer_id", "to", "request_id"),
    "dispatch.ordered": ("plan_id", "unit_id"),
    "unit.arrived": ("request_id", "unit_id"),
    "deployment.released": ("request_id", "plan_id"),
}
# An order re-sent to a unit that has not acknowledged it is the same order (same order_id), not a second dispatch.
SAME_WHEN_EQUAL = {"dispatch.ordered": "order_id", "unit.arrived": "order_id"}


@lru_cache(maxsize=None)
def consumed_topics(service: str) -> frozenset[str]:
    """The topics the service's worker handles (its HANDLERS), else what topics.yaml says."""
    module = importlib.import_module(f"services.{service}.bootstrap")
    handlers = getattr(module, "HANDLERS", None)
    if handlers:
        return frozenset(handlers)
    return frozenset(t["name"] for t in contracts.topics() if service in t.get("consumers", ()))


def _outbox_events(engine) -> list[dict]:
    with engine.connect() as conn:
        return [r.event for r in conn.execute(select(outbox.c.event).order_by(outbox.c.seq))]


def producers(cluster, extra_outboxes: dict | None = None) -> dict:
    return {**{name: cluster.engine(name) for name in cluster.services}, **(extra_outboxes or {})}


def pending(cluster, extra_outboxes: dict | None = None) -> dict[str, int]:
    """What is not yet through: unsent ledger rows per producer, unhandled events per consumer."""
    left: dict[str, int] = {}
    try:
        events: list[tuple[str, str]] = []
        for name, engine in producers(cluster, extra_outboxes).items():
            with engine.connect() as conn:
                rows = conn.execute(select(outbox.c.event_id, outbox.c.topic, outbox.c.sent_at)).all()
            unsent = sum(r.sent_at is None for r in rows)
            if unsent:
                left[f"unsent:{name}"] = unsent
            events += [(r.event_id, r.topic) for r in rows]
        for name in cluster.services:
            topics = consumed_topics(name)
            handled = handled_or_refused(cluster.engine(name))
            missing = sum(1 for eid, topic in events if topic in topics and eid not in handled)
            if missing:
                left[f"unhandled:{name}"] = missing
    except Exception as exc:  # a database that is restarting: not through yet
        left["unreadable"] = 1
        left[type(exc).__name__] = 1
    return left


def where_stuck(cluster, extra_outboxes: dict | None = None) -> dict[str, dict]:
    """For a run that did not catch up: per consumer with unhandled events, where those events sit
    ((topic, partition) -> the offsets their producers were told) beside what the consumer reports
    (lag per partition, rewinds), and the broker's end offsets for the same partitions."""
    from services.common.bus import Bus

    rows = []
    for engine in producers(cluster, extra_outboxes).values():
        with engine.connect() as conn:
            rows += conn.execute(select(outbox.c.event_id, outbox.c.topic, outbox.c.partition, outbox.c.offset)).all()
    out: dict[str, dict] = {}
    for name, svc in cluster.services.items():
        handled = handled_or_refused(cluster.engine(name))
        missing: dict[tuple[str, int], list[int]] = {}
        for r in rows:
            if r.topic in consumed_topics(name) and r.event_id not in handled:
                missing.setdefault((r.topic, r.partition), []).append(r.offset)
        with cluster.engine(name).connect() as conn:
            unsent = conn.execute(select(outbox.c.seq).where(outbox.c.sent_at.is_(None)).limit(1)).first()
        if not missing and unsent is None:
            continue
        if svc.running:  # every thread's stack into the service's log (services.common.runtime.serve)
            svc.proc.send_signal(signal.SIGUSR1)
        try:
            seen = {k: v for k, v in svc.metrics().items() if ("consumer_lag" in k and v) or "rewinds" in k
                    or "events_handled" in k or "events_consumed" in k or "outbox_backlog" in k}
        except Exception as exc:  # the service may be down: say so
            seen = {"metrics unreadable": repr(exc)}
        placed = [tp for tp in missing if tp[1] is not None]
        try:
            ends = {f"{t}[{p}]": v for (t, p), v in
                    (Bus(cluster.broker.bootstrap, security={}).end_offsets(placed) if placed else {}).items()}
        except Exception as exc:
            ends = {"unreadable": repr(exc)}
        out[name] = {"missing": {f"{t}[{p}]": sorted(o for o in offs if o is not None)[:3] + [f"n={len(offs)}"]
                                 for (t, p), offs in sorted(missing.items(), key=str)},
                     "broker_end": ends,
                     "consumer": seen, "unsent": unsent is not None,
                     "stacks": f"log/{name}.log" if svc.running else "not running"}
    return out


def handled_or_refused(engine) -> set[str]:
    """Ids of the events a consumer is through with: handled (its inbox) or dead-lettered with a reason."""
    with engine.connect() as conn:
        ids = {r[0] for r in conn.execute(select(inbox.c.event_id))}
        for r in conn.execute(select(outbox.c.event).where(outbox.c.topic == DEADLETTER)):
            try:
                original = json.loads(r.event["data"]["raw"])
                ids.add(original["id"])
            except (ValueError, TypeError, KeyError):
                pass  # not JSON, or no id: nothing any producer's ledger could be waiting for
    return ids


def dispatched_units(cluster) -> dict[str, list[tuple[str, str, datetime]]]:
    """{request_id: [(unit_id, order_id, ordered_at)]} of the orders logistics issued (from its own tables)."""
    from services.logistics.store import orders

    out: dict[str, list] = {}
    with cluster.engine("logistics").connect() as conn:
        for r in conn.execute(select(orders.c.request_id, orders.c.unit_id, orders.c.order_id, orders.c.ordered_at)
                              .order_by(orders.c.unit_id)):
            out.setdefault(r.request_id, []).append((r.unit_id, r.order_id, as_utc(r.ordered_at)))
    return out


def dead_letters(engine) -> list[tuple[str, str, str]]:
    """(original topic, record key, reason) of every record the service dead-lettered."""
    with engine.connect() as conn:
        rows = conn.execute(select(outbox.c.event).where(outbox.c.topic == DEADLETTER).order_by(outbox.c.seq))
        return [(r.event["data"]["original_topic"], r.event["data"].get("key"), r.event["data"]["reason"]) for r in rows]


def committed_plans(cluster) -> set[str]:
    from services.resources.store import commitments

    with cluster.engine("resources").connect() as conn:
        return {r[0] for r in conn.execute(select(commitments.c.plan_id))}


def snapshot(cluster, extra_outboxes: dict | None = None) -> dict:
    facts: dict = {}
    _demand_facts(cluster.engine("demand"), facts)
    _resources_facts(cluster.engine("resources"), facts)
    for name in cluster.services:
        _observed_facts(name, cluster.engine(name), facts)
    distinct: dict[tuple, set] = {}
    for name, engine in producers(cluster, extra_outboxes).items():
        for event in _outbox_events(engine):
            fields = LOGICAL.get(event["type"])
            if fields:
                key = (name, event["type"], *(event["data"].get(f) for f in fields))
                same = SAME_WHEN_EQUAL.get(event["type"])
                distinct.setdefault(key, set()).add(event["data"].get(same) if same else event["id"])
    return {"facts": facts, "events": Counter({k: len(v) for k, v in distinct.items()})}


def _demand_facts(engine, facts: dict) -> None:
    from services.demand.store import assessments, incidents

    with engine.connect() as conn:
        for r in conn.execute(select(incidents.c.incident_id, incidents.c.county, incidents.c.type, incidents.c.status)):
            facts[("incident", r.incident_id)] = (r.county, r.type, r.status)
        for r in conn.execute(select(assessments.c.incident_id, assessments.c.grade, assessments.c.rule_id)):
            facts[("grade", r.incident_id)] = (r.grade, r.rule_id)


def _resources_facts(engine, facts: dict) -> None:
    from services.resources.store import commitment_officers, commitments, officers, points_ledger

    with engine.connect() as conn:
        for r in conn.execute(select(officers.c.officer_id, officers.c.status, officers.c.duty_minutes_24h,
                                     officers.c.points_balance, officers.c.lon, officers.c.lat,
                                     officers.c.commit_id, officers.c.task_unit)):
            facts[("officer", r.officer_id)] = (r.status, r.duty_minutes_24h, round(r.points_balance, 4),
                                                r.lon, r.lat, r.commit_id is not None, r.task_unit)
        for r in conn.execute(select(commitments.c.plan_id, commitments.c.officer_ids, commitments.c.status)):
            facts[("commitment", r.plan_id)] = (tuple(sorted(r.officer_ids)), r.status)
        kept: dict[str, list[str]] = {}   # each commitment's officers as the region lists find them
        for r in conn.execute(select(commitments.c.plan_id, commitment_officers.c.officer_id).join_from(
                commitments, commitment_officers, commitments.c.commit_id == commitment_officers.c.commit_id)):
            kept.setdefault(r.plan_id, []).append(r.officer_id)
        for plan_id, officer_ids in kept.items():
            facts[("commitment officers", plan_id)] = tuple(sorted(officer_ids))
        awards: Counter = Counter()
        for r in conn.execute(select(points_ledger.c.officer_id, points_ledger.c.task_id, points_ledger.c.points)):
            awards[(r.officer_id, r.task_id)] += r.points
        for (officer, task), points in awards.items():
            facts[("points", officer, task)] = round(points, 4)


def _observed_facts(service: str, engine, facts: dict) -> None:
    if not inspect(engine).has_table("observed_incidents"):
        return
    from sqlalchemy import MetaData

    from services.common.observed import observed_table

    table = observed_table(MetaData())
    with engine.connect() as conn:
        for r in conn.execute(select(table.c.incident_id)):
            facts[("observed", service, r.incident_id)] = True


def compare(oracle: dict, actual: dict) -> dict[str, list]:
    """lost: facts or events the oracle has and the run lacks; doubled: more than the oracle has;
    changed: facts whose values differ (e.g. duty minutes or points)."""
    want, got = oracle["facts"], actual["facts"]
    lost = [k for k in want if k not in got]
    doubled = [k for k in got if k not in want]
    changed = [(k, want[k], got[k]) for k in want if k in got and want[k] != got[k]]
    for key in set(oracle["events"]) | set(actual["events"]):
        diff = actual["events"].get(key, 0) - oracle["events"].get(key, 0)
        (doubled if diff > 0 else lost).extend([key] * abs(diff))
    return {"lost": lost, "doubled": doubled, "changed": changed}


def ledger_problems(cluster, extra_outboxes: dict | None = None) -> dict[str, list[str]]:
    """Each producer's hash chain (chain.verify_chain over its outbox in seq order)."""
    out = {}
    for name, engine in producers(cluster, extra_outboxes).items():
        problems = verify_chain(_outbox_events(engine))
        if problems:
            out[name] = problems
    return out


def places_problems(snap: dict) -> list[str]:
    """Every officer in exactly one place: in at most one live commitment, and committed ⇔ listed."""
    facts = snap["facts"]
    holders: dict[str, list[str]] = {}
    for key, (officer_ids, status) in ((k, v) for k, v in facts.items() if k[0] == "commitment"):
        if status == "committed":
            for officer in officer_ids:
                holders.setdefault(officer, []).append(key[1])
    out = [f"{o} in {len(p)} commitments: {p}" for o, p in holders.items() if len(p) > 1]
    for key, value in facts.items():
        if key[0] == "officer":
            status, has_commit = value[0], value[5]
            if status in ("reserved", "deployed") and not has_commit:
                out.append(f"{key[1]} is {status} without a commitment")
    return out


def demand_decisions(engine) -> dict[str, dict]:
    """Why demand decided as it did, per incident, to explain a difference from the oracle: the incident's
    county and status, its own request (trigger, gap and its basis, local share) and the county's load
    demand had recorded at the end."""
    from services.demand.store import county_loads, incidents, requests

    with engine.connect() as conn:
        loads = {r.county: r.report for r in conn.execute(select(county_loads.c.county, county_loads.c.report))}
        asked = {r.incident_id: r.request for r in conn.execute(
            select(requests.c.incident_id, requests.c.request).where(requests.c.echelon == ""))}
        out = {}
        for r in conn.execute(select(incidents.c.incident_id, incidents.c.county, incidents.c.status)):
            req = asked.get(r.incident_id) or {}
            load = loads.get(r.county) or {}
            out[r.incident_id] = {
                "county": r.county, "status": r.status,
                "request": {k: req.get(k) for k in ("reason", "need", "gap", "gap_ratio", "gap_basis", "local_share",
                                                    "requested_at")} if req else None,
                "county_load": {k: load.get(k) for k in ("available", "on_duty", "committed", "at")} if load else None}
    return out
