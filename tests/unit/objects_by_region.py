"""Objects of each service in a given county, written straight into the service's tables: every path
parameter that names an object gets one id per county, for the object-level permission tests.

Only what the services' region checks read is real (the county columns, an order's reporting point,
a plan's assignments); every other required column gets a placeholder of its type.
"""
from __future__ import annotations

import importlib
from datetime import date, datetime, timezone

from sqlalchemy import JSON, Boolean, Date, DateTime, Float, Integer, insert


def _placeholder(column):
    kind = getattr(column.type, "impl", column.type)   # a decorated type (UtcDateTime) by what it stores
    if isinstance(kind, DateTime):
        return datetime(2025, 9, 15, 1, 0, tzinfo=timezone.utc)
    if isinstance(kind, Date):
        return date(2025, 9, 15)
    if isinstance(kind, JSON):
        return {}
    if isinstance(kind, Boolean):
        return False
    if isinstance(kind, (Integer, Float)):
        return 0
    return "x"


def put(conn, table, **values) -> None:
    row = {c.name: _placeholder(c) for c in table.columns
           if c.name not in values and not c.nullable and c.default is None and c.server_default is None
           and not (c.primary_key and isinstance(c.type, Integer))}
    conn.execute(insert(table).values(**row, **values))


def city_of(county: str) -> str:
    return county[:4] + "00"


def seed(service: str, runtime, county: str) -> dict[str, str]:
    """Write one object of each kind `service` names by path parameter into `county`; answers
    {path parameter: the object's id}."""
    store = importlib.import_module(f"services.{service}.store")
    ids: dict[str, str] = {}
    with runtime.engine.begin() as conn:
        if service == "demand":
            ids = {"incident_id": f"INC-{county}", "preposition_id": f"PRE-{county}", "request_id": f"REQ-{county}"}
            put(conn, store.incidents, incident_id=ids["incident_id"], county=county,
                report={"incident_id": ids["incident_id"], "location": {"county": county}})
            put(conn, store.prepositions, preposition_id=ids["preposition_id"], incident_id=ids["incident_id"],
                county=county, body={"location": {"county": county}})
            put(conn, store.requests, request_id=ids["request_id"], incident_id=ids["incident_id"], county=county,
                city=city_of(county))
        elif service == "resources":
            ids = {"officer_id": f"ZJ{county}-00001"}
            put(conn, store.officers, officer_id=ids["officer_id"], county=county, city=city_of(county))
        elif service == "matching":
            ids = {"request_id": f"REQ-{county}", "plan_id": f"PLAN-{county}"}
            put(conn, store.requests, request_id=ids["request_id"], data={"county": county, "grade": "IV"},
                status="proposed", version=1, exclude=[])
            put(conn, store.plans, plan_id=ids["plan_id"], request_id=ids["request_id"], kind="fastest",
                status="proposed", version=1, body={"assignments": [{"officer_id": "P", "from_county": county}]})
        elif service == "logistics":
            ids = {"order_id": f"ORD-{county}", "unit_id": f"UNIT-{county}", "deployment_id": f"DEP-{county}",
                   "incident_id": f"INC-{county}"}
            put(conn, store.requests, request_id=f"REQ-{county}", incident_id=ids["incident_id"], county=county)
            put(conn, store.deployments, deployment_id=ids["deployment_id"], plan_id=f"PLAN-{county}",
                request_id=f"REQ-{county}", incident_id=ids["incident_id"], county=county, officer_ids=[],
                arrangements={}, flags=[], status="dispatched")
            put(conn, store.orders, order_id=ids["order_id"], deployment_id=ids["deployment_id"],
                request_id=f"REQ-{county}", incident_id=ids["incident_id"], unit_id=ids["unit_id"],
                from_county=county, officer_ids=[], order={"reporting_point": {"county": county}})
    return ids
