"""Small tools the tests share, each defined once.

- `wait_for`: poll until a condition holds (a worker's stats, a relay's backlog, a row count ...).
- `FixedClock` / `frozen_clock`: the services' clock (`services.common.clock.now`) standing still.
- `deliver` / `example_envelope`: hand one event to a service's handler as its worker would.
- `offline_settings` / `NO_BROKER`: a service on a SQLite file of its own, with no broker.
- `token_for`: the bare bearer token a user of some role sends.

Fixtures built on them live in the conftests: `fixed_clock` (tests/conftest.py), `offline_runtime`
(tests/unit/conftest.py), `stand_ins` (tests/integration/conftest.py).
"""
from __future__ import annotations

import copy
import threading
import time
import warnings
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Iterator

from sqlalchemy import create_engine, text
from sqlalchemy.exc import SQLAlchemyError

from services.common import clock, contracts
from services.common.auth import Identity, default_keyring, headers_for
from services.common.config import Settings
from services.common.envelope import new_event
from services.common.storage import normalise_url
from services.common.tokens import Keyring
from services.common.worker import Context

NO_BROKER = "127.0.0.1:1"  # nothing listens there: a runtime that is never started publishes nothing
UPSTREAM = "/mutual-deploy/upstream"  # the source `deliver` gives an event unless told another


# --- waiting -------------------------------------------------------------------------------------------

def wait_for(predicate: Callable[[], Any], timeout: float = 30.0, what: str = "condition", *,
             interval: float = 0.05) -> Any:
    """Call `predicate` every `interval` seconds until it returns something truthy, and return that.

    After `timeout` seconds without it, AssertionError("timed out waiting for <what>"). An assertion
    raised by the predicate itself (say, a process that exited) ends the wait at once."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(min(interval, left))


# --- the clock -----------------------------------------------------------------------------------------

class FixedClock:
    """A clock that stands at `at` until the test moves it (`clock.at = later`); install it with
    `frozen_clock` or the `fixed_clock` fixture, and every `services.common.clock.now()` returns `at`."""

    def __init__(self, at: datetime):
        self.at = at

    def __call__(self) -> datetime:
        return self.at


@contextmanager
def frozen_clock(at: datetime) -> Iterator[FixedClock]:
    """Inside the block the services' clock is a FixedClock at `at` (yielded, to move it); after it,
    the wall clock again, however the block ends."""
    fixed = FixedClock(at)
    clock.set_clock(fixed)
    try:
        yield fixed
    finally:
        clock.set_clock(None)


# --- events --------------------------------------------------------------------------------------------

class StubResponse:
    """What a stand-in `requests.Session.get` returns: a status code and a JSON body."""

    def __init__(self, status_code: int, body: Any = None):
        self.status_code, self.body = status_code, body

    def json(self) -> Any:
        return self.body


def example_envelope(topic: str, data: dict | None = None) -> dict:
    """A copy of the contract's example event of `topic` (contracts/examples), carrying `data` if given."""
    event = copy.deepcopy(contracts.example_event(topic))
    return event if data is None else dict(event, data=data)


def deliver(runtime, topic: str, data: dict | None = None, *, event: dict | None = None, source: str = UPSTREAM,
            subject: str | None = None, correlationid: str | None = None, handlers: dict | None = None) -> dict:
    """Run the service's handler of `topic` on one event as its worker would, and return the event.

    The handler gets a worker Context of the event, a transaction of the runtime's outbox whose cause is
    the event (what it emits carries the event's correlation), and the runtime's settings; the handler's
    writes and emits commit together. No broker, no contract or signature check, no inbox: the
    handler alone. `event`: an envelope to hand over as it is; otherwise one is made around `data` with
    `source`, `subject` (default: data's request_id, else the topic) and `correlationid` (default:
    data's incident_id, else "x"). `handlers`: default, the ones the runtime's worker subscribes."""
    if event is None:
        event = new_event(topic=topic, source=source, data=data,
                          subject=subject or str(data.get("request_id", topic)),
                          correlationid=correlationid or str(data.get("incident_id", "x")))
    handlers = handlers if handlers is not None else runtime.worker.handlers
    with runtime.outbox.transaction(cause=event) as tx:
        handlers[topic](Context(event, tx, runtime.settings, runtime.deps))
    return event


