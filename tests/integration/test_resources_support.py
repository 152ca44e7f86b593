"""Shared by the resource pool's integration tests (no tests here): a small known roster, plans, the pool."""
from __future__ import annotations

import copy
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from services.common import contracts
from services.common.auth import Identity, signed_in
from services.resources.bootstrap import build_runtime, create_app

SEATS = {"330782": (120.075, 29.306), "330703": (119.705, 29.100), "330727": (120.437, 29.049),
         "330106": (120.130, 30.260)}
NOW = datetime.now(timezone.utc)


def officer(officer_id: str, county: str, **extra) -> dict:
    lon, lat = SEATS[county]
    row = {"officer_id": officer_id, "name": "测试警员", "county": county, "unit_id": f"U{county}-T1",
           "module": "technical_support", "status": "on_duty", "tags": ["e_forensics"],
           "certifications": [{"name": "e_forensics_examiner", "issued": "2024-01-01", "expires": "2030-01-01"}],
           "home": [lon, lat], "phone": "13812345678", "home_address": "金华市义乌市示例路1号",
           "id_number": "330782198801011234", "duty_minutes_24h": 0}
    return {**row, **extra}


def squad(county: str, n: int, prefix: str | None = None, **extra) -> list[dict]:
    prefix = prefix or f"P{county}"
    return [officer(f"{prefix}-{i:03d}", county, **extra) for i in range(1, n + 1)]


def approved(plan_id: str, officer_ids: list[str], *, hours: float = 4, county: str = "330783",
             certifications: list[str] | None = None, grade: str = "III", start_in_h: float = 0) -> dict:
    data = copy.deepcopy(contracts.example_event("plan.approved")["data"])
    start = datetime.now(timezone.utc) + timedelta(hours=start_in_h)
    # ordered out as the task starts: their duty runs from the order (the example's order is long past)
    data.update(plan_id=plan_id, request_id=f"REQ-{plan_id}", county=county, grade=grade, at=start.isoformat(),
                task_start=start.isoformat(), task_end=(start + timedelta(hours=hours)).isoformat(),
                assignments=[{"officer_id": o, **({"certifications": certifications} if certifications else {})}
                             for o in officer_ids])
    data.pop("risk", None)
    return data


@pytest.fixture(name="pool")
def pool_fixture(make_settings, database_url):
    """(runtime, Flask test client signed in as the province's resource manager) over SQLite or
    PostgreSQL, regions loaded, no officers yet."""
    runtime = build_runtime(make_settings(database_url=database_url))
    yield runtime, signed_in(create_app(runtime).test_client(), Identity("pool-admin", "resource_manager"))
    runtime.engine.dispose()


def load(client, officers: list[dict]) -> None:
    resp = client.post("/roster/import", json={"officers": officers})
    assert resp.status_code == 200, resp.get_json()


def topics(runtime) -> list[str]:
    return [e["type"] for e in runtime.outbox.events()]


def uid() -> str:
    return uuid.uuid4().hex[:8].upper()
