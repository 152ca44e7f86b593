"""Test-only fault points: make a process die abruptly at a chosen place in the event flow.

`FAULT_POINT=<point>:<n>` (several separated by commas) makes the process `os._exit(137)` (what a
kill -9 looks like to everyone else: no cleanup, no flush, no offset commit) the n-th time it
passes `<point>`. Unset in production, where `hit()` is one dictionary look-up.

    after_commit      outbox: a transaction with events committed, before the relay publishes them
    after_publish     relay: a batch is on the broker, before its rows are marked sent
    after_handle      worker: a poll batch is handled and committed, before the offsets are committed
"""
from __future__ import annotations

import os
import sys
import threading

POINTS = ("after_commit", "after_publish", "after_handle")
_lock = threading.Lock()
_passed: dict[str, int] = {}


def armed(env: dict | None = None) -> dict[str, int]:
    """{point: n} from FAULT_POINT; a malformed value stops the process at once, naming the part."""
    spec = (os.environ if env is None else env).get("FAULT_POINT", "")
    out = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        name, _, n = part.partition(":")
        if name not in POINTS or not n.isdigit() or int(n) < 1:
            raise SystemExit(f"FAULT_POINT: {part!r} is not <point>:<n> with point one of {', '.join(POINTS)}")
        out[name] = int(n)
    return out


_ARMED = armed()


def hit(point: str) -> None:
    """Count a pass through `point`; exit like a killed process on the armed pass."""
    target = _ARMED.get(point)
    if target is None:
        return
    with _lock:
        _passed[point] = _passed.get(point, 0) + 1
        if _passed[point] == target:
            print(f"FAULT_POINT {point}:{target} reached; exiting", file=sys.stderr, flush=True)
            os._exit(137)