# --- a service without a broker ------------------------------------------------------------------------

def offline_settings(service: str, folder: str | Path, *, file: str | None = None, **fields) -> Settings:
    """Settings of `service` keeping its tables in the SQLite file `folder/file` (default `<service>.db`)
    with no broker (NO_BROKER); other Settings fields (extra, auth_keys, mode ...) as given."""
    path = Path(folder) / (file or f"{service}.db")
    return Settings(service=service, database_url=f"sqlite:///{path}", kafka_bootstrap=NO_BROKER, **fields)


# --- tokens --------------------------------------------------------------------------------------------

def token_for(identity: Identity, keyring: Keyring | None = None, **mint) -> str:
    """The bare bearer token of `identity` (what `?token=` or a generated client takes).

    Without `keyring` or mint options: the very token `headers_for(identity)` sends (reused, so it
    compares equal to what a service forwards). With them (`ttl_s`, `audience`, another keyring): a
    fresh one minted by that keyring (default: the test issuer's)."""
    if keyring is None and not mint:
        return headers_for(identity)["Authorization"].removeprefix("Bearer ")
    ring = keyring or default_keyring()
    return ring.mint(identity.subject, identity.role, identity.region, **mint)


# --- response contracts ----------------------------------------------------------------------------------

def assert_answers(name: str, body) -> None:
    """`body` keeps the response contract contracts/http/<name>.schema.json (the first issues in the message)."""
    from services.common import contracts
    issues = contracts.validate_body(name, body)
    assert issues == [], issues[:3]


def response_ref(client, path: str, method: str, status: str = "200") -> str:
    """The schema reference the served OpenAPI document gives the answer of `method path`."""
    paths = client.get("/openapi.json").get_json()["paths"]
    return paths[path][method]["responses"][status]["content"]["application/json"]["schema"]["$ref"]


def drop_schemas(database_url: str, names: list[str]) -> None:
    """Drop the throw-away schemas a test made on a PostgreSQL server (nothing on SQLite). A schema
    still locked by a transaction the test left open is left behind with a warning, not waited on."""
    if not names or not database_url.startswith("postgresql"):
        return
    engine = create_engine(normalise_url(database_url), connect_args={"options": "-clock_timeout=5000"})
    try:
        for name in names:
            try:
                with engine.begin() as conn:
                    conn.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
            except SQLAlchemyError as exc:
                warnings.warn(f"schema {name} left on the test server: {exc.__class__.__name__}", stacklevel=2)
    finally:
        engine.dispose()


# --- two transactions at once ------------------------------------------------------------------------

def meeting(fn: Callable, *, parties: int = 2, before: bool = False, timeout_s: float = 3.0) -> Callable:
    """`fn` wrapped so that its callers meet once each has run it (`before`: before they run it), so
    that all have read before any writes. A caller that waits `timeout_s` in vain goes on alone: where
    the code makes transactions take turns, the others wait on a lock it holds."""
    met = threading.Barrier(parties)

    def meet() -> None:
        try:
            met.wait(timeout=timeout_s)
        except threading.BrokenBarrierError:
            pass

    def wrapped(*args, **kwargs):
        if before:
            meet()
        result = fn(*args, **kwargs)
        if not before:
            meet()
        return result
    return wrapped


def at_once(*calls: Callable, timeout_s: float = 30.0) -> list:
    """Run the calls in threads of their own, together: each one's result, or the exception it raised."""
    results: list = [None] * len(calls)

    def run(i: int, call: Callable) -> None:
        try:
            results[i] = call()
        except Exception as exc:   # noqa: BLE001 - the caller asserts on what each call ended with
            results[i] = exc
    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout_s)
    assert not any(t.is_alive() for t in threads), "a call did not end"
    return results
