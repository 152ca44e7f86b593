"""Who read or changed what, and when: one row per authenticated request, kept in the service's database.

Written after the response is built (its status says whether the table allowed it), so refused
attempts are recorded too. A view that changes data in a transaction of its own may write the row in
that transaction instead (`record_in`, then `recorded` once it committed): the row commits with the
change it describes, with the status the view answers, and costs no transaction of its own; the
hook after the response then writes none, unless the response went out with another status (then
that one is written too). The auditor reads it through GET /audit/access.
"""
from __future__ import annotations

from datetime import datetime, timezone

from flask import Flask, g, request
from sqlalchemy import Column, Integer, MetaData, String, Table, bindparam, insert, select
from sqlalchemy.engine import Engine

from . import clock
from .storage import Prepared, UtcDateTime, writer_turn

metadata = MetaData()
access_log = Table(
    "access_log", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UtcDateTime(), nullable=False, index=True),
    Column("subject", String(128), nullable=False, index=True),
    Column("role", String(40), nullable=False),
    Column("region", String(6), nullable=False),
    Column("method", String(8), nullable=False),
    Column("path", String(500), nullable=False),
    Column("query", String(1000), nullable=False),
    Column("status", Integer, nullable=False),
)
MAX_ROWS = 1000


COLUMNS = ("at", "subject", "role", "region", "method", "path", "query", "status")
_INSERT = Prepared(insert(access_log).values({name: bindparam(name) for name in COLUMNS}))


def _row(identity, method: str, path: str, query: str, status: int) -> dict:
    return {"at": clock.now().astimezone(timezone.utc), "subject": identity.subject[:128], "role": identity.role,
            "region": identity.region, "method": method, "path": path[:500], "query": query[:1000],
            "status": status}


def record(engine: Engine, *, identity, method: str, path: str, query: str, status: int) -> None:
    row = _row(identity, method, path, query, status)
    with writer_turn(engine), engine.begin() as conn:
        _INSERT.execute(conn, row).close()


def record_in(conn, status: int) -> None:
    """The request in hand's row, written in the caller's transaction on `conn` (it commits or rolls
    back with the change the request made), answering `status`. Call `recorded(status)` after the
    transaction committed; until then the hook after the response writes the row as usual."""
    identity = getattr(g, "identity", None)
    if identity is not None:
        _INSERT.execute(conn, _row(identity, request.method, request.path,
                                   request.query_string.decode("utf-8", "replace"), status)).close()


def recorded(status: int) -> None:
    """The row `record_in` wrote has committed: the response, if it answers `status`, needs no other."""
    if getattr(g, "identity", None) is not None:
        g.access_logged = status


def entries(engine: Engine, *, subject: str | None = None, path: str | None = None,
            since: datetime | None = None, limit: int = 100) -> list[dict]:
    """Newest first; `path` matches a prefix (e.g. /officers)."""
    q = select(access_log).order_by(access_log.c.id.desc()).limit(min(limit, MAX_ROWS))
    if subject:
        q = q.where(access_log.c.subject == subject)
    if path:
        q = q.where(access_log.c.path.startswith(path, autoescape=True))
    if since:
        q = q.where(access_log.c.at >= since)
    with engine.connect() as conn:
        return [_json(dict(r._mapping)) for r in conn.execute(q)]


def _json(row: dict) -> dict:
    row["at"] = row["at"].isoformat()
    return row


def install(app: Flask, engine: Engine) -> None:
    metadata.create_all(engine)

    @app.after_request
    def _log(response):
        identity = getattr(g, "identity", None)
        if identity is not None and g.get("access_logged") != response.status_code:
            record(engine, identity=identity, method=request.method, path=request.path,
                   query=request.query_string.decode("utf-8", "replace"), status=response.status_code)
        return response
