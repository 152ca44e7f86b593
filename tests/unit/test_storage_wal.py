"""SQLite files run in WAL mode. Two processes opening a new file at once (a service's web and worker
roles) can race for the switch: SQLite answers one of them "database is locked" at once, without
waiting on the busy timeout, so the switch is retried."""
from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import text

from services.common.storage import _wal, make_engine


class Racing:
    """A cursor whose WAL switch meets a concurrent switch `busy` times before it goes through."""

    def __init__(self, busy: int, error: str = "database is locked"):
        self.busy, self.error, self.switches = busy, error, 0

    def execute(self, sql):
        if sql == "PRAGMA journal_mode":
            return self
        self.switches += 1
        if self.switches <= self.busy:
            raise sqlite3.OperationalError(self.error)
        return self

    def fetchone(self):
        return ("delete",)


def test_the_switch_to_wal_is_retried_while_another_process_holds_the_file():
    cur = Racing(busy=3)
    _wal(cur)
    assert cur.switches == 4


def test_other_errors_and_a_lock_that_never_clears_are_raised():
    with pytest.raises(sqlite3.OperationalError, match="disk I/O"):
        _wal(Racing(busy=1, error="disk I/O error"))
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        _wal(Racing(busy=10**6), attempts=3)


def test_a_service_database_file_is_in_wal_mode(tmp_path):
    with make_engine(f"sqlite:///{tmp_path / 'svc.db'}").connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"


def test_indexes_declared_after_a_database_was_made_are_created_on_start(tmp_path):
    """logistics' indicator queries filter orders, deployments and load reports by time: a database
    made before those indexes were declared gains them when the service starts."""
    from sqlalchemy import MetaData, inspect

    from services.common.storage import create_tables, make_engine
    from services.logistics import store

    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    old = MetaData()
    for table in store.metadata.tables.values():  # the same tables, without their indexes
        table.to_metadata(old).indexes.clear()
    old.create_all(engine)
    assert not [i for i in inspect(engine).get_indexes("orders") if i["column_names"] == ["ordered_at"]]
    create_tables(engine, store.metadata)
    found = inspect(engine)
    assert [i for i in found.get_indexes("orders") if i["column_names"] == ["ordered_at"]]
    assert [i for i in found.get_indexes("deployments") if i["column_names"] == ["created_at"]]
    assert [i for i in found.get_indexes("loads") if i["column_names"] == ["at"]]
    create_tables(engine, store.metadata)  # again: nothing to do, no error
