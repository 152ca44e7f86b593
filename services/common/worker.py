"""The consumer loop every service runs: validate, honour mode, de-duplicate, handle, commit.

For each record: decode and validate against the topic's contract; refuse what its source does not
own or did not sign (the key registry, keys.py) and what breaks the producer's chain as this consumer
has seen it (chain.link_problem); skip events of another mode (exercise traffic never reaches live
state, nor one exercise another's); in one database transaction record the event in the inbox by
its source and id (inbox.py) and run the handler, so a redelivered event has no second effect; commit offsets only
after the batch is handled. What cannot be handled goes to the dead-letter topic with the reason and
is counted (dead_letters.py); the loop keeps going. Beside the loop, a thread watches for a broker
that lost the log we consumed (wipe.py) and has the loop read every partition again.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError

from . import contracts, faults, inbox, keys, logs, strict_json
from .bus import Bus, Record
from .chain import chain_of, link_problem
from .config import Settings
from .dead_letters import DeadLetters, handler_failure
from .envelope import Event, digests, signature_problem
from .outbox import Outbox, Tx
from .storage import Prepared
from .topics import ownership_problem
from .wipe import WipeCheck

log = logging.getLogger(__name__)
# Each event's savepoint, on the driver: SQLAlchemy's begin_nested compiled and ran SAVEPOINT and
# RELEASE through its whole statement machinery, two fifths of a consumer's time per event. Never
# nested in itself (one event at a time), so one name will do; a handler's own savepoints nest inside.
_SAVEPOINT = Prepared(text("SAVEPOINT kit_event"))
_RELEASE = Prepared(text("RELEASE SAVEPOINT kit_event"))
_ROLLBACK_TO = Prepared(text("ROLLBACK TO SAVEPOINT kit_event"))
# A handled event's savepoint is released when the next event's is set (or at the batch's end): on
# PostgreSQL each statement is a round trip, and one statement without parameters may hold both.
_RELEASE_AND_SET = Prepared(text("RELEASE SAVEPOINT kit_event; SAVEPOINT kit_event"))


def _rollback_event(conn, batch: "_Batch") -> None:
    """Undo the event's own writes (and its handler's), keep the batch's transaction going."""
    _ROLLBACK_TO.execute(conn).close()
    _RELEASE.execute(conn).close()
    batch.open = False


def _next_savepoint(conn, batch: "_Batch") -> None:
    """The event's savepoint, the one of the event handled before it (if still open) released."""
    if not batch.open:
        _SAVEPOINT.execute(conn).close()
    elif conn.dialect.name == "postgresql":
        _RELEASE_AND_SET.execute(conn).close()
    else:  # SQLite runs one statement per call, in process
        _RELEASE.execute(conn).close()
        _SAVEPOINT.execute(conn).close()
    batch.open = True


def _release_last(conn, batch: "_Batch") -> None:
    if batch.open:
        _RELEASE.execute(conn).close()
        batch.open = False


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
    """What a handler is given: the event, the batch's transaction (None without an outbox), the settings
    and the service's typed dependencies (runtime.deps: its policy, places...)."""
    event: Event
    tx: Tx | None
    settings: Settings
    deps: object = None

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

    def emit_many(self, items) -> list[dict]:
        """Several events in the batch's transaction at once (outbox.Tx.emit_many)."""
        if self.tx is None:
            raise RuntimeError("this worker has no outbox: it cannot emit")
        return self.tx.emit_many(items)


Handler = Callable[[Context], None]


@dataclass
class _Batch:
    """A batch's inbox state in its transaction: the inbox keys (inbox.key) of the events handled
    (before it, or in it so far),
    the chain links around its events, and what it records when its handlers are done."""
    seen: set
    links: dict
    handled: list = field(default_factory=list)    # (event, topic)
    new_links: list = field(default_factory=list)  # events whose place in their chain is new
    open: bool = False  # the savepoint of the last event handled is not released yet


