"""An incident may have a new request once its last one ended: at most one open request per incident,
on SQLite and PostgreSQL; databases made with the old one-request-for-ever constraint are upgraded."""
from __future__ import annotations

import threading
import uuid
from datetime import datetime, timezone

import pytest
from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    insert,
    inspect,
    select,
)
from sqlalchemy.exc import IntegrityError

from services.common.auth import Identity, signed_in
from services.common.config import Settings
from services.common.storage import make_engine
from services.demand import report_incident
from services.demand.bootstrap import build_runtime, create_app
from services.demand.store import incidents, requests, upgrade
from tests.helpers import at_once, drop_schemas, meeting
from tests.unit.test_demand_helpers import (  # noqa: F401 (now: the fixed clock)
    PROVINCE,
    deliver,
    emitted,
    incident,
    later,
    load_report,
    now,
)

pytestmark = pytest.mark.integration


@pytest.fixture
def demand(database_url, now):  # noqa: F811
    settings = Settings(service=f"t{uuid.uuid4().hex[:10]}", database_url=database_url, kafka_bootstrap="127.0.0.1:1")
    runtime = build_runtime(settings)
    yield runtime, signed_in(create_app(runtime).test_client(), Identity("zj-commander", "province_commander"))
    runtime.engine.dispose()
    drop_schemas(database_url, [settings.db_schema])


def report(client, body) -> dict:
    resp = client.post("/incidents", json=body, headers=PROVINCE)
    assert resp.status_code in (200, 201), resp.get_json()
    return resp.get_json()


def row(request_id: str, incident_id: str, status: str) -> dict:
    at = datetime(2026, 9, 15, 1, 0, tzinfo=timezone.utc)
    return dict(request_id=request_id, incident_id=incident_id, echelon="", county="330106", city="330100", grade="III",
                severity=2, status=status, approval_level="city", deadline=at, requested_at=at, updated_at=at,
                escalation_level=0, escalated_stages=[], progress={}, request={})


def test_a_withdrawn_request_is_followed_by_a_new_one_when_the_incident_grows(demand, now):  # noqa: F811
    runtime, client = demand
    deliver(runtime, "county.load-reported", load_report("330106", 0, later(0), by_module={"patrol": 0}))
    body = incident("330106", people=40)            # IV: crowd lines only, nothing free: force gap
    report(client, body)
    [first] = emitted(runtime, "support.requested", incident_id=body["incident_id"])
    deliver(runtime, "county.load-reported", load_report("330106", 60, later(1), by_module={
        "riot_control": 20, "patrol": 40}))        # the county now covers every line: withdrawn
    assert [c["request_id"] for c in emitted(runtime, "support.cancelled")] == [first["request_id"]]
    now.at = later(2)
    report(client, dict(body, size={"people_involved": 400}))   # II: riot_control 80, negotiators 4, crowd 40
    requested = emitted(runtime, "support.requested", incident_id=body["incident_id"])
    assert len(requested) == 2 and requested[1]["request_id"] != first["request_id"]
    second = requested[1]
    assert second["grade"] == "II" and {x["line_id"]: x["headcount"] for x in second["lines"]} == {
        "riot_control": 60, "negotiators": 4}      # 20 riot control and all 40 patrol covered locally
    assert client.get(f"/requests/{first['request_id']}", headers=PROVINCE).get_json()["status"] == "cancelled"
    # closing the withdrawn request afterwards leaves the incident and its new request alone
    resp = client.post(f"/requests/{first['request_id']}/close", json={"comment": "withdrawn"}, headers=PROVINCE)
    assert resp.status_code == 200, resp.get_json()
    assert client.get(f"/requests/{second['request_id']}", headers=PROVINCE).get_json()["status"] == "requested"
    deliver(runtime, "county.load-reported", load_report("330106", 60, later(3), by_module={
        "riot_control": 20, "patrol": 40}))
    assert len(emitted(runtime, "support.requested", incident_id=body["incident_id"])) == 2  # still one open


def test_a_withdrawn_incident_gets_a_new_request_when_the_county_can_no_longer_cover_it(demand, now):  # noqa: F811
    runtime, client = demand
    deliver(runtime, "county.load-reported", load_report("330106", 0, later(0), by_module={"patrol": 0}))
    body = incident("330106", people=40)
    report(client, body)
    deliver(runtime, "county.load-reported", load_report("330106", 60, later(1), by_module={"riot_control": 20,
                                                                                          "patrol": 40}))
    assert len(emitted(runtime, "support.cancelled")) == 1
    deliver(runtime, "county.load-reported", load_report("330106", 2, later(2), by_module={"patrol": 2}))
    requested = emitted(runtime, "support.requested", incident_id=body["incident_id"])
    assert len(requested) == 2 and requested[1]["reason"] == "force_gap"


def test_the_database_holds_one_open_request_per_incident(demand):
    runtime, _ = demand
    with runtime.engine.begin() as conn:
        conn.execute(insert(requests).values(**row("REQ-A", "INC-X", "cancelled")))
        conn.execute(insert(requests).values(**row("REQ-B", "INC-X", "released")))
        conn.execute(insert(requests).values(**row("REQ-C", "INC-X", "requested")))
    with pytest.raises(IntegrityError):
        with runtime.engine.begin() as conn:
            conn.execute(insert(requests).values(**row("REQ-D", "INC-X", "awaiting_approval")))


