"""The kit every service is built from. Its public surface is re-exported here (`__all__`):

    from services.common import Runtime, Settings, Api, Problem, Context, Tx, Event, Periodic, now

Which module does which job:

Composition and configuration
    runtime       the composition root of a service process: database, outbox, relay, worker, app
    config        Settings, from environment variables with working defaults
    clock         the one source of "now" (an exercise runs on its own clock)
    periodic, pacing   background loops paced on the process clock
    leadership    one relay per service, however many instances run
    logs, metrics, faults   structured logs, Prometheus metrics, test-only fault points

HTTP
    api           Api: each route declared once (URL map, OpenAPI, permission check)
    http          what every app shares: Problem responses, body validation, health, metrics
    api_docs      /docs over the service's own OpenAPI
    auth, tokens, users, permissions, approval, security, throttle, access_log   who may call what

Events: the envelope and its chain
    envelope      Event, the CloudEvents envelope; sealing an event into its producer's hash chain
    chain         the one chain verifier: a whole chain, or one event against its neighbours
    keys          the key registry: who may publish, and the keys that verify their events
    topics        the topic list (contracts/topics.yaml) and who owns each topic
    contracts     the JSON Schemas in contracts/ as Python: validation, examples, AsyncAPI
    strict_json   JSON as RFC 8259 has it (no NaN, no infinity), for bodies and records

Events: producing
    outbox        Outbox and Tx: a state change and the events it causes commit together
    relay         publishes committed outbox rows; re-publishes the ledger after a broker wipe
    ledger        the producer's outbox verified record by record (GET /audit/ledger)

Events: consuming
    worker        the consumer loop: validate, honour mode, de-duplicate, handle (Context), commit
    inbox         what a consumer has handled and which chain links it has seen
    dead_letters  records that cannot be handled, parked on the dead-letter topic with the reason
    wipe          has the broker lost records it held? (shared by the relay and the worker)
    observed      the incidents a service has heard of

The broker (only these modules import kafka)
    bus           Bus: one broker connection's clients, each job handed to the module below
    producer, subscription, admin, readback   publishing, group consuming, topics, reading back

Storage
    storage       SQLAlchemy engines and the kit's own tables
    sealing, private   personal fields encrypted at rest, private files

Names are imported on first use, so importing one module of the kit does not load them all.
"""
from __future__ import annotations

from importlib import import_module

TYPE_CHECKING = False  # not typing's: importing the package stays as cheap as it was

# name -> the module that defines it
_EXPORTS = {
    "Api": "api",
    "Context": "worker",
    "Event": "envelope",
    "Handler": "worker",
    "Periodic": "periodic",
    "Problem": "http",
    "Runtime": "runtime",
    "Settings": "config",
    "Tx": "outbox",
    "now": "clock",
}

__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:  # for type checkers and editors; at run time __getattr__ imports on first use
    from .api import Api as Api
    from .clock import now as now
    from .config import Settings as Settings
    from .envelope import Event as Event
    from .http import Problem as Problem
    from .outbox import Tx as Tx
    from .periodic import Periodic as Periodic
    from .runtime import Runtime as Runtime
    from .worker import Context as Context
    from .worker import Handler as Handler


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value  # looked up once
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
