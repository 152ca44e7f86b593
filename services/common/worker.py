"""The consumer loop every service runs: validate, honour mode, de-duplicate, handle, commit.

For each record: decode and validate against the topic's contract; refuse what its source does not
own or did not sign (the key registry, keys.py) and what breaks the producer's chain as this consumer
has seen it; skip events of another mode
(exercise traffic never reaches live state, nor one exercise another's); in one database
transaction record the event id in the inbox and run the handler, so a redelivered event has no
second effect; commit offsets only after the batch is handled. What cannot be handled goes to the
dead-letter topic with the reason and is counted; the loop keeps going.
"""
from __future__ import annotations

import json
import logging
import threading
import time
import traceback
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable

from sqlalchemy import bindparam, insert, select, text
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError

from . import contracts, faults, keys, logs
from .bus import Bus, Record
from .config import Settings
from .envelope import GENESIS, event_hash, new_event, seal, signature_problem
from .outbox import Outbox, Tx
from .storage import Prepared, chain_links, deadletters, inbox
from .topics import DEADLETTER, ownership_problem

log = logging.getLogger(__name__)
_SEEN = select(inbox.c.event_id).where(inbox.c.event_id == bindparam("event_id"))
# The inbox row, written on the driver; and one look-up per poll batch instead of one per record.
_RECORD = Prepared(insert(inbox).values(event_id=bindparam("event_id"), topic=bindparam("topic"),
                                        handled_at=bindparam("handled_at")))
_SEEN_SIZES = (1, 4, 16, 64, 256)  # IN-lists of these lengths, padded by repeating an id
_SEEN_IN = {n: Prepared(select(inbox.c.event_id).where(inbox.c.event_id.in_([bindparam(f"i{k}") for k in range(n)])))
            for n in _SEEN_SIZES}


def _already_handled(conn, ids: list[str]) -> set[str]:
    """Which of `ids` the inbox holds (read inside the batch's transaction)."""
    found: set[str] = set()
    pos = 0
    while pos < len(ids):
        chunk = ids[pos:pos + _SEEN_SIZES[-1]]
        pos += len(chunk)
        size = next(n for n in _SEEN_SIZES if n >= len(chunk))
        chunk += [chunk[-1]] * (size - len(chunk))
        cur = _SEEN_IN[size].execute(conn, {f"i{k}": v for k, v in enumerate(chunk)})
        found.update(r[0] for r in cur.fetchall())
        cur.close()
    return found
# The places next to an event in its producer's chain, as this consumer recorded them.
_LINKS = Prepared(select(chain_links.c.seq, chain_links.c.hash, chain_links.c.prevhash)
                  .where(chain_links.c.chain == bindparam("chain"),
                         chain_links.c.seq.between(bindparam("lo"), bindparam("hi"))))
_LINK = Prepared(insert(chain_links).values(chain=bindparam("chain"), seq=bindparam("seq"),
                                            hash=bindparam("hash"), prevhash=bindparam("prevhash")))
# Each event's savepoint, on the driver: SQLAlchemy's begin_nested compiled and ran SAVEPOINT and
# RELEASE through its whole statement machinery, two fifths of a consumer's time per event. Never
# nested in itself (one event at a time), so one name will do; a handler's own savepoints nest inside.
_SAVEPOINT = Prepared(text("SAVEPOINT kit_event"))
_RELEASE = Prepared(text("RELEASE SAVEPOINT kit_event"))
_ROLLBACK_TO = Prepared(text("ROLLBACK TO SAVEPOINT kit_event"))


def _rollback_event(conn) -> None:
    """Undo the event's own writes (and its handler's), keep the batch's transaction going."""
    _ROLLBACK_TO.execute(conn).close()
    _RELEASE.execute(conn).close()


def chain_of(event: dict) -> str:
    return f"{event['source']} {event['chainid']}"


def link_problem(event: dict, links: dict[int, tuple[str, str]]) -> str | None:
    """None when the event fits the producer's chain as seen so far (`links`: seq -> (hash, prevhash)
    around it); else why not. Redelivery, re-publication after a broker wipe and partitions read out
    of order all fit: the same seq always carries the same hash, and neighbours link."""
    seq, h, prev = event["seq"], event["hash"], event["prevhash"]
    here = links.get(seq)
    if here is not None and here[0] != h:
        return f"breaks {event['source']}'s chain: seq {seq} was seen with another hash (a fork)"
    before = links.get(seq - 1)
    if before is not None and before[0] != prev:
        return f"breaks {event['source']}'s chain: prevhash is not the hash of seq {seq - 1}"
    after = links.get(seq + 1)
    if after is not None and after[1] != h:
        return f"breaks {event['source']}'s chain: seq {seq + 1} links to another hash of seq {seq}"
    return None


