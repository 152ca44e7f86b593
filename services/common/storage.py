"""The database: SQLAlchemy 2 engines for SQLite (default) or PostgreSQL, and the kit's own tables.

Every service owns its data. On PostgreSQL several services (and every exercise) may share one
database, each in its own schema, chosen through the connection's search_path.
"""
from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
import time
import weakref
from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    text,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.types import TypeDecorator

from .clock import as_utc
from .private import private_sqlite

log = logging.getLogger(__name__)


class UtcDateTime(TypeDecorator):
    """A point in time, stored in UTC and read back as an aware UTC datetime on every database.

    PostgreSQL keeps `timestamptz` and hands it back in the session's zone; SQLite keeps text without
    a zone and hands it back naive, and its driver would write an aware non-UTC time as its local wall
    clock. Every table's times use this type, so what is written is converted to UTC first (a naive
    value is taken as UTC) and what is read is aware UTC, whichever database holds it.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if not isinstance(value, datetime):
            return value
        value = as_utc(value)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        return as_utc(value)


kit_metadata = MetaData()

# The producer's ledger: rows are kept after publishing (seq is the hash chain's order).
outbox = Table(
    "outbox", kit_metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("event_id", String(64), nullable=False, unique=True),
    Column("topic", String(80), nullable=False),
    Column("key", String(128), nullable=False),
    Column("event", JSON, nullable=False),
    Column("hash", String(64), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("sent_at", UtcDateTime(), index=True),
    Column("partition", Integer),
    Column("offset", BigInteger),
)

# Serialises seq assignment across instances of one service (row locked in the emitting transaction).
chain_head = Table(
    "chain_head", kit_metadata,
    Column("producer", String(120), primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),
)

# Handled events, by inbox.key (source and id): a redelivered event finds itself here and has no second effect.
inbox = Table(
    "inbox", kit_metadata,
    Column("event_id", String(64), primary_key=True),
    Column("topic", String(80), nullable=False),
    Column("handled_at", UtcDateTime(), nullable=False),
)

# What this consumer has seen of each producer's chain (envelope.py): one hash per (chain, seq). An
# event that puts another hash at a seen place, or does not link to a seen neighbour, is refused.
chain_links = Table(
    "chain_links", kit_metadata,
    Column("chain", String(200), primary_key=True),
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("hash", String(64), nullable=False),
    Column("prevhash", String(64), nullable=False),
)

deadletters = Table(
    "deadletters", kit_metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("topic", String(80), nullable=False),
    Column("partition", Integer),
    Column("offset", BigInteger),
    Column("reason", Text, nullable=False),
    Column("at", UtcDateTime(), nullable=False),
)


def normalise_url(url: str) -> str:
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def make_engine(url: str, *, schema: str | None = None) -> Engine:
    """An engine for `url`; on PostgreSQL, tables live in `schema` (created if missing)."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        private_sqlite(url)  # 0600 before SQLite opens it; its -wal and -shm files take that mode
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        _sqlite_immediate_transactions(engine)
        return engine
    connect_args = {"options": f"-csearch_path={schema}"} if schema else {}
    engine = create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5, connect_args=connect_args)
    if schema:
        with engine.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    return engine


_WRITE_LOCKS: "weakref.WeakKeyDictionary[Engine, threading.Lock]" = weakref.WeakKeyDictionary()


@contextlib.contextmanager
def writer_turn(engine: Engine, timeout_s: float = 30.0):
    """On SQLite, threads of one process that write take turns on a Python lock before BEGIN IMMEDIATE.

    SQLite's busy handler sleeps in growing steps (up to 100 ms) while another connection holds
    the write lock, so a relay marking rows sent against an emitter committing a thousand times
    a second lost for hundreds of milliseconds. A lock hands the turn over at once. Other
    processes still wait in the busy handler; on PostgreSQL this does nothing.
    """
    lock = _WRITE_LOCKS.get(engine)
    if lock is None:
        yield
        return
    got = lock.acquire(timeout=timeout_s)  # on timeout: fall back to SQLite's own waiting
    try:
        yield
    finally:
        if got:
            lock.release()


@contextlib.contextmanager
def writer_turn_if_free(engine: Engine):
    """`writer_turn` without waiting: yields True with the turn taken, False (and nothing taken)
    while another thread of this process writes. Always True on PostgreSQL."""
    lock = _WRITE_LOCKS.get(engine)
    if lock is None:
        yield True
        return
    if not lock.acquire(blocking=False):
        yield False
        return
    try:
        yield True
    finally:
        lock.release()


def _wal(cur, attempts: int = 100) -> None:
    """Switch the file to WAL (it stays so). Two processes opening a new file at once (a service's web
    and worker roles) can find it locked: the switch does not wait on the busy timeout, so retry."""
    if cur.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal":
        return
    for attempt in range(attempts):
        try:
            cur.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == attempts - 1:
                raise
            time.sleep(0.05)


