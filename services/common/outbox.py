"""The transactional outbox: a state change and the events it causes commit together.

`Outbox.transaction()` yields a `Tx` whose `emit()` validates the event against its contract,
seals it into the producer's hash chain, signs it with the producer's key (keys.py) and writes it
beside the service's own rows; `emit_many()` does the same for several events with one read and
one advance of the chain head and one insert. The relay (relay.py) publishes committed rows; rows
are kept as the producer's tamper-evident ledger.
"""
from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Iterable, NamedTuple

from sqlalchemy import JSON, Text, bindparam, cast, event, insert, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from . import contracts, faults, keys, logs
from .chain import verify_chain
from .envelope import GENESIS, new_event, sealed
from .storage import Prepared, chain_head, outbox, writer_turn


def _event_text(dialect):
    """The event goes in as the JSON text the relay will publish (serialised once, not per read)."""
    param = bindparam("event", type_=Text)
    return cast(param, JSON) if dialect.name == "postgresql" else param


# Built once and run on the driver: per-statement SQLAlchemy overhead was most of an emit's cost.
_HEAD = Prepared(select(chain_head.c.seq, chain_head.c.hash)
                 .where(chain_head.c.producer == bindparam("producer")).with_for_update())
_INSERT = Prepared(lambda d: insert(outbox).values(
    seq=bindparam("seq"), event_id=bindparam("event_id"), topic=bindparam("topic"), key=bindparam("key"),
    event=_event_text(d), hash=bindparam("hash"), created_at=bindparam("created_at")))
_FIRST = Prepared(select(outbox.c.event_id).where(outbox.c.seq == 1))
_ADVANCE = Prepared(update(chain_head).where(chain_head.c.producer == bindparam("b_producer"))
                    .values(seq=bindparam("new_seq"), hash=bindparam("new_hash")))


IDLE_KEPT = 2  # connections an outbox keeps between transactions on SQLite


class ContractViolation(ValueError):
    def __init__(self, topic: str, issues):
        self.topic, self.issues = topic, issues
        super().__init__(f"{topic}: " + "; ".join(f"{i.field}: {i.reason}" for i in issues))


class Outbox:
    def __init__(self, engine: Engine, *, source: str, mode: str = "live", exercise_id: str | None = None):
        self.engine, self.source, self.mode, self.exercise_id = engine, source, mode, exercise_id
        self.committed = threading.Event()  # wakes the relay as soon as a transaction with events commits
        self._chainid: str | None = None  # the id of this ledger's seq 1 event, once committed
        self._identity = keys.identity_of(source)
        self._signer: tuple[float, keys.Registry, keys.Signer] | None = None  # (looked at, registry, signer)
        # On SQLite, connections kept between transactions (taken by one transaction at a time):
        # checking one out of the engine's pool and back in cost more CPU than an event's BEGIN and
        # COMMIT together. Closed when the engine is disposed of. PostgreSQL's pool is left to share.
        self._idle: list[Connection] = []
        self._keep = IDLE_KEPT if engine.dialect.name == "sqlite" else 0
        if self._keep:
            event.listen(engine, "engine_disposed", self._close_idle)

    @property
    def signer(self) -> keys.Signer | None:
        """The producer's signer; None for a source that is no registrable identity (a throw-away
        test producer): its events go out unsigned, and every consumer refuses them.

        Kept between emits: the process's registry is looked up again every keys.RECHECK_S (a
        changed KEYS_DIR), and a key rotated by this process's registry is taken at once."""
        if self._identity is None:
            return None
        cached, now = self._signer, time.monotonic()
        if cached is not None and now - cached[0] < keys.RECHECK_S and cached[1].current_signer(self._identity) is cached[2]:
            return cached[2]
        reg = keys.registry()
        signer = reg.signer(self._identity)
        self._signer = (now, reg, signer)
        return signer

    def chainid(self, conn, head_seq: int, event_id: str) -> str:
        """The chain's name: the id of seq 1 (this event's own id when it is seq 1)."""
        if head_seq == 0:
            return event_id
        if self._chainid is None:
            row = _FIRST.execute(conn, {}).fetchone()
            if row is None:  # an old ledger whose first rows are gone: named by its head instead
                return f"head-{head_seq}"
            self._chainid = row[0]
        return self._chainid

    def ensure_chain(self) -> None:
        try:
            with self.engine.begin() as conn:
                if conn.execute(select(chain_head.c.seq).where(chain_head.c.producer == self.source)).first() is None:
                    conn.execute(insert(chain_head).values(producer=self.source, seq=0, hash=GENESIS))
        except IntegrityError:  # another instance of the service, starting at the same moment, made it
            pass

    @contextmanager
    def connection(self):
        """A connection of the outbox's engine for one transaction or read: one kept from an earlier
        one if there is one (on SQLite). Not to be held beyond the block."""
        try:
            conn = self._idle.pop()
        except IndexError:
            conn = None
        if conn is None or conn.closed or conn.invalidated:
            conn = self.engine.connect()
        clean = False
        try:
            yield conn
            clean = True
        finally:
            # Kept only after a block that ended normally with nothing left open, for SQLAlchemy nor
            # the driver (the pool's rollback on check-in is not needed then).
            if (clean and len(self._idle) < self._keep and not (conn.closed or conn.invalidated or conn.in_transaction())
                    and not getattr(conn.connection.dbapi_connection, "in_transaction", True)):
                self._idle.append(conn)
            else:
                conn.close()

    def _close_idle(self, _engine=None) -> None:
        """The kept connections closed now (the engine's pool was disposed of: they belong to the old one)."""
        while self._idle:
            try:
                conn = self._idle.pop()
            except IndexError:  # taken meanwhile
                break
            conn.invalidate()  # closes the driver's connection at once, not when the old pool is collected
            conn.close()

    @contextmanager
    def transaction(self, cause: dict | None = None):
        with writer_turn(self.engine), self.connection() as conn, conn.begin():
            tx = Tx(conn, self, cause)
            yield tx
        if tx.emitted:
            faults.hit("after_commit")  # test-only: dies here when FAULT_POINT=after_commit:N
            self.committed.set()
            logs.note(correlationid=tx.emitted[-1]["correlationid"])  # the request's log lines name the incident

    def events(self) -> list[dict]:
        with self.engine.connect() as conn:
            return [r.event for r in conn.execute(select(outbox.c.event).order_by(outbox.c.seq))]

    def verify(self) -> list[str]:
        """[] when this producer's ledger is intact; otherwise what is wrong and where."""
        return verify_chain(self.events())