def test_a_database_with_the_old_constraint_is_upgraded_and_keeps_its_requests(database_url):
    schema = f"t{uuid.uuid4().hex[:10]}"
    engine = make_engine(database_url, schema=schema)
    old = MetaData()
    Table(requests.name, old, *[Column(c.name, c.type, primary_key=c.primary_key, nullable=c.nullable, index=c.index)
                                for c in requests.columns],
          UniqueConstraint("incident_id", "echelon", name="one_request_per_incident_echelon"))
    Table("unrelated", old, Column("id", Integer, primary_key=True), Column("at", DateTime), Column("x", String(4)))
    old.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(requests).values(**row("REQ-OLD", "INC-Y", "cancelled")))
    try:
        assert upgrade(engine) is True
        assert upgrade(engine) is False            # once
        with engine.begin() as conn:
            conn.execute(insert(requests).values(**row("REQ-NEW", "INC-Y", "requested")))
            got = {r.request_id: r.status for r in conn.execute(select(requests.c.request_id, requests.c.status))}
        assert got == {"REQ-OLD": "cancelled", "REQ-NEW": "requested"}
        with pytest.raises(IntegrityError):
            with engine.begin() as conn:
                conn.execute(insert(requests).values(**row("REQ-TWO", "INC-Y", "planning")))
    finally:
        engine.dispose()
        drop_schemas(database_url, [schema])


def test_a_database_made_before_incidents_kept_their_reporter_gains_the_column(database_url):
    schema = f"t{uuid.uuid4().hex[:10]}"
    engine = make_engine(database_url, schema=schema)
    old = MetaData()
    Table(incidents.name, old, *[Column(c.name, c.type, primary_key=c.primary_key, nullable=c.nullable)
                                 for c in incidents.columns if c.name != "reporter"])
    old.create_all(engine)
    try:
        assert upgrade(engine) is True
        assert upgrade(engine) is False            # once
        with engine.connect() as conn:
            assert "reporter" in {c["name"] for c in inspect(conn).get_columns(incidents.name)}
    finally:
        engine.dispose()
        drop_schemas(database_url, [schema])


def test_an_incident_reported_while_its_countys_load_report_is_handled_gets_its_request(demand, now):  # noqa: F811
    """The report's transaction and the load report's run at once: whichever assesses the county second
    must read the other's facts (the new incident, the new load), else neither raises the request."""
    runtime, client = demand
    deliver(runtime, "county.load-reported", load_report("330106", 60, later(0), by_module={
        "riot_control": 20, "patrol": 40}))        # the county covers a small crowd itself
    body = incident("330106", people=40)
    reported, go = threading.Event(), threading.Event()

    def county_reports():                           # POST /incidents' use case, held open before its commit
        with runtime.outbox.transaction() as tx:
            report_incident.report(tx, body, now=later(1))
            reported.set()
            go.wait(20)

    first = threading.Thread(target=county_reports)
    first.start()
    assert reported.wait(20)
    second = threading.Thread(target=deliver, args=(runtime, "county.load-reported", load_report(
        "330106", 0, later(2), by_module={"patrol": 0})))    # meanwhile: nobody free any more
    second.start()
    second.join(3)   # handled now if nothing makes it wait for the report's transaction
    go.set()
    first.join(20)
    second.join(20)
    assert not first.is_alive() and not second.is_alive()
    [data] = emitted(runtime, "support.requested", incident_id=body["incident_id"])
    assert data["reason"] == "force_gap" and data["gap_basis"] == "by_module"


def test_the_same_report_twice_at_once_is_one_incident_and_two_good_answers(demand, monkeypatch):
    """A county's client that timed out and sent its report again while the first was still being stored."""
    runtime, client = demand
    from services.demand import store as demand_store
    # both have looked for the incident before either stores it
    monkeypatch.setattr(demand_store, "incident_and_county", meeting(demand_store.incident_and_county))
    body = incident("330106", people=40)
    answers = at_once(*[lambda: post_as_new_client(client, "/incidents", body)] * 2)
    assert sorted(answers) == [200, 201]
    assert len(emitted(runtime, "incident.reported", incident_id=body["incident_id"])) == 1


def test_the_same_schedule_twice_at_once_is_one_task_and_two_good_answers(demand, now, monkeypatch):  # noqa: F811
    runtime, client = demand
    from services.common import contracts
    from services.demand import store as demand_store
    now.at = now.at.replace(year=2030, month=9, day=22)
    body = dict(contracts.example_body("preposition"), preposition_id="PRE-TWICE")
    # both have looked for the task before either stores it
    monkeypatch.setattr(demand_store, "preposition_county", meeting(demand_store.preposition_county))
    answers = at_once(*[lambda: post_as_new_client(client, "/prepositions", body)] * 2)
    assert sorted(answers) == [200, 201]
    assert len(emitted(runtime, "incident.reported")) == 1    # the task's incident, once


def post_as_new_client(client, path: str, body: dict) -> int:
    """POST as the province from a test client of its own (one per thread); the status answered."""
    with client.application.test_client() as own:
        return own.post(path, json=body, headers=PROVINCE).status_code
