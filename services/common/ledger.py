"""The producer's ledger: its outbox rows, hash-chained (envelope.py), verified record by record.

Orders, approvals, commits, releases and instructions are events, so each producer's outbox is
its tamper-evident ledger. `verify_rows` names the exact record that was altered, deleted or moved:

- altered: the record's content no longer matches its hash;
- rewritten (content and hash recomputed): the next, intact record still names the old hash, or
  for the newest record, the chain head (kept beside the outbox) does;
- deleted: its seq is missing between its neighbours or after the last one;
- reordered: a stored position holds another seq's event.

Auditors use GET /audit/ledger on each service, or `python -m services.common.ledger verify [service...]`.
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass
from typing import Callable

from sqlalchemy import select
from sqlalchemy.engine import Engine

from .envelope import GENESIS, event_hash
from .storage import chain_head, outbox


@dataclass(frozen=True)
class Problem:
    seq: int
    reason: str


def verify_rows(rows: list[tuple[int, str, dict]], head: tuple[int, str] | None = None,
                check: Callable[[dict], str | None] | None = None) -> list[Problem]:
    """(stored seq, stored hash, event) in stored order, and the chain head (seq, hash): what is wrong, where.

    `check(event)` is the producer's own test of an intact record (e.g. matching verifies the
    signature of each plan.approved): a reason it returns is reported at that record."""
    problems: list[Problem] = []
    expected, prev, prev_ok = 1, GENESIS, True
    for seq, stored_hash, event in rows:
        if seq > expected:
            problems += [Problem(s, "missing: the record was deleted") for s in range(expected, seq)]
            prev_ok = False  # the predecessor is gone: nothing to compare prevhash with
        if not isinstance(event, dict) or event.get("seq") != seq:
            moved = event.get("seq") if isinstance(event, dict) else None
            problems.append(Problem(seq, f"holds the event of seq {moved}: records were reordered"))
            expected, prev, prev_ok = seq + 1, None, False
            continue
        if event.get("hash") != stored_hash or event_hash(event) != event.get("hash"):
            problems.append(Problem(seq, "altered: the content no longer matches its hash"))
            ok = False
        else:
            ok = True
            if prev_ok and event.get("prevhash") != prev:
                problems.append(Problem(seq - 1, f"rewritten: seq {seq} was chained to another hash of it"))
            refused = check(event) if check else None
            if refused:
                problems.append(Problem(seq, f"refused: {refused}"))
        expected, prev, prev_ok = seq + 1, event.get("hash"), ok
    if head is not None:
        problems += _against_head(head, expected - 1, prev, prev_ok)
    return problems


def _against_head(head: tuple[int, str], last: int, last_hash: str | None, last_ok: bool) -> list[Problem]:
    head_seq, head_hash = head
    if head_seq > last:
        return [Problem(s, "missing: the record was deleted") for s in range(last + 1, head_seq + 1)]
    if head_seq == last and last_ok and last and head_hash != last_hash:
        return [Problem(last, "rewritten: the chain head holds another hash of it")]
    return []


def stored(engine: Engine, producer: str) -> tuple[list[tuple[int, str, dict]], tuple[int, str] | None]:
    with engine.connect() as conn:
        rows = [(r.seq, r.hash, _as_dict(r.event))
                for r in conn.execute(select(outbox.c.seq, outbox.c.hash, outbox.c.event).order_by(outbox.c.seq))]
        head = conn.execute(select(chain_head.c.seq, chain_head.c.hash)
                            .where(chain_head.c.producer == producer)).first()
    return rows, (tuple(head) if head else None)


def _as_dict(value):
    return json.loads(value) if isinstance(value, (str, bytes)) else value


def report(engine: Engine, service: str, producer: str, check: Callable[[dict], str | None] | None = None) -> dict:
    """The body of GET /audit/ledger: how many records, whether the chain verifies, and every problem."""
    rows, head = stored(engine, producer)
    problems = verify_rows(rows, head, check)
    return {"service": service, "producer": producer, "records": len(rows),
            "head": {"seq": head[0], "hash": head[1]} if head else None,
            "intact": not problems, "problems": [asdict(p) for p in problems]}


def main(argv: list[str] | None = None) -> int:
    from .config import Settings
    from .storage import make_engine

    parser = argparse.ArgumentParser(prog="python -m services.common.ledger")
    parser.add_argument("command", choices=["verify"])
    parser.add_argument("services", nargs="*", default=["demand", "resources", "matching", "logistics"])
    args = parser.parse_args(argv)
    broken = 0
    for service in args.services:
        settings = Settings.from_env(service)
        engine = make_engine(settings.database_url, schema=settings.db_schema)
        try:
            result = report(engine, service, settings.source)
        finally:
            engine.dispose()
        state = "intact" if result["intact"] else f"{len(result['problems'])} problem(s)"
        print(f"{service}: {result['records']} records, {state}")
        for p in result["problems"]:
            print(f"  seq {p['seq']}: {p['reason']}")
        broken += not result["intact"]
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