class Worker:
    def __init__(self, settings: Settings, handlers: dict[str, Handler], *, outbox: Outbox | None = None,
                 bus: Bus | None = None, group_id: str | None = None, retry_s: float = 1.0):
        self.settings, self.handlers, self.box = settings, dict(handlers), outbox
        self.deps = None   # the service's typed dependencies, handed to every handler (set with runtime.deps)
        self.bus = bus or Bus(settings.kafka_bootstrap, client_id=settings.service)
        self.group_id = group_id or settings.group_id
        self.retry_s = retry_s
        self.check_every_s = 5.0
        self._last: dict[tuple[str, int], Record] = {}  # the last record handled on each partition
        self._lost = threading.Event()  # set by the log watch, cleared by the poll loop when it rewinds
        self.wipes = WipeCheck(self.bus, f"worker {self.group_id}")
        self._links: dict[str, dict[int, tuple[str, str]]] = {}  # chains seen, when there is no database
        self.registry = keys.registry()
        self.dead_letters = DeadLetters(settings, self.bus, self.registry, self.group_id)
        self.stats = {"consumed": 0, "handled": 0, "duplicates": 0, "deadlettered": 0, "other_mode": 0,
                      "retries": 0, "rewinds": 0}
        self.lag: dict[tuple[str, int], int] = {}  # records behind per assigned partition (for /metrics)
        self.assigned: set[tuple[str, int]] = set()  # this instance's share of the group's partitions
        self.lag_every_s = 1.0
        self.commit_every_s = 0.1  # offsets are committed at most this often while records keep coming
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
        owed, last_commit = False, time.monotonic()  # offsets of handled records not yet committed
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
                owed = True
                for record in records:
                    self._last[(record.topic, record.partition)] = record
            # Only when every record polled so far is handled or dead-lettered (here, between polls): at
            # once when a poll brings nothing, else at most every commit_every_s (a commit is a round
            # trip to the broker; with small polls it was one per few records). Refused while the group
            # re-forms, or lost with the process: the records come again and the inbox drops them.
            if owed and (not records or time.monotonic() - last_commit >= self.commit_every_s):
                sub.commit()
                owed, last_commit = False, time.monotonic()
            # Kept on the worker (a reconnect in between does not forget it) until a rewind succeeds:
            # one asked for while the group is still forming waits for the assignment.
            if self._lost.is_set() and sub.rewind():  # the inbox drops what was already handled
                self._last = {}
                self._lost.clear()
                log.warning("worker %s: the broker lost its log; reading every partition again", self.group_id)
                self.stats["rewinds"] += 1
        if owed:  # stopping: what was handled is committed before the member leaves
            sub.commit()

    def _watch_log(self, done: threading.Event) -> None:
        """Every `check_every_s`, in its own thread: flag a broker that lost the log we consumed."""
        while not self._stop.wait(self.check_every_s) and not done.is_set():
            if not self._lost.is_set() and self._broker_lost_log():
                self._lost.set()

    def _broker_lost_log(self) -> bool:
        """Did the broker lose the log we consumed (wipe.py)? After a wipe our positions are stale:
        re-published events land at lower offsets, and we would skip them. The records looked for
        are the last one handled on each partition."""
        return self.wipes.lost(sorted(self.handlers), self._last_handled) is not None

    def _last_handled(self) -> dict:
        return {place: (r.offset, lambda value, mine=r.value: value == mine) for place, r in dict(self._last).items()}

    def process(self, record: Record) -> None:
        self.process_batch([record])

    def process_batch(self, records: list[Record]) -> None:
        """Handle a poll's records in one transaction, each handler in its own savepoint.

        One commit per batch instead of per event; a handler that fails rolls back only its own
        savepoint and the record is dead-lettered inside the same transaction. The inbox and the
        chain links are read once for the batch and its rows written once at its end. If the
        database is unreachable the whole batch is retried: the inbox makes the retry harmless.
        """
        raced = 0
        while True:
            counts = dict.fromkeys(self.stats, 0)
            try:
                checked = self._check_all(records)  # no database work: outside the transaction
                if self.box is None:
                    for record, item in zip(records, checked):
                        self._one(None, record, item, counts, None)
                else:
                    with self.box.transaction() as tx:
                        batch = self._batch(tx.conn, checked)
                        for record, item in zip(records, checked):
                            self._one(tx, record, item, counts, batch)
                        _release_last(tx.conn, batch)
                        inbox.record_batch(tx.conn, batch.handled, batch.new_links)
                for k, v in counts.items():
                    self.stats[k] += v
                return
            except IntegrityError as exc:
                # Another instance recorded some of these events after our look-up (PostgreSQL; on
                # SQLite the batch holds the write lock from its start): the batch was rolled back,
                # and handled again its inbox look-up finds them.
                raced += 1
                if raced > 3:
                    raise
                log.info("worker %s: events recorded meanwhile by another consumer (%s); handling the batch again",
                         self.group_id, str(getattr(exc, "orig", exc))[:200])
            except TRANSIENT as exc:
                self.stats["retries"] += 1
                log.warning("worker %s: database unavailable (%s: %s); retrying", self.group_id,
                            exc.__class__.__name__, str(getattr(exc, "orig", exc))[:200])
                if self._stop.wait(self.retry_s):
                    raise InterruptedError("stopped while retrying") from exc  # leave the offsets uncommitted

    def _batch(self, conn, checked: list) -> "_Batch":
        """What a batch's transaction reads once: which of its events the inbox holds, and the links
        around the others in their producers' chains."""
        events = [event for event, problem in checked
                  if problem is None and self._same_mode(event) and isinstance(event.get("id"), str)]
        keys = [inbox.key(e) for e in events]
        seen = inbox.already_handled(conn, keys) if events else set()
        fresh = [e for e, k in zip(events, keys) if k not in seen]
        return _Batch(seen, inbox.links_of(conn, fresh) if fresh else {})

    def _check_all(self, records: list[Record]) -> list[tuple[dict | None, str | None]]:
        """Each record as (event, None) when it honours its contract, else (None, why it is dead-lettered).

        Signatures are checked newest first within each producer's chain: an event whose signature
        verifies vouches for the event before it in the batch, since it signed that event's hash as
        its `prevhash`, and the hash covers all of that event, its signature too (envelope.py). So a
        run of one producer's events costs one Ed25519 verification, not one each; the one vouched
        for must still hash to that value, name a registered and unrevoked key of the same producer,
        and pass every other check. An event whose successor is missing, refused or linked to
        another hash is verified on its own."""
        pending = [self._envelope(record) for record in records]
        unsigned = self._signatures([(i, p) for i, p in enumerate(pending) if len(p) == 3])
        return [p if len(p) == 2 else self._finish(record, p[0], p[2], unsigned[i])
                for i, (record, p) in enumerate(zip(records, pending))]

    def _envelope(self, record: Record) -> tuple:
        """(event, None) or (None, reason) when the record's fate is known before its signature;
        else (event, signed digest, hash) for `_signatures` and `_finish`."""
        try:
            event = strict_json.loads(record.value.decode("utf-8"))
        except (ValueError, TypeError, AttributeError) as exc:   # UnicodeDecodeError is a ValueError
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
        try:
            signed, whole = digests(event)  # the envelope encoded once for both
        except (KeyError, TypeError, AttributeError, UnicodeEncodeError):
            signed = whole = None  # signature_problem names why
        return event, signed, whole

    def _signatures(self, pending: list[tuple[int, tuple]]) -> dict[int, str | None]:
        """Each pending record's signature problem (None: signed by its producer), by index."""
        def newest_first(item):
            event = item[1][0]
            seq = event.get("seq")
            return str(event.get("source")), str(event.get("chainid")), -seq if type(seq) is int else 0

        vouched: dict[tuple, set[str]] = {}  # (source, chain, seq) -> hashes a verified successor signed
        problems: dict[int, str | None] = {}
        for i, (event, signed, whole) in sorted(pending, key=newest_first):
            seq, chain = event.get("seq"), event.get("chainid")
            place = (event.get("source"), chain, seq)
            vouch = whole is not None and whole in vouched.get(place, ())
            problem = problems[i] = signature_problem(event, self.registry, signed, vouched=vouch)
            if problem is None and whole == event["hash"] and type(seq) is int and isinstance(chain, str) \
                    and seq > 1 and isinstance(event.get("prevhash"), str):
                vouched.setdefault((place[0], chain, seq - 1), set()).add(event["prevhash"])
        return problems

    def _finish(self, record: Record, event: dict, whole: str | None, unsigned: str | None) -> tuple[dict | None, str | None]:
        if unsigned:
            return None, f"refused: {unsigned}"  # forged, or from an identity the registry does not hold
        if whole != event["hash"]:
            # the signature covers everything but `hash`: a record whose hash was altered on the way would
            # otherwise be linked into the producer's chain and refuse the producer's next genuine event
            return None, "refused: hash is not the hash of the event (altered after it was signed)"
        if record.topic == "plan.approved":
            # Acted on only with matching's electronic signature over exactly these officers and this plan.
            unapproved = self.registry.approval_problem(event["data"])
            if unapproved:
                return None, f"refused: {unapproved}"
        return event, None

    def _one(self, tx: Tx | None, record: Record, checked, counts: dict, batch: "_Batch | None") -> None:
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
        handled_as = inbox.key(event)
        if handled_as in batch.seen:  # in the inbox before this batch, or earlier in it (by source and id)
            counts["duplicates"] += 1
            return
        links = batch.links.setdefault(chain_of(event), {})  # as recorded, and as this batch goes on
        broken = link_problem(event, links)
        if broken:
            return self._deadletter(tx, record, f"refused: {broken}", counts)
        _next_savepoint(tx.conn, batch)
        # The event's log scope (as logs.scope, without a generator per event), left in `finally` below.
        fields = logs.current()
        if event.get("correlationid") is not None:
            fields["correlationid"] = event["correlationid"]
        fields["event_id"] = event["id"]
        scope = logs.open_scope(**fields)
        try:
            tx.cause = event
            handler(Context(event, tx, self.settings, self.deps))
            # Its savepoint stays open until the next event's is set (_next_savepoint) or the batch ends.
            # Recorded with the batch (inbox.record_batch), in its transaction: a handler that failed
            # leaves neither its inbox row nor its link, as its savepoint's rollback did.
            batch.seen.add(handled_as)
            batch.handled.append((event, record.topic))
            if event["seq"] not in links:
                links[event["seq"]] = (event["hash"], event["prevhash"])
                batch.new_links.append(event)
            counts["handled"] += 1
        except TRANSIENT as exc:
            if is_transient(exc):
                raise
            _rollback_event(tx.conn, batch)
            log.exception("worker %s: handler failed on %s", self.group_id, event.get("id"))
            self._deadletter(tx, record, handler_failure(exc), counts)
        except IntegrityError:
            _rollback_event(tx.conn, batch)
            counts["duplicates"] += 1  # another instance recorded it between our check and insert
        except Exception as exc:
            _rollback_event(tx.conn, batch)
            log.exception("worker %s: handler failed on %s", self.group_id, event.get("id"))
            self._deadletter(tx, record, handler_failure(exc), counts)
        finally:
            logs.close_scope(scope)

    def _run_plain(self, handler, record: Record, event: dict, counts: dict) -> None:
        links = self._links.setdefault(chain_of(event), {})
        broken = link_problem(event, links)
        if broken:
            return self._deadletter(None, record, f"refused: {broken}", counts)
        links[event["seq"]] = (event["hash"], event["prevhash"])
        try:
            handler(Context(event, None, self.settings, self.deps))
            counts["handled"] += 1
        except Exception as exc:
            log.exception("worker %s: handler failed on %s", self.group_id, event.get("id"))
            self._deadletter(None, record, handler_failure(exc), counts)

    def _same_mode(self, event: dict) -> bool:
        if event.get("mode", "live") != self.settings.mode:
            return False
        return self.settings.mode == "live" or event.get("exerciseid") == self.settings.exercise_id

    def _deadletter(self, tx: Tx | None, record: Record, reason: str, counts: dict) -> None:
        """Park the record on the dead-letter topic with the reason; the loop goes on."""
        counts["deadlettered"] += 1
        self.dead_letters.park(tx, record, reason)
