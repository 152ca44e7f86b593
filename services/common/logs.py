"""Structured logs: one JSON object per line, with the incident's correlation id when it is known.

Every record carries `time`, `level`, `service`, `logger` and `message`, plus what the current
scope knows: `request_id` inside an HTTP request, `correlationid` (the incident) and `event_id`
while the worker handles an event, or after a request emitted an event. A log shipper (Loki,
Elasticsearch, journald) can then follow one incident across every service.

`LOG_FORMAT=text` gives the classic one-line text format for a terminal; `LOG_LEVEL` sets the level.
"""
from __future__ import annotations

import json
import logging
import os
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timezone

from kafka.errors import Cancelled

# The fields of the scope in hand (a request, an event); None outside any scope.
_scope: ContextVar[dict | None] = ContextVar("log_scope", default=None)


def open_scope(**fields):
    """Start a scope (e.g. an HTTP request); returns the token for `close_scope`."""
    return _scope.set({k: v for k, v in fields.items() if v is not None})


def close_scope(token) -> None:
    _scope.reset(token)


@contextmanager
def scope(**fields):
    """Fields added to every record logged inside the block (nested scopes inherit the outer ones)."""
    outer = _scope.get() or {}
    token = _scope.set({**outer, **{k: v for k, v in fields.items() if v is not None}})
    try:
        yield
    finally:
        _scope.reset(token)


def note(**fields) -> None:
    """Add fields to the scope in hand (e.g. the correlation id an HTTP request turned out to have);
    outside a scope nothing is kept, so one request's incident never leaks into the next."""
    current = _scope.get()
    if current is not None:
        current.update({k: v for k, v in fields.items() if v is not None})


def current() -> dict:
    return dict(_scope.get() or {})


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str):
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "service": self.service,
            "logger": record.name,
            "message": record.getMessage(),
            **current(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    def __init__(self, service: str):
        super().__init__("%(asctime)s %(levelname)s " + service + " %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        extra = " ".join(f"{k}={v}" for k, v in current().items())
        line = super().format(record)
        return f"{line} [{extra}]" if extra else line


def configure(service: str, env: dict | None = None) -> None:
    """Route every logger of the process to stderr in the chosen format (call once, at start)."""
    env = os.environ if env is None else env
    fmt = env.get("LOG_FORMAT", "json").lower()
    handler = logging.StreamHandler()
    handler.setFormatter(TextFormatter(service) if fmt == "text" else JsonFormatter(service))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(env.get("LOG_LEVEL", "INFO").upper())
    quiet_kafka()


class _OwnCancellation(logging.Filter):
    """kafka-python 3.0 logs `Metadata refresh: failed Cancelled` at ERROR when its own client cancelled
    the request: a consumer closed while its metadata refresh was on the wire (the wiped-broker
    check's read-back closes one after a look; seen about a minute or so after `make run` starts,
    in demand, matching and logistics). The library then refreshes again as usual; nothing failed.
    Such a record goes down to DEBUG. A refresh that failed for another reason (a connection lost,
    a timeout) names that error and stays an ERROR."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.ERROR and record.msg == "Metadata refresh: failed %s" \
                and isinstance(record.args, tuple) and len(record.args) == 1 \
                and isinstance(record.args[0], Cancelled):
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
            return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)
        return True


_OWN_CANCELLATION = _OwnCancellation()


def quiet_kafka() -> None:
    """kafka-python's loggers as every process here wants them: WARNING and up (its INFO is a line per
    partition move), without the ERROR it logs for a request its own client cancelled."""
    logging.getLogger("kafka").setLevel(logging.WARNING)
    cluster = logging.getLogger("kafka.cluster")
    if _OWN_CANCELLATION not in cluster.filters:
        cluster.addFilter(_OWN_CANCELLATION)