class Emit(NamedTuple):
    """One event of a batch emit (`Tx.emit_many`): the arguments of `Tx.emit`."""
    topic: str
    data: dict
    key: str
    subject: str | None = None
    correlationid: str | None = None


class Tx:
    """One database transaction: the service's writes (`conn`) and the events it emits."""

    def __init__(self, conn: Connection, box: Outbox, cause: dict | None):
        self.conn, self._box, self.cause, self.emitted = conn, box, cause, []

    @property
    def source(self) -> str:
        """The producer this transaction's events are emitted as (/mutual-deploy/<service>)."""
        return self._box.source

    def emit(self, topic: str, data: dict, *, key: str, subject: str | None = None,
             correlationid: str | None = None) -> dict:
        return self.emit_many(((topic, data, key, subject, correlationid),))[0]

    def emit_many(self, items: Iterable[Emit | tuple]) -> list[dict]:
        """Emit several events in this transaction, in the order given: the same events, chained and
        signed alike, as one `emit` each, with the chain head read and advanced once and the rows
        inserted in one statement. Each item is an `Emit` (or a tuple of its fields). All or none: an
        item that breaks its contract raises ContractViolation before any of them is written."""
        items = [item if type(item) is Emit else Emit(*item) for item in items]
        if not items:
            return []
        box, cause = self._box, self.cause or {}
        causationid = cause.get("id")
        cause_correlation = cause.get("correlationid")
        # Read under the lock every time (FOR UPDATE on PostgreSQL; SQLite's BEGIN IMMEDIATE holds the
        # write lock): a cached head would go stale when a worker rolls back one event's savepoint.
        seq, prev = _HEAD.execute(self.conn, {"producer": box.source}).fetchone()
        signer = box.signer
        chainid = None
        events, rows = [], []
        created = datetime.now(timezone.utc)
        for topic, data, key, subject, correlationid in items:
            event = new_event(
                topic=topic, source=box.source, data=data, subject=subject or key,
                correlationid=correlationid or cause_correlation or key,
                causationid=causationid, mode=box.mode, exerciseid=box.exercise_id,
            )
            if signer is not None and chainid is None:
                chainid = box.chainid(self.conn, seq, event["id"])
            seq += 1
            event, text = sealed(event, seq=seq, prevhash=prev, signer=signer, chainid=chainid)
            issues = contracts.validate_event(topic, event)
            if issues:
                raise ContractViolation(topic, issues)
            prev = event["hash"]
            events.append(event)
            rows.append({  # stored and published as its canonical JSON (sorted keys)
                "seq": seq, "event_id": event["id"], "topic": topic, "key": key, "event": text,
                "hash": prev, "created_at": created})
        if len(rows) == 1:
            _INSERT.execute(self.conn, rows[0]).close()
        else:
            _INSERT.executemany(self.conn, rows)
        _ADVANCE.execute(self.conn, {"b_producer": box.source, "new_seq": seq, "new_hash": prev}).close()
        self.emitted.extend(events)
        return events
