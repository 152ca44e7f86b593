"""The county counts and qualified counts, read on the driver with statements compiled once per shape
(their IN lists padded to a power of two), are those counted officer by officer, on SQLite and on
PostgreSQL, for every shape a caller asks: all counties, one, several with one unknown, a number
that is padded, some officers only."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import create_engine, select, text, update

from services.common.clock import as_utc
from services.common.config import Settings
from services.resources import store
from services.resources.bootstrap import build_runtime, seed_demo_if_empty
from services.resources.store import officers
from tests.helpers import NO_BROKER, drop_schemas

NOW = datetime.now(timezone.utc)


@pytest.fixture
def pool(database_url):
    name = f"t{uuid.uuid4().hex[:10]}"
    runtime = build_runtime(Settings(service=name, database_url=database_url, kafka_bootstrap=NO_BROKER,
                                     acts_as="resources"))
    seed_demo_if_empty(runtime, officers_n=1500, seed=23)
    with runtime.engine.begin() as conn:  # every status a count tells apart, rests over and not
        ids = [r.officer_id for r in conn.execute(select(officers.c.officer_id).order_by(officers.c.officer_id))]
        for part, values in (
                (ids[0::2], {"status": "on_duty", "rest_until": None}),
                (ids[1::20], {"status": "resting", "rest_until": NOW - timedelta(minutes=5)}),
                (ids[3::20], {"status": "resting", "rest_until": NOW + timedelta(hours=3)}),
                (ids[5::20], {"status": "resting", "rest_until": None}),
                (ids[7::20], {"status": "reserved", "rest_until": None}),
                (ids[9::20], {"status": "deployed", "rest_until": None})):
            conn.execute(update(officers).where(officers.c.officer_id.in_(part)).values(**values))
    yield runtime
    runtime.engine.dispose()
    drop_schemas(database_url, [name])
    if database_url.startswith("postgresql"):
        with create_engine(database_url).begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))


def counted_one_by_one(conn, codes, now, only=None):
    """(county counts, qualified counts) from every officer's row, in Python."""
    counts: dict = {}
    qualified: dict = {}
    for r in conn.execute(select(officers.c.officer_id, officers.c.county, officers.c.module, officers.c.status,
                                 officers.c.rest_until, officers.c.tags_text, officers.c.cert_text)):
        if codes is not None and r.county not in codes:
            continue
        available = r.status == "on_duty" or (r.status == "resting" and (r.rest_until is None or as_utc(r.rest_until) <= now))
        if available:
            held = qualified.setdefault(r.county, {}).setdefault(r.module, {})
            for code in {c for c in f"{r.tags_text};{r.cert_text}".split(";") if c}:
                held[code] = held.get(code, 0) + 1
        if only is not None and r.officer_id not in only:
            continue
        c = counts.setdefault(r.county, {"available": 0, "committed": 0, "by_module": {}})
        c["available"] += int(available)
        c["committed"] += int(r.status in ("reserved", "deployed"))
        c["by_module"][r.module] = c["by_module"].get(r.module, 0) + int(available)
    for c in counts.values():
        c["by_module"] = dict(sorted(c["by_module"].items()))
    return counts, qualified


def test_counts_read_on_the_driver_are_those_counted_one_by_one(pool):
    with pool.engine.connect() as conn:
        every = sorted(r[0] for r in conn.execute(select(store.counties.c.county)))
        some_ids = [r[0] for r in conn.execute(select(officers.c.officer_id).order_by(officers.c.officer_id).limit(7))]
        shapes = [None, [], every[:1], [every[0], every[-1], "999999"], every[:5], every[:5], every[2:8], every]
        for now in (NOW, NOW + timedelta(hours=4)):
            for codes in shapes:
                counts, qualified = counted_one_by_one(conn, codes, now)
                assert store.county_counts(conn, codes, now) == counts
                assert store.qualified_counts(conn, codes, now) == qualified
            mine, _ = counted_one_by_one(conn, None, now, only=set(some_ids))
            assert store.county_counts(conn, None, now, only=some_ids) == mine
            assert store.county_counts(conn, every[:3], now, only=some_ids[:3]) == counted_one_by_one(
                conn, every[:3], now, only=set(some_ids[:3]))[0]
