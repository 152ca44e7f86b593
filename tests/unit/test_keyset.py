"""Paging by key (services/common/keyset.py): walking a table page by page, each page after the token of
the last row before it, reads every row once in the table's order, whatever mix of ascending and
descending columns and however many ties; a token says where it came from and is refused elsewhere."""
from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, select

from services.common.keyset import Order
from services.common.storage import UtcDateTime

T0 = datetime(2026, 5, 1, 8, tzinfo=timezone.utc)
rows_table = Table("rows", MetaData(), Column("id", String(8), primary_key=True), Column("grade", Integer),
                   Column("at", UtcDateTime()))


@pytest.fixture(scope="module")
def conn():
    engine = create_engine("sqlite://")
    rows_table.metadata.create_all(engine)
    rng = random.Random(5)
    with engine.begin() as c:   # few grades and few times: many ties, decided by the next column
        c.execute(rows_table.insert(), [{"id": f"R{i:03d}", "grade": rng.randrange(1, 4),
                                         "at": T0 + timedelta(minutes=rng.randrange(5))} for i in range(120)])
    with engine.connect() as c:
        yield c
    engine.dispose()


@pytest.mark.parametrize("terms, key", [
    ((rows_table.c.at, rows_table.c.id), lambda r: (r.at, r.id)),
    ((rows_table.c.at.desc(), rows_table.c.id), lambda r: (-r.at.timestamp(), r.id)),
    ((rows_table.c.grade.desc(), rows_table.c.at, rows_table.c.id), lambda r: (-r.grade, r.at, r.id)),
    ((rows_table.c.grade, rows_table.c.at.desc(), rows_table.c.grade, rows_table.c.id),
     lambda r: (r.grade, -r.at.timestamp(), r.id)),   # a column named twice counts where first named
])
def test_walking_after_each_pages_last_row_reads_every_row_once_in_order(conn, terms, key):
    order = Order("rows", *terms)
    expected = sorted(conn.execute(select(rows_table)).all(), key=key)
    for limit in (1, 7, 50):
        got, after = [], None
        for _ in range(len(expected) + 1):   # a walk that repeats rows ends too, and fails below
            query = select(rows_table).order_by(*order.terms).limit(limit)
            page = conn.execute(query if after is None else query.where(order.after(after))).all()
            got += page
            if len(page) < limit:
                break
            after = order.position(order.token(page[-1]))
        assert [r.id for r in got] == [r.id for r in expected], (terms, limit)


def test_a_token_names_its_list_and_order_and_is_refused_by_another(conn):
    by_time, by_grade = Order("rows.at", rows_table.c.at, rows_table.c.id), Order("rows.grade", rows_table.c.grade,
                                                                                  rows_table.c.id)
    row = conn.execute(select(rows_table).limit(1)).first()
    assert by_time.position(by_time.token(row)) == (row.at, row.id)
    assert by_time.position(by_time.token(row))[0].tzinfo is not None
    with pytest.raises(ValueError, match="another list or another order"):
        by_grade.position(by_time.token(row))
    forged = Order("rows.grade", rows_table.c.at, rows_table.c.id).token(row)   # its name, a time for a grade
    with pytest.raises(ValueError, match="grade: not an integer"):
        by_grade.position(forged)