def _sqlite_immediate_transactions(engine: Engine) -> None:
    _WRITE_LOCKS[engine] = threading.Lock()

    # pysqlite starts transactions lazily and as DEFERRED, so two writers can both read the chain
    # head and then fail; BEGIN IMMEDIATE takes the write lock up front (SQLAlchemy's own recipe).
    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA busy_timeout=30000")
        _wal(cur)
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn):
        # Straight on the driver: exec_driver_sql's machinery cost more than the BEGIN itself.
        conn.connection.dbapi_connection.execute("BEGIN IMMEDIATE")


def create_tables(engine: Engine, *metadatas: MetaData) -> None:
    """The tables that are missing, and the indexes a table declared after its database was made."""
    for md in (kit_metadata, *metadatas):
        md.create_all(engine)
        for table in md.tables.values():
            for index in table.indexes:
                index.create(engine, checkfirst=True)


def add_columns(engine: Engine, table: Table) -> list[str]:
    """Columns `table` gained after a database was made are added to it (they must be nullable:
    the rows already there hold NULL). Returns the names added."""
    from sqlalchemy import inspect
    from sqlalchemy.schema import CreateColumn

    with engine.begin() as conn:
        found = inspect(conn)
        if not found.has_table(table.name):
            return []
        have = {c["name"] for c in found.get_columns(table.name)}
        added = [c for c in table.columns if c.name not in have]
        for column in added:
            if not column.nullable:
                raise ValueError(f"{table.name}.{column.name} cannot be added to existing rows: not nullable")
            spec = CreateColumn(column).compile(dialect=conn.dialect)
            conn.execute(text(f"ALTER TABLE {conn.dialect.identifier_preparer.format_table(table)} ADD COLUMN {spec}"))
    return [c.name for c in added]


class Prepared:
    """A Core statement compiled once per dialect and run on the driver's own cursor.

    On the hot paths (emit, relay, inbox) SQLAlchemy's per-statement machinery (events, cache
    lookup, result set-up) costs several times what the driver spends on the statement. The SQL
    is still written with Core and compiled by the engine's dialect (quoting, paramstyle, casts,
    bind processors such as SQLite's datetime format); it runs inside the caller's transaction,
    on the very DBAPI connection behind `conn`. `build(dialect)` returns the statement, so a
    dialect can get its own form.
    """

    def __init__(self, build):
        self._build = build if callable(build) else (lambda _dialect: build)
        self._compiled: dict = {}

    def _for(self, dialect):
        entry = self._compiled.get(dialect)
        if entry is None:
            compiled = self._build(dialect).compile(dialect=dialect)
            procs = {}
            for name, bind in compiled.binds.items():
                proc = bind.type.dialect_impl(dialect).bind_processor(dialect)
                if proc is not None:
                    procs[name] = proc
            order = tuple(compiled.positiontup) if compiled.positional else None
            fixed = {name: bind.effective_value for name, bind in compiled.binds.items()  # e.g. a LIMIT
                     if not bind.required and bind.effective_value is not None}
            entry = self._compiled[dialect] = (str(compiled), order, procs, fixed)
        return entry

    @staticmethod
    def _params(order, procs, fixed, params: dict):
        if fixed:
            params = {**fixed, **params}
        if procs:
            params = {k: (procs[k](v) if k in procs else v) for k, v in params.items()}
        return [params[k] for k in order] if order is not None else params

    def execute(self, conn, params: dict | None = None):
        """Run on `conn`'s DBAPI connection; returns the driver cursor (fetchone/fetchall give tuples)."""
        sql, order, procs, fixed = self._for(conn.dialect)
        dbapi_conn = conn.connection.dbapi_connection
        cur = dbapi_conn.cursor()
        args = self._params(order, procs, fixed, params or {})
        try:
            cur.execute(sql, args)
        except conn.dialect.loaded_dbapi.Error as exc:
            raise driver_error(conn, dbapi_conn, cur, sql, args, exc, False) from exc
        return cur

    def executemany(self, conn, rows: list[dict]) -> None:
        if not rows:
            return
        sql, order, procs, fixed = self._for(conn.dialect)
        dbapi_conn = conn.connection.dbapi_connection
        cur = dbapi_conn.cursor()
        args = [self._params(order, procs, fixed, r) for r in rows]
        try:
            cur.executemany(sql, args)
        except conn.dialect.loaded_dbapi.Error as exc:
            raise driver_error(conn, dbapi_conn, cur, sql, args, exc, True) from exc
        cur.close()