TRANSIENT = (OperationalError, InterfaceError)  # database unreachable: wait and retry, never dead-letter
# SQLite reports statements it cannot run as OperationalError too; those are the handler's fault and would
# never succeed on retry (the consumer would stall behind them for ever), so they are dead-lettered.
_SQLITE_REFUSALS = ("syntax error", "no such table", "no such column", "has no column named", "incomplete input")


def is_transient(exc: Exception) -> bool:
    if not isinstance(exc, TRANSIENT):
        return False
    if getattr(exc, "connection_invalidated", False) or isinstance(exc, InterfaceError):
        return True
    return not any(s in str(getattr(exc, "orig", exc)) for s in _SQLITE_REFUSALS)


@dataclass
class Context:
    event: dict
    tx: Tx | None
    settings: Settings

    @property
    def data(self) -> dict:
        return self.event["data"]

    @property
    def conn(self):
        return self.tx.conn if self.tx else None

    def emit(self, topic: str, data: dict, *, key: str, subject: str | None = None) -> dict:
        if self.tx is None:
            raise RuntimeError("this worker has no outbox: it cannot emit")
        return self.tx.emit(topic, data, key=key, subject=subject)


Handler = Callable[[Context], None]


class Worker:
    def __init__(self, settings: Settings, handlers: dict[str, Handler], *, outbox: Outbox | None = None,
                 bus: Bus | None = None, group_id: str | None = None, retry_s: float = 1.0):
        self.settings, self.handlers, self.box = settings, dict(handlers), outbox
        self.bus = bus or Bus(settings.kafka_bootstrap, client_id=settings.service)
        self.group_id = group_id or settings.group_id
        self.retry_s = retry_s
        self.check_every_s = 5.0
        self._last: dict[tuple[str, int], Record] = {}  # the last record handled on each partition
        self._lost = threading.Event()  # set by the log watch, cleared by the poll loop when it rewinds
        self._topic_ids: dict[str, str | None] = {}  # of the subscribed topics, at the last look
        self._letters = (0, GENESIS, None)  # this process's own dead-letter chain when there is no outbox
        self._links: dict[str, dict[int, tuple[str, str]]] = {}  # chains seen, when there is no database
        self.registry = keys.registry()
        self.stats = {"consumed": 0, "handled": 0, "duplicates": 0, "deadlettered": 0, "other_mode": 0,
                      "retries": 0, "rewinds": 0}
        self.lag: dict[tuple[str, int], int] = {}  # records behind per assigned partition (for /metrics)
        self.assigned: set[tuple[str, int]] = set()  # this instance's share of the group's partitions
        self.lag_every_s = 1.0
        self.ready = threading.Event()  # set once the first poll returned (group joined)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> "Worker":
        self._thread = threading.Thread(target=self._run, name=f"worker:{self.group_id}", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 15) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return bool(self._thread and self._thread.is_alive())

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                sub = self.bus.consumer(sorted(self.handlers), self.group_id)
            except Exception as exc:
                log.warning("worker %s: broker unavailable (%s); retrying", self.group_id, exc)
                self._stop.wait(self.retry_s)
                continue
            try:
                self._consume(sub)
            except Exception as exc:
                log.warning("worker %s: consumer failed (%s); reconnecting", self.group_id, exc)
                self._stop.wait(self.retry_s)
            finally:
                try:
                    sub.close()
                except Exception:
                    pass

    def _consume(self, sub) -> None:
        last_lag = time.monotonic()
        done = threading.Event()
        probe = threading.Thread(target=self._watch_log, args=(done,), name=f"probe:{self.group_id}", daemon=True)
        probe.start()  # the read-back opens its own connection: never stall the poll loop for it
        try:
            self._poll_loop(sub, last_lag)
        finally:
            done.set()

    def _poll_loop(self, sub, last_lag: float) -> None:
        while not self._stop.is_set():
            records = sub.poll(timeout_ms=100)
            self.ready.set()
            if time.monotonic() - last_lag > self.lag_every_s:
                last_lag = time.monotonic()
                self.lag, self.assigned = sub.lag(), sub.assignment()
            if records:
                # A stop asked for meanwhile still lets this batch finish and commit (graceful shutdown).
                self.process_batch(records)
                faults.hit("after_handle")  # test-only: handled and committed, offsets not yet
                # Only after every record of the batch is handled or dead-lettered. Refused while the
                # group re-forms: the records come again and the inbox drops them.
                sub.commit()
                for record in records:
                    self._last[(record.topic, record.partition)] = record
            # Kept on the worker (a reconnect in between does not forget it) until a rewind succeeds:
            # one asked for while the group is still forming waits for the assignment.
            if self._lost.is_set() and sub.rewind():  # the inbox drops what was already handled
                self._last = {}
                self._lost.clear()
                log.warning("worker %s: the broker lost its log; reading every partition again", self.group_id)
                self.stats["rewinds"] += 1

    def _watch_log(self, done: threading.Event) -> None:
        """Every `check_every_s`, in its own thread: flag a broker that lost the log we consumed."""
        while not self._stop.wait(self.check_every_s) and not done.is_set():
            if not self._lost.is_set() and self._broker_lost_log():
                self._lost.set()

    def _broker_lost_log(self) -> bool:
        """Did the broker lose the log we consumed? After a wipe our positions are stale:
        re-published events land at lower offsets, and we would skip them.

        A subscribed topic whose id changed was lost and created again. Else: is the last record we
        handled on each partition still at its offset? Every partition is looked at (producers
        re-publish in their own order, so one partition can match by chance while another has moved)."""
        try:
            ids = self.bus.topic_ids(sorted(self.handlers))
        except Exception:
            return False  # cannot tell now; look again later
        changed = any(was is not None and ids.get(t) != was for t, was in self._topic_ids.items())
        self._topic_ids = ids
        if changed:
            return True
        last = dict(self._last)
        if not last:
            return False
        try:
            found = self.bus.fetch_many({tp: r.offset for tp, r in last.items()})
        except Exception:
            return False  # cannot tell now; look again later
        return any(found.get(tp) != r.value for tp, r in last.items())

    def process(self, record: Record) -> None:
        self.process_batch([record])

    def process_batch(self, records: list[Record]) -> None:
        """Handle a poll's records in one transaction, each in its own savepoint.

        One commit per batch instead of per event; a handler that fails rolls back only its own
        savepoint and the record is dead-lettered inside the same transaction. If the database is
        unreachable the whole batch is retried: the inbox makes the retry harmless.
        """
        while True:
            counts = dict.fromkeys(self.stats, 0)
            try:
                checked = [self._check(record) for record in records]  # no database work: outside the transaction
                if self.box is None:
                    for record, item in zip(records, checked):
                        self._one(None, record, item, counts, None)
                else:
                    with self.box.transaction() as tx:
                        ids = [item[0]["id"] for item in checked if item[1] is None and isinstance(item[0].get("id"), str)]
                        seen = _already_handled(tx.conn, ids) if ids else set()
                        for record, item in zip(records, checked):
                            self._one(tx, record, item, counts, seen)
                for k, v in counts.items():
                    self.stats[k] += v
                return
            except TRANSIENT as exc:
                self.stats["retries"] += 1
                log.warning("worker %s: database unavailable (%s: %s); retrying", self.group_id,
                            exc.__class__.__name__, str(getattr(exc, "orig", exc))[:200])
                if self._stop.wait(self.retry_s):
                    raise InterruptedError("stopped while retrying") from exc  # leave the offsets uncommitted

    def _check(self, record: Record) -> tuple[dict | None, str | None]:
        """(event, None) for a record that honours its contract, else (None, why it is dead-lettered)."""
        try:
            event = json.loads(record.value)
        except (ValueError, TypeError) as exc:
            return None, f"not JSON: {exc}"
        if isinstance(event, dict) and not self._same_mode(event):
            return event, None  # another mode's or exercise's record: theirs to judge, skipped in _one
        issues = contracts.validate_event(record.topic, event) if isinstance(event, dict) else []
        if not isinstance(event, dict) or issues:
            reason = "; ".join(f"{i.field}: {i.reason}" for i in issues) or "not a JSON object"
            return None, f"breaks the {record.topic} contract: {reason}"
        not_owner = ownership_problem(record.topic, event.get("source"))
        if not_owner:
            return None, f"refused: {not_owner}"  # a service publishing a topic it does not own
        unsigned = signature_problem(event, self.registry)
        if unsigned:
            return None, f"refused: {unsigned}"  # forged, or from an identity the registry does not hold
        if event_hash(event) != event["hash"]:
            # the signature covers everything but `hash`: a record whose hash was altered on the way would
            # otherwise be linked into the producer's chain and refuse the producer's next genuine event
            return None, "refused: hash is not the hash of the event (altered after it was signed)"
        if record.topic == "plan.approved":
            # Acted on only with matching's electronic signature over exactly these officers and this plan.
            unapproved = self.registry.approval_problem(event["data"])
            if unapproved:
                return None, f"refused: {unapproved}"
        return event, None

    def _one(self, tx: Tx | None, record: Record, checked, counts: dict, seen: set | None) -> None:
        counts["consumed"] += 1
        event, problem = checked
        if problem is not None:
            return self._deadletter(tx, record, problem, counts)
        if not self._same_mode(event):
            counts["other_mode"] += 1
            return
        handler = self.handlers[record.topic]
        if tx is None:
            return self._run_plain(handler, record, event, counts)
        if event["id"] in seen:  # in the inbox before this batch, or earlier in it
            counts["duplicates"] += 1
            return
        chain = chain_of(event)
        cur = _LINKS.execute(tx.conn, {"chain": chain, "lo": event["seq"] - 1, "hi": event["seq"] + 1})
        links = {r[0]: (r[1], r[2]) for r in cur.fetchall()}
        cur.close()
        broken = link_problem(event, links)
        if broken:
            return self._deadletter(tx, record, f"refused: {broken}", counts)
        _SAVEPOINT.execute(tx.conn).close()
        scope = logs.scope(correlationid=event.get("correlationid"), event_id=event["id"])
        scope.__enter__()  # left in `finally` below; no extra indentation on the hot path
        try:
            _RECORD.execute(tx.conn, {"event_id": event["id"], "topic": record.topic,
                                      "handled_at": datetime.now(timezone.utc)}).close()
            if event["seq"] not in links:
                _LINK.execute(tx.conn, {"chain": chain, "seq": event["seq"], "hash": event["hash"],
                                        "prevhash": event["prevhash"]}).close()
            tx.cause = event
            handler(Context(event, tx, self.settings))
            _RELEASE.execute(tx.conn).close()
            seen.add(event["id"])
            counts["handled"] += 1
        except TRANSIENT as exc:
            if is_transient(exc):
                raise
            _rollback_event(tx.conn)
            log.exception("worker %s: handler failed on %s", self.group_id, event.get("id"))
            self._deadletter(tx, record, _failure(exc), counts)
        except IntegrityError:
            _rollback_event(tx.conn)
            counts["duplicates"] += 1  # another instance recorded it between our check and insert
        except Exception as exc:
            _rollback_event(tx.conn)
            log.exception("worker %s: handler failed on %s", self.group_id, event.get("id"))
            self._deadletter(tx, record, _failure(exc), counts)
        finally:
            scope.__exit__(None, None, None)

    def _run_plain(self, handler, record: Record, event: dict, counts: dict) -> None:
        links = self._links.setdefault(chain_of(event), {})
        broken = link_problem(event, links)
        if broken:
            return self._deadletter(None, record, f"refused: {broken}", counts)
        links[event["seq"]] = (event["hash"], event["prevhash"])
        try:
            handler(Context(event, None, self.settings))
            counts["handled"] += 1
        except Exception as exc:
            log.exception("worker %s: handler failed on %s", self.group_id, event.get("id"))
            self._deadletter(None, record, _failure(exc), counts)

    def _same_mode(self, event: dict) -> bool:
        if event.get("mode", "live") != self.settings.mode:
            return False
        return self.settings.mode == "live" or event.get("exerciseid") == self.settings.exercise_id

    def _deadletter(self, tx: Tx | None, record: Record, reason: str, counts: dict) -> None:
        """Park the record on the dead-letter topic with the reason; the loop goes on."""
        counts["deadlettered"] += 1
        log.warning("worker %s: dead-letter %s[%d]@%d: %s", self.group_id, record.topic, record.partition,
                    record.offset, reason)
        data = dead_letter_data(record, reason, self.group_id)
        where = f"{record.topic}:{record.partition}:{record.offset}"
        if tx is not None:
            tx.conn.execute(insert(deadletters).values(topic=record.topic, partition=record.partition,
                                                       offset=record.offset, reason=reason[:2000],
                                                       at=datetime.now(timezone.utc)))
            tx.cause = None
            tx.emit(DEADLETTER, data, key=record.topic, subject=where)  # keyed by original topic
            return
        # No outbox: this process's dead letters form a chain of their own (named by its first
        # letter, signed with the producer's key), so the envelope's seq/prevhash/hash still hold.
        seq, prev, chainid = self._letters
        identity = keys.identity_of(self.settings.source)
        event = seal(new_event(topic=DEADLETTER, source=self.settings.source, data=data,
                               subject=where, correlationid=where, mode=self.settings.mode,
                               exerciseid=self.settings.exercise_id), seq=seq + 1, prevhash=prev,
                     signer=self.registry.signer(identity) if identity else None, chainid=chainid)
        self.bus.send(DEADLETTER, record.topic, json.dumps(event).encode()).get(timeout=30)
        self._letters = (seq + 1, event["hash"], event.get("chainid"))


def _failure(exc: Exception) -> str:
    line = traceback.extract_tb(exc.__traceback__)[-1].line if exc.__traceback__ else ""
    return f"handler failed: {exc.__class__.__name__}: {exc} at {line}"


def dead_letter_data(record: Record, reason: str, group: str) -> dict:
    try:
        raw = record.value.decode("utf-8")
    except (UnicodeDecodeError, AttributeError):
        import base64
        raw = "base64:" + base64.b64encode(record.value or b"").decode()
    return {"original_topic": record.topic, "partition": record.partition, "offset": record.offset,
            "key": record.key, "raw": raw[:100_000], "reason": reason[:2000], "consumer_group": group,
            "at": datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")}
