"""Helpers for demand's tests (no tests of its own): a service on a throw-away SQLite file, callers by role, upstream facts."""
from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone

import pytest

from services.common import contracts
from services.common.auth import Identity, headers_for, signed_in
from services.common.config import Settings
from services.demand.bootstrap import build_runtime, create_app
from tests.helpers import deliver, offline_settings  # noqa: F401 (deliver: demand's tests import it from here)

T0 = datetime(2026, 9, 15, 1, 0, tzinfo=timezone.utc)
PROVINCE = headers_for(Identity("zj-commander", "province_commander", "330000"))
HANGZHOU = headers_for(Identity("hz-commander", "city_commander", "330100"))
WENZHOU = headers_for(Identity("wz-commander", "city_commander", "330300"))
XIHU = headers_for(Identity("xihu-duty", "county_duty_officer", "330106"))
VIEWER = headers_for(Identity("someone", "viewer", "330000"))
_ids = itertools.count(1)


def settings(tmp_path) -> Settings:
    return offline_settings("demand", tmp_path)


def stamp(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def incident(county: str = "330106", *, type_: str = "mass_gathering", people: int = 50, point=None, **extra) -> dict:
    body = {"incident_id": f"INC-T{next(_ids):04d}", "type": type_, "domain": "public_order",
            "location": {"county": county}, "size": {"people_involved": people},
            "description": "test incident", "reported_by": "test command centre", **extra}
    if point:
        body["location"]["point"] = {"lon": point[0], "lat": point[1]}
    return body


def load_report(county: str, available: int, at: datetime, **extra) -> dict:
    return {"county": county, "on_duty": available * 2, "available": available, "committed": 0,
            "reserve_floor": available, "at": stamp(at), **extra}


def emitted(runtime, topic: str, **match) -> list[dict]:
    return [e["data"] for e in runtime.outbox.events()
            if e["type"] == topic and all(e["data"].get(k) == v for k, v in match.items())]


def valid(topic: str, data: dict) -> bool:
    event = dict(contracts.example_event(topic), data=data)
    return contracts.validate_event(topic, event) == []


def later(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


# Shared fixtures: a demand service on a fixed clock, with a province commander signed in.
@pytest.fixture
def now(fixed_clock):
    return fixed_clock(T0)


@pytest.fixture
def demand(tmp_path, now):
    runtime = build_runtime(settings(tmp_path))
    yield runtime, signed_in(create_app(runtime).test_client(), Identity("zj-commander", "province_commander"))
    runtime.engine.dispose()
