"""A region's page of logistics' orders and deployments on SQLite: read in the list's order when the
region's rows are many (the scan stops at the page's last row), through the filter's indexes when they
are few (a sort of a few rows costs less than a walk through many), and the same rows either way
(tests/integration/test_list_pages_in_sql.py checks every page of every region both ways on both
databases)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite

from services.common import keyset, storage
from services.logistics import store

T0 = datetime(2026, 3, 1, tzinfo=timezone.utc)
# 金华's three counties receive and send most; 330282 (慈溪) sends one unit in a hundred
BUSY = ["330702", "330782", "330783", "330106", "330102", "330302"]


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    engine = storage.make_engine(f"sqlite:///{tmp_path_factory.mktemp('pages')}/logistics.db")
    storage.create_tables(engine, store.metadata)
    with engine.begin() as conn:
        for d in range(1000):
            county = BUSY[d % len(BUSY)]
            store.insert_deployment(conn, deployment_id=f"DEP-{d:04d}", plan_id=f"P-{d}", request_id=f"REQ-{d}",
                                    incident_id=f"INC-{d}", county=county, grade="III", headcount=8, officer_ids=[],
                                    task_start=T0, task_end=T0, arrangements={}, flags=[], status="released",
                                    created_at=T0 + timedelta(minutes=3 * d))
            for u in range(3):
                i = 3 * d + u
                home = "330282" if i % 100 == 7 else BUSY[(d + u + 1) % len(BUSY)]
                store.insert_order(conn, order_id=f"ORD-{i:05d}", deployment_id=f"DEP-{d:04d}", request_id=f"REQ-{d}",
                                   incident_id=f"INC-{d}", unit_id=f"U-{i}", from_county=home, officer_ids=[],
                                   order={"reporting_point": {"county": county}}, ordered_at=T0 + timedelta(minutes=i),
                                   deadline=T0, attempts=1, last_sent_at=T0, late=False)
    storage.refresh_statistics(engine)
    yield engine
    engine.dispose()


def plans(engine, read) -> list[str]:
    """SQLite's plan of each SELECT of rows (not counts) that `read(conn)` runs."""
    seen: list[str] = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().startswith("SELECT") and "count(" not in statement and "rowid" not in statement:
            seen.append((statement, parameters))

    with engine.connect() as conn:
        event.listen(conn, "before_cursor_execute", capture)
        read(conn)
        event.remove(conn, "before_cursor_execute", capture)
        return [" / ".join(row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params))
                for sql, params in seen]


def test_unindexed_is_sqlites_unary_plus_and_the_column_elsewhere():
    condition = keyset.Unindexed(store.orders.c.from_county) == "330783"
    assert str(condition.compile(dialect=sqlite.dialect())) == "+orders.from_county = ?"
    plain = store.orders.c.from_county == "330783"
    literal = {"literal_binds": True}
    assert str(condition.compile(dialect=postgresql.dialect(), compile_kwargs=literal)) == \
        str(plain.compile(dialect=postgresql.dialect(), compile_kwargs=literal)) == "orders.from_county = '330783'"


def test_the_walk_in_order_is_taken_when_it_costs_no_more_than_the_sort(engine):
    walk = keyset.read_in_order
    with engine.connect() as conn:
        # 3,000 orders, the first page of 48: the walk reads 48 × 3,000 / matching rows, each 0.4 of a
        # row sorted; the sort takes the matching rows
        assert walk(conn, store.orders, 241, 0, 48)       # 0.4 × 48 × 3,000 = 57,600 ≤ 241²
        assert not walk(conn, store.orders, 239, 0, 48)
        assert not walk(conn, store.orders, 0, 0, 50)
        # deep: a row skipped from the sort's output costs 5 rows sorted
        assert walk(conn, store.orders, 1000, 900, 100)         # 1.2 M against 5.5 M
        assert not walk(conn, store.orders, 200, 150, 50)       # 240,000 against 190,000
        assert walk(conn, store.deployments, 143, 0, 50)        # 1,000 deployments: 20,000 ≤ 143²
        assert not walk(conn, store.deployments, 141, 0, 50)


def test_a_citys_orders_are_read_in_order_and_a_county_that_sends_few_through_its_indexes(engine):
    city = plans(engine, lambda conn: store.orders_page(conn, region="330700", limit=50))
    assert len(city) == 1 and "SCAN orders USING INDEX ix_orders_ordered_at" in city[0], city
    assert "MULTI-INDEX OR" not in city[0]
    few = plans(engine, lambda conn: store.orders_page(conn, region="330282", limit=50))
    assert len(few) == 1 and "MULTI-INDEX OR" in few[0] and "SCAN orders" not in few[0], few
    none = plans(engine, lambda conn: store.orders_page(conn, region="330500", limit=50))
    assert none == []   # nothing there: counted, and no page read


def test_the_same_page_either_way(engine, monkeypatch):
    with engine.connect() as conn:
        for region in ("330700", "330783", "330282", "330000"):
            in_order = store.orders_page(conn, region=region, limit=50, offset=20)
            deployments = store.deployments_page(conn, region=region, limit=50, offset=20)
            monkeypatch.setattr(keyset, "WALKED", float("inf"))
            assert store.orders_page(conn, region=region, limit=50, offset=20) == in_order
            assert store.deployments_page(conn, region=region, limit=50, offset=20) == deployments
            monkeypatch.undo()
            assert in_order[0] and in_order[1] > 0


def test_a_citys_deployments_are_read_in_order(engine):
    city = plans(engine, lambda conn: store.deployments_page(conn, region="330700", limit=50))
    assert len(city) == 1 and "SCAN deployments USING INDEX ix_deployments_created_at" in city[0], city
