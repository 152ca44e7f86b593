"""Which requests await a commander (or their next plans) on a plan naming an officer
(store.requests_proposing), on SQLite and PostgreSQL: only current proposals of requests not yet approved,
the officer's id matched whole (not a prefix of another's, not a pattern); and why a request is planned
again, gathered until its next plans."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

import pytest
from sqlalchemy import create_engine, text

from services.common.config import Settings
from services.matching import store
from services.matching.bootstrap import build_runtime
from tests.helpers import NO_BROKER, drop_schemas

AT = datetime(2026, 12, 5, 8, 0, tzinfo=timezone.utc)


@pytest.fixture
def engine(database_url):
    name = f"t{uuid.uuid4().hex[:10]}"
    runtime = build_runtime(Settings(service=name, database_url=database_url, kafka_bootstrap=NO_BROKER,
                                     acts_as="matching"), resources_url=None)
    yield runtime.engine
    runtime.engine.dispose()
    drop_schemas(database_url, [name])


def plan(conn, plan_id: str, request_id: str, officers: list[str], status: str = "proposed") -> None:
    store.insert_plan(conn, plan_id=plan_id, request_id=request_id, kind="fastest", status=status, version=1,
                      body={"assignments": [{"officer_id": o, "line_id": "crowd"} for o in officers]}, created_at=AT)


def test_only_current_proposals_of_requests_awaiting_approval_and_the_whole_id(engine):
    with engine.begin() as conn:
        for request_id, status in (("R1", "proposed"), ("R2", "proposed"), ("R3", "approved"), ("R4", "pending")):
            store.insert_request(conn, request_id, {"county": "330783"}, status=status, exclude=[], received_at=AT)
        plan(conn, "P1A", "R1", ["ZJ330782-00050", "ZJ330782-00051"])
        plan(conn, "P1B", "R1", ["ZJ330782-00050"])
        plan(conn, "P2A", "R2", ["ZJ330782-0005", "ZJ330782_00052"])
        plan(conn, "P2V", "R2", ["ZJ330782-00051"], status="void")
        plan(conn, "P3A", "R3", ["ZJ330782-00051"], status="approved")
        plan(conn, "P4A", "R4", ["ZJ330782-00051"])
    with engine.connect() as conn:
        assert store.requests_proposing(conn, "ZJ330782-00050") == ["R1"]
        assert store.requests_proposing(conn, "ZJ330782-00051") == ["R1", "R4"]  # not R2's void plan, nor R3's approved
        assert store.requests_proposing(conn, "ZJ330782-0005") == ["R2"]    # a prefix of R1's ids, not matched there
        assert store.requests_proposing(conn, "ZJ330782_00050") == []       # "_" is not a wildcard
        assert store.requests_proposing(conn, "ZJ330782_00052") == ["R2"]
        assert store.requests_proposing(conn, "ZJ330782%") == []
    with engine.begin() as conn:   # superseded: R1's plans name no one any more
        store.update_plan(conn, "P1A", status="void", reason="superseded")
        store.update_plan(conn, "P1B", status="approved")
        assert store.requests_proposing(conn, "ZJ330782-00050") == []
        assert store.requests_proposing(conn, "ZJ330782-00051") == ["R4"]


def test_a_database_made_before_requests_kept_why_gains_the_column_and_keeps_its_rows(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    old = [c for c in store.requests.columns if c.name != "replanned"]
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f"CREATE TABLE requests ({', '.join(f'{c.name} {c.type.compile(conn.dialect)}' for c in old)})"))
        conn.execute(text("INSERT INTO requests (request_id, data, status, version, exclude, received_at) VALUES "
                          "('R1', '{\"county\": \"330783\"}', 'proposed', 1, '[]', '2026-12-05 08:00:00')"))
    store.plans.create(engine)      # and a plan proposed before its officers were kept in `proposing`
    with engine.begin() as conn:
        conn.execute(store.plans.insert().values(plan_id="P1A", request_id="R1", kind="fastest", status="proposed",
                                                 version=1, created_at=AT,
                                                 body={"assignments": [{"officer_id": "O1", "line_id": "crowd"}]}))
    engine.dispose()
    runtime = build_runtime(Settings(service="old", database_url=url, kafka_bootstrap=NO_BROKER, acts_as="matching"),
                            resources_url=None)
    with runtime.engine.begin() as conn:
        assert store.requests_proposing(conn, "O1") == ["R1"]
        assert store.fill_proposing(conn) == 0                  # once only
        store.mark_for_replanning(conn, "R1", [{"code": "request.escalated", "reason": "escalated to grade II"}])
        row = store.request(conn, "R1")
    runtime.engine.dispose()
    assert (row.status, row.version, row.replanned) == \
        ("pending", 2, [{"code": "request.escalated", "reason": "escalated to grade II"}])


def test_the_reasons_gather_while_the_request_waits_for_its_next_plans_and_start_again_after(engine):
    first, second, third = ({"code": "plan.officer_off_duty", "reason": f"O{i} is resting, no longer on duty",
                             "params": {"officer": f"O{i}", "county": "330782", "status": "resting"}} for i in range(3))
    with engine.begin() as conn:
        store.insert_request(conn, "R1", {"county": "330783"}, status="proposed", exclude=[], received_at=AT)
        store.mark_for_replanning(conn, "R1", [first])
        store.mark_for_replanning(conn, "R1", [second])          # still pending: both are why
        assert store.request(conn, "R1").replanned == [first, second]
        assert store.request(conn, "R1").version == 2              # one new version for both
        store.update_request(conn, "R1", status="proposed")      # planned: the next reasons start a new list
        store.mark_for_replanning(conn, "R1", [third])
        assert store.request(conn, "R1").replanned == [third]
        for i in range(25):
            store.mark_for_replanning(conn, "R1", [dict(third, reason=f"reason {i}")])
        kept = store.request(conn, "R1").replanned
    assert len(kept) == store.REPLANNED_KEPT and kept[-1]["reason"] == "reason 24"   # the newest, as the contract allows
