"""The database: SQLAlchemy 2 engines for SQLite (default) or PostgreSQL, and the kit's own tables.

Every service owns its data. On PostgreSQL several services (and every exercise) may share one
database, each in its own schema, chosen through the connection's search_path.
"""
from __future__ import annotations

from sqlalchemy import (
    JSON, BigInteger, Column, DateTime, Integer, MetaData, String, Table, Text, create_engine, event, text,
)
from sqlalchemy.engine import Engine

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
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True), index=True),
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

# Handled event ids: a redelivered event finds its id here and has no second effect.
inbox = Table(
    "inbox", kit_metadata,
    Column("event_id", String(64), primary_key=True),
    Column("topic", String(80), nullable=False),
    Column("handled_at", DateTime(timezone=True), nullable=False),
)

deadletters = Table(
    "deadletters", kit_metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("topic", String(80), nullable=False),
    Column("partition", Integer),
    Column("offset", BigInteger),
    Column("reason", Text, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
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
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        _sqlite_immediate_transactions(engine)
        return engine
    connect_args = {"options": f"-csearch_path={schema}"} if schema else {}
    engine = create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5, connect_args=connect_args)
    if schema:
        with engine.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    return engine


def _sqlite_immediate_transactions(engine: Engine) -> None:
    # pysqlite starts transactions lazily and as DEFERRED, so two writers can both read the chain
    # head and then fail; BEGIN IMMEDIATE takes the write lock up front (SQLAlchemy's own recipe).
    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def create_tables(engine: Engine, *metadatas: MetaData) -> None:
    for md in (kit_metadata, *metadatas):
        md.create_all(engine)
