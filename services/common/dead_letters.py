"""Dead letters: a record that cannot be handled is parked on the dead-letter topic with the reason,
and the loop goes on (errors are never swallowed, and a bad record never stalls its partition).

With an outbox, the letter is a row of the dead-letter table and an event emitted in the batch's
transaction. Without one (the twin keeps no database), this process's letters form a chain of their
own, named by its first letter and signed with the producer's key, so the envelope's
seq/prevhash/hash still hold, and are sent straight to the broker.
"""
from __future__ import annotations

import base64
import json
import logging
import traceback
from datetime import datetime, timezone

from sqlalchemy import insert

from . import contracts, keys
from .config import Settings
from .envelope import GENESIS, new_event, seal
from .outbox import Tx
from .storage import deadletters
from .subscription import Record
from .topics import DEADLETTER

log = logging.getLogger(__name__)


class DeadLetters:
    def __init__(self, settings: Settings, bus, registry: keys.Registry, group_id: str):
        self.settings, self.bus, self.registry, self.group_id = settings, bus, registry, group_id
        self._chain = (0, GENESIS, None)  # this process's own letters when there is no outbox: (seq, hash, chain id)

    @property
    def chainid(self) -> str | None:
        """The id of this process's own chain of letters (None until the first letter without an outbox)."""
        return self._chain[2]

    def park(self, tx: Tx | None, record: Record, reason: str) -> None:
        """Park the record on the dead-letter topic with the reason (in `tx` when there is one)."""
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
        seq, prev, chainid = self._chain
        identity = keys.identity_of(self.settings.source)
        event = seal(new_event(topic=DEADLETTER, source=self.settings.source, data=data,
                               subject=where, correlationid=where, mode=self.settings.mode,
                               exerciseid=self.settings.exercise_id), seq=seq + 1, prevhash=prev,
                     signer=self.registry.signer(identity) if identity else None, chainid=chainid)
        self.bus.send(DEADLETTER, record.topic, json.dumps(event).encode()).get(timeout=30)
        self._chain = (seq + 1, event["hash"], event.get("chainid"))


def handler_failure(exc: Exception) -> str:
    """The reason a failed handler's record is parked with: the exception and the line that raised it."""
    line = traceback.extract_tb(exc.__traceback__)[-1].line if exc.__traceback__ else ""
    return f"handler failed: {exc.__class__.__name__}: {exc} at {line}"


MAX_ISSUES = 100


def dead_letter_data(record: Record, reason: str, group: str) -> dict:
    """The letter: the record as it came, the reason, and `issues`, the record's contract violations
    (each field and why, as an HTTP refusal lists them) when it is JSON and breaks its topic's contract."""
    try:
        raw = record.value.decode("utf-8")
    except (UnicodeDecodeError, AttributeError):
        raw = "base64:" + base64.b64encode(record.value or b"").decode()
    data = {"original_topic": record.topic, "partition": record.partition, "offset": record.offset,
            "key": record.key, "raw": raw[:100_000], "reason": reason[:2000], "consumer_group": group,
            "at": datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")}
    issues = contract_issues(record)
    if issues:
        data["issues"] = issues
    return data


def contract_issues(record: Record) -> list[dict]:
    """The record's violations of its topic's contract (none when it is not JSON, or keeps the contract):
    found again here, on the dead-letter path only, so the worker's checks stay as they are."""
    try:
        event = json.loads(record.value)
    except (ValueError, TypeError):
        return []
    if not isinstance(event, dict):
        return [{"field": "(record)", "reason": f"a JSON {type(event).__name__}, not an object"}]
    try:
        found = contracts.validate_event(record.topic, event)
    except KeyError:   # a topic with no contract: the reason says so
        return []
    return [{"field": i.field[:512] or "(record)", "reason": i.reason[:1000] or "invalid"}
            for i in found[:MAX_ISSUES]]
