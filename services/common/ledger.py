"""The producer's ledger: its outbox rows, hash-chained (envelope.py), verified record by record
(chain.verify_rows, the kit's one chain verifier).

Orders, approvals, commits, releases and instructions are events, so each producer's outbox is
its tamper-evident ledger. The verifier names the exact record that was altered, deleted or moved:

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
from dataclasses import asdict
from typing import Callable

from sqlalchemy import select
from sqlalchemy.engine import Engine

from .chain import verify_rows
from .storage import chain_head, outbox


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
