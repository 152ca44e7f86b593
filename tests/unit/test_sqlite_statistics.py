"""SQLite's planner figures (storage.refresh_statistics): a table is analysed when it has none or has
grown or shrunk twice over since, new connections plan with them, and the keeper refreshes them while
the service runs."""
from __future__ import annotations

import time
from datetime import datetime, timezone

from sqlalchemy import Column, Index, Integer, MetaData, String, Table, insert, text

from services.common import storage
from services.resources.bootstrap import build_runtime, seed_demo_if_empty
from services.resources.store import search
from tests.helpers import offline_settings


def _table(tmp_path):
    engine = storage.make_engine(f"sqlite:///{tmp_path / 'stats.db'}")
    metadata = MetaData()
    rows = Table("rows", metadata, Column("id", Integer, primary_key=True), Column("status", String(8)),
                 Index("ix_rows_status", "status"))
    metadata.create_all(engine)
    return engine, rows


def _add(engine, table, start: int, n: int) -> None:
    with engine.begin() as conn:
        conn.execute(insert(table), [{"id": i, "status": ("a", "b", "c")[i % 3]} for i in range(start, start + n)])


def _analysed(engine) -> dict[str, int]:
    with engine.connect() as conn:
        if not conn.execute(text("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")).first():
            return {}
        return {t: int(s.split()[0]) for t, s in conn.execute(text("SELECT tbl, stat FROM sqlite_stat1"))}


def test_a_table_is_analysed_when_it_has_no_figures_or_has_grown_or_shrunk_twice_over(tmp_path):
    engine, rows = _table(tmp_path)
    try:
        _add(engine, rows, 0, 400)
        assert storage.refresh_statistics(engine) == [] and _analysed(engine) == {}    # too small to matter
        _add(engine, rows, 400, 600)
        assert storage.refresh_statistics(engine) == ["rows"] and _analysed(engine) == {"rows": 1000}
        assert storage.refresh_statistics(engine) == []                               # figures still right
        _add(engine, rows, 1000, 900)
        assert storage.refresh_statistics(engine) == []                               # 1,900: under twice
        _add(engine, rows, 1900, 200)
        assert storage.refresh_statistics(engine) == ["rows"] and _analysed(engine) == {"rows": 2100}
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM rows WHERE id >= 1000"))
        assert storage.refresh_statistics(engine) == ["rows"] and _analysed(engine) == {"rows": 1000}
    finally:
        engine.dispose()


def test_the_keeper_refreshes_the_figures_while_running_and_stops(tmp_path):
    engine, rows = _table(tmp_path)
    keeper = storage.StatisticsKeeper(engine, every_s=0.05).start()
    try:
        _add(engine, rows, 0, 800)
        deadline = time.monotonic() + 10
        while not _analysed(engine) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _analysed(engine) == {"rows": 800}
    finally:
        keeper.stop()
        engine.dispose()
    assert keeper._thread is None


def _plan(conn, stmt, values) -> list[str]:
    compiled = stmt.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    params = {**compiled.params, **values}
    sql = "EXPLAIN QUERY PLAN " + str(compiled)
    return [r[3] for r in conn.exec_driver_sql(sql, tuple(params[k] for k in compiled.positiontup))]


def test_with_the_figures_a_certification_search_reads_the_covering_index_and_the_key_in_order(tmp_path):
    """The demo force loaded, its figures taken: the count reads the search index alone (not each
    candidate's row through the index on status), the page reads on from the key and stops (no sort).
    Without the figures SQLite plans both the other way."""
    runtime = build_runtime(offline_settings("resources", tmp_path))
    try:
        seed_demo_if_empty(runtime, officers_n=3000, seed=13)
        at = datetime.now(timezone.utc)
        f = {"certification": ["firearms"], "status": ["on_duty"]}
        page = {"after": "ZJ3307", "page_limit": 51, "page_offset": 0}

        def plans():
            with runtime.engine.connect() as conn:
                values = search._filter_values(conn, f, at, None)
                return (_plan(conn, search._count_statement(f, at), values),
                        _plan(conn, search._page_statement(f, at, True), {**values, **page}))
        count, first = plans()
        assert "COVERING INDEX ix_officers_near" in count[0]
        assert "sqlite_autoindex_officers_1 (officer_id>?)" in first[0] and not any("TEMP B-TREE" in p for p in first)
        with runtime.engine.begin() as conn:
            conn.execute(text("DROP TABLE sqlite_stat1"))
        runtime.engine.dispose()
        count, first = plans()
        assert "ix_officers_status" in count[0] and any("TEMP B-TREE" in p for p in first)
        assert storage.refresh_statistics(runtime.engine) != []
        count, first = plans()
        assert "COVERING INDEX ix_officers_near" in count[0]
    finally:
        runtime.engine.dispose()


def test_a_database_locked_past_the_timeout_is_logged_not_raised(tmp_path, caplog, monkeypatch):
    """A roster import that committed must not answer 500 because the figures could not be taken: the
    driver's error (as SQLite raises it past the busy timeout, or wrapped by SQLAlchemy) is logged."""
    import sqlite3

    from sqlalchemy.exc import OperationalError
    engine, rows = _table(tmp_path)
    _add(engine, rows, 0, 600)
    take = storage._refresh_statistics
    for error in (sqlite3.OperationalError("database is locked"),
                  OperationalError("ANALYZE", {}, sqlite3.OperationalError("database is locked"))):
        def locked(*args, error=error):
            raise error
        monkeypatch.setattr(storage, "_refresh_statistics", locked)
        caplog.clear()
        assert storage.refresh_statistics(engine) == []
        assert "could not refresh the database's statistics" in caplog.text
    monkeypatch.setattr(storage, "_refresh_statistics", take)
    assert storage.refresh_statistics(engine) == ["rows"]
    engine.dispose()
