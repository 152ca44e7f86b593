"""One column type for every table's times (storage.UtcDateTime): what is written is converted to UTC,
what is read is an aware UTC datetime, on SQLite and on PostgreSQL alike; a time given with another
offset is compared in SQL as the same instant, not as its wall clock."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, insert, select

from services.common.storage import Prepared, UtcDateTime, make_engine
from tests.helpers import drop_schemas

CST = timezone(timedelta(hours=8))
INSTANT = datetime(2025, 9, 15, 1, 5, 0, 123000, tzinfo=timezone.utc)   # 09:05:00.123 in Zhejiang


@pytest.fixture
def times(database_url):
    schema = f"t{uuid.uuid4().hex[:10]}"
    engine = make_engine(database_url, schema=schema)
    meta = MetaData()
    table = Table("times", meta, Column("id", Integer, primary_key=True), Column("at", UtcDateTime()))
    meta.create_all(engine)
    yield engine, table
    engine.dispose()
    drop_schemas(database_url, [schema])


def test_a_time_written_with_any_offset_is_read_back_as_the_same_instant_in_utc(times):
    engine, table = times
    with engine.begin() as conn:
        conn.execute(insert(table), [{"id": 1, "at": INSTANT}, {"id": 2, "at": INSTANT.astimezone(CST)},
                                     {"id": 3, "at": INSTANT.replace(tzinfo=None)},   # naive: taken as UTC
                                     {"id": 4, "at": None}])
        read = dict(conn.execute(select(table.c.id, table.c.at)).all())
    assert read == {1: INSTANT, 2: INSTANT, 3: INSTANT, 4: None}
    assert {at.utcoffset() for at in read.values() if at} == {timedelta(0)}
    assert all(at.tzinfo is not None for at in read.values() if at)


def test_a_bound_time_with_another_offset_selects_by_the_instant_not_the_wall_clock(times):
    engine, table = times
    with engine.begin() as conn:
        conn.execute(insert(table), [{"id": i, "at": INSTANT + timedelta(hours=i)} for i in range(-3, 4)])
        # 10:05 in Zhejiang is 02:05 UTC: two rows lie after it (03:05, 04:05 UTC), not none
        after = conn.execute(select(table.c.id).where(table.c.at > (INSTANT + timedelta(hours=1)).astimezone(CST))
                             .order_by(table.c.id)).scalars().all()
        latest = conn.execute(select(table.c.at).order_by(table.c.at.desc()).limit(1)).scalar_one()
    assert after == [2, 3]
    assert latest == INSTANT + timedelta(hours=3) and latest.tzinfo is not None


def test_the_drivers_own_statements_write_the_same_instant(times):
    """Prepared runs on the driver's cursor with the type's bind processing: an aware +08:00 time is stored
    as the instant it names."""
    engine, table = times
    statement = Prepared(insert(table).values(id=None, at=None))
    with engine.begin() as conn:
        statement.execute(conn, {"id": 7, "at": INSTANT.astimezone(CST)}).close()
        assert conn.execute(select(table.c.at).where(table.c.id == 7)).scalar_one() == INSTANT


@pytest.mark.parametrize("module, name", [
    ("services.common.storage", "kit_metadata"), ("services.common.access_log", "metadata"),
    ("services.demand.store", "metadata"), ("services.resources.store.schema", "metadata"),
    ("services.matching.store", "metadata"), ("services.logistics.store", "metadata")])
def test_every_tables_times_are_utc_datetimes(module, name):
    import importlib

    from sqlalchemy import DateTime
    metadata = getattr(importlib.import_module(module), name)
    times = [f"{t.name}.{c.name}" for t in metadata.tables.values() for c in t.columns
             if isinstance(getattr(c.type, "impl", c.type), DateTime)]
    plain = [f"{t.name}.{c.name}" for t in metadata.tables.values() for c in t.columns
             if isinstance(c.type, DateTime)]
    assert times and plain == []