class Shaped:
    """Statements whose text depends on the shape of a call (how many values an IN list holds, which
    filters apply), each compiled once per dialect and shape, expanding IN lists rendered, and run on
    the driver's cursor: for reads of thousands of rows, where building, compiling and a Row per row
    cost as much as the statement. `rows(conn, shape, build, values)`: `build()` gives the Core
    statement of that shape (its literals are kept with the text); `values` bind this call's
    parameters by name, already in the driver's form. Driver errors are raised as SQLAlchemy raises
    them (a lost connection invalidated)."""

    def __init__(self, kept: int = 256):
        self._compiled: dict[tuple, tuple[str, tuple | None, dict]] = {}
        self._kept = kept

    def rows(self, conn, shape, build, values: dict) -> list[tuple]:
        key = (conn.dialect.name, shape)
        compiled = self._compiled.get(key)
        if compiled is None:
            if len(self._compiled) >= self._kept:
                self._compiled.clear()
            stmt = build().compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
            compiled = self._compiled[key] = (str(stmt), tuple(stmt.positiontup) if stmt.positional else None,
                                              dict(stmt.params))
        sql, order, fixed = compiled
        params = {**fixed, **values}
        args = [params[k] for k in order] if order is not None else params
        dbapi_conn = conn.connection.dbapi_connection
        cursor = dbapi_conn.cursor()
        try:
            cursor.execute(sql, args)
            return cursor.fetchall()
        except conn.dialect.loaded_dbapi.Error as exc:
            raise driver_error(conn, dbapi_conn, cursor, sql, args, exc) from exc
        finally:
            cursor.close()


def driver_error(conn, dbapi_conn, cur, sql, args, exc, many: bool = False):
    """The driver's error as SQLAlchemy raises it (IntegrityError, OperationalError, ...), so callers
    catch the same exceptions either way; a lost connection is invalidated, not pooled again."""
    dialect = conn.dialect
    lost = dialect.is_disconnect(exc, dbapi_conn, cur)
    if lost:
        conn.invalidate(exc)
    return DBAPIError.instance(sql, args, exc, dialect.loaded_dbapi.Error, connection_invalidated=lost,
                               dialect=dialect, ismulti=many)


def database_answers(url: str, timeout_s: int = 2) -> bool:
    """Whether a database server answers at `url` (used to skip PostgreSQL runs where none is served)."""
    engine = create_engine(normalise_url(url), connect_args={"connect_timeout": timeout_s})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:
        return False
    finally:
        engine.dispose()


def refresh_statistics(engine: Engine, *, factor: float = 2.0, least: int = 500) -> list[str]:
    """`_refresh_statistics`, its failure (a database locked past the timeout, a closing engine) logged
    and not raised: the figures serve the planner, and a service starting, a roster just imported or a
    force just loaded must not fail for want of them. The next look tries again."""
    try:
        return _refresh_statistics(engine, factor, least)
    except (DBAPIError, sqlite3.Error):   # the driver's own from the connect hooks' pragmas
        log.warning("could not refresh the database's statistics", exc_info=True)
        return []


def _refresh_statistics(engine: Engine, factor: float, least: int) -> list[str]:
    """SQLite keeps no statistics of its own: without them its planner guesses how many rows each index
    finds, and took the index on officers' status alone (then every candidate's wide row) over the
    covering search index, and sorted a search's candidates rather than read the key in order. So
    each table of `least` rows or more that has none, or has grown or shrunk `factor` times since it
    was last analysed, is analysed (ANALYZE, that table alone), then the pool's connections are
    replaced so that each loads the new figures. Returns the tables analysed. PostgreSQL analyses its
    tables itself (autovacuum): nothing is done there."""
    if engine.dialect.name != "sqlite":
        return []
    with engine.connect() as conn:
        tables = [r[0] for r in conn.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        known: dict[str, int] = {}
        if conn.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").first():
            for table, stat in conn.exec_driver_sql("SELECT tbl, stat FROM sqlite_stat1"):
                known[table] = max(known.get(table, 0), int(str(stat).split()[0]))
        stale = []
        for table in tables:
            rows = conn.exec_driver_sql(f'SELECT count(*) FROM "{table}"').scalar()
            seen = known.get(table)
            if rows >= least and (seen is None or rows > seen * factor or rows * factor < seen):
                stale.append(table)
    if stale:
        with writer_turn(engine), engine.begin() as conn:
            for table in stale:
                conn.exec_driver_sql(f'ANALYZE "{table}"')
        engine.dispose()
    return stale


class StatisticsKeeper:
    """refresh_statistics now and then every `every_s` seconds, in a thread of its own (start/stop):
    tables grow as the service works (orders, commitments, a roster imported)."""

    def __init__(self, engine: Engine, every_s: float = 600.0):
        self.engine, self.every_s = engine, every_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> "StatisticsKeeper":
        if self.engine.dialect.name == "sqlite" and self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="statistics", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self.every_s):
            try:
                refresh_statistics(self.engine)
            except Exception:   # a locked or closing database: the next turn tries again
                log.warning("could not refresh the database's statistics", exc_info=True)
