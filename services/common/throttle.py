"""Failed sign-ins and bad tokens: counted, logged, and rate-limited per client (429 with Retry-After).

Each client address has an allowance of failures (auth-limits.yaml: a burst, refilled at a steady
rate). A request answered 401 takes one; while the allowance is empty, every request of that client
but the public ones is answered 429 with Retry-After, before its token is even looked at, so trying
tokens (or a stolen token's neighbours) costs time and shows in the metrics, the access log and
the logs. The state is per process (each gunicorn worker keeps its own), which bounds a client to
the burst times the number of workers.

Behind a reverse proxy the client address is the proxy's unless the proxy's X-Forwarded-For is
trusted (werkzeug's ProxyFix); a deployment that puts the services behind one configures that.
"""
from __future__ import annotations

import logging
import math
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import yaml
from flask import Flask, request

from .http import problem

log = logging.getLogger(__name__)
LIMITS_FILE = Path(__file__).with_name("auth-limits.yaml")


@dataclass(frozen=True)
class Limits:
    burst: int = 10
    forgiven_per_minute: float = 6.0
    remembered: int = 10000

    @classmethod
    def from_file(cls, path: Path = LIMITS_FILE, env: dict | None = None) -> "Limits":
        """The policy's numbers; AUTH_FAILURE_BURST and AUTH_FAILURES_FORGIVEN_PER_MINUTE override them."""
        env = os.environ if env is None else env
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        return cls(int(env.get("AUTH_FAILURE_BURST") or doc["failures"]["burst"]),
                   float(env.get("AUTH_FAILURES_FORGIVEN_PER_MINUTE") or doc["failures"]["forgiven_per_minute"]),
                   int(doc["clients"]["remembered"]))


class FailureLimiter:
    """A token bucket of failures per client: `burst` deep, refilled `forgiven_per_minute`."""

    def __init__(self, limits: Limits | None = None, clock=time.monotonic):
        self.limits = limits or Limits.from_file()
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # client -> (allowance, when)
        self._lock = threading.Lock()

    def _allowance(self, client: str, now: float) -> float:
        allowance, when = self._buckets.get(client, (self.limits.burst, now))
        return min(self.limits.burst, allowance + (now - when) * self.limits.forgiven_per_minute / 60)

    def retry_after(self, client: str) -> int | None:
        """Seconds until the client may try again, or None when it may now."""
        with self._lock:
            allowance = self._allowance(client, self.clock())
        if allowance >= 1:
            return None
        return max(1, math.ceil((1 - allowance) * 60 / self.limits.forgiven_per_minute))

    def failed(self, client: str) -> None:
        with self._lock:
            now = self.clock()
            self._buckets[client] = (max(0.0, self._allowance(client, now) - 1), now)
            if len(self._buckets) > self.limits.remembered:
                self._forget(now)

    def _forget(self, now: float) -> None:
        full = [c for c in self._buckets if self._allowance(c, now) >= self.limits.burst]
        for client in full:
            del self._buckets[client]
        while len(self._buckets) > self.limits.remembered:
            del self._buckets[min(self._buckets, key=lambda c: self._buckets[c][1])]


def reason_kind(reason: str | None) -> str:
    """A short label of why a credential failed (the metric's `reason`)."""
    text = (reason or "").lower()
    for kind, words in (("missing", ("required",)), ("expired", ("expired",)), ("audience", ("addressed",)),
                        ("unknown_key", ("unknown key", "unknown issuer")), ("signature", ("signature",))):
        if any(w in text for w in words):
            return kind
    return "invalid" if text else "refused"


def install(app: Flask, *, limiter: FailureLimiter | None = None, exempt=lambda: False,
            counts=lambda: True, on_failure=None, on_refused=None) -> FailureLimiter:
    """Refuse clients out of allowance (429) before anything else looks at the request, and take one
    from a client's allowance for every 401 that `counts()`. `exempt()` says a request is public;
    `on_failure(client, reason)` and `on_refused(client, retry_after)` count and record."""
    limiter = limiter or FailureLimiter()

    @app.before_request
    def _throttle():
        if exempt():
            return None
        client = request.remote_addr or "unknown"
        wait = limiter.retry_after(client)
        if wait is None:
            return None
        log.warning("client %s refused for %d s: too many failed sign-ins or bad tokens", client, wait)
        if on_refused is not None:
            on_refused(client, wait)
        resp = problem(429, "Too many failed sign-ins", f"too many failed sign-ins or bad tokens from this "
                       f"client; try again in {wait} s", [{"field": "Authorization", "reason": "rate limited"}])
        resp.headers["Retry-After"] = str(wait)
        return resp

    @app.after_request
    def _count(response):
        if response.status_code == 401 and counts():
            client = request.remote_addr or "unknown"
            limiter.failed(client)
            from flask import g
            reason = getattr(g, "auth_failure", None)
            log.warning("failed sign-in or bad token from %s on %s %s: %s", client, request.method, request.path,
                        reason or "refused")
            if on_failure is not None:
                on_failure(client, reason)
        return response

    app.extensions["failure_limiter"] = limiter
    return limiter


def sign_in_attempt() -> bool:
    """Whether the request in hand tried to sign in (a sign-in form, a `?token=` link, a bearer
    token), as opposed to a page whose session has simply ended."""
    return (request.path == "/signin" and request.method == "POST") or bool(request.args.get("token")) \
        or bool(request.headers.get("Authorization"))


def install_sign_in_limits(server: Flask, *, open_paths=("/health",),
                           static_prefixes=("/_dash-component-suites/", "/assets/")) -> FailureLimiter:
    """The twin's sign-in: failed attempts counted (mutual_deploy_signin_failures), logged and
    rate-limited per client like the services' bad tokens. Install before the sign-in guard."""
    from prometheus_client import Counter

    global _signin_failures
    if _signin_failures is None:
        _signin_failures = Counter("mutual_deploy_signin_failures", "Failed sign-ins at the twin (401), by reason",
                                   ["reason"])
    return install(server, exempt=lambda: request.path in open_paths or request.path.startswith(static_prefixes),
                   counts=sign_in_attempt,
                   on_failure=lambda _client, reason: _signin_failures.labels(reason_kind(reason)).inc())


_signin_failures = None
