"""The read model keeps task points per officer and the cities' give/receive balance (fairness input)."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import create_engine, insert, select

from services.matching import readmodel
from services.matching.store import counties, metadata, officers, requests

AT = datetime(2026, 11, 28, 8, 0, tzinfo=timezone.utc)


def _engine():
    engine = create_engine("sqlite://")
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(officers).values(officer_id="ZJ330102-00001", county="330102", module="patrol", tags=[],
                                             certifications=[], equipment=[], duty_minutes=0, status="on_duty",
                                             points=2.0, as_of=AT))
        conn.execute(insert(requests).values(request_id="REQ-1", data={"county": "330783"}, status="approved",
                                             version=1, exclude=[], received_at=AT))
    return engine


def test_points_awarded_credits_the_officer_the_donor_and_the_receiver():
    engine = _engine()
    with engine.begin() as conn:  # the donor county has no row yet: created on the way
        readmodel.points_awarded(conn, {"officer_id": "ZJ330102-00001", "county": "330102", "points": 3.5,
                                        "request_id": "REQ-1"})
    with engine.begin() as conn:  # both counties exist now: the second award updates them
        readmodel.points_awarded(conn, {"officer_id": "ZJ330102-00001", "county": "330102", "points": 1.0,
                                        "request_id": "REQ-1"})
    with engine.connect() as conn:
        assert conn.execute(select(officers.c.points)).scalar_one() == 6.5
        rows = {r.county: (r.points_given, r.points_received) for r in conn.execute(select(counties))}
    assert rows == {"330102": (4.5, 0.0), "330783": (0.0, 4.5)}
