"""Who uses the twin: a signed-in user, proven by a token issued for them, kept on the server.

A user signs in with a token minted for them (`python -m services.common.users token <user>`, or
var/tokens.json written by `make run`): pasted in the sign-in form, or once as `?token=` in the
address. The twin verifies it with the deployment's keyring (services.common.tokens) and keeps it
in its own session table (`Sessions`): the browser's cookie holds only a random session id, never
the token, so a copied cookie opens nothing but this twin, and only until the user signs out (the
session is revoked there and then) or the token expires. The twin forwards the user's token on
every call it makes for them (an approval goes to matching as them, so matching decides by their
role and region).

The twin never mints a token for a person, except for the one-click demo users (users.yaml) of a
demo (DEMO=1) or an exercise, and then only to a browser on this machine (loopback, not forwarded
by a proxy); the sign-in page says so. A live deployment (DEMO=0, or DEMO unset) never offers it.
A sign-in form is accepted only from a page of this twin (its Origin, else its Referer, is this
site); no state-changing request with a foreign Origin is served. After signing in the browser goes
back only to a page of the twin (`safe_next`: an allow-list of paths, never another host).

Every response carries the twin's security headers (`SECURITY_HEADERS`, `content_security_policy`):
nothing loaded from another origin, no framing. Every route but /health, the sign-in pages and
Dash's static assets needs a signed-in user: pages redirect to the sign-in page, everything else is 401.

    TWIN_SECRET_KEY     keys the session table (ids are stored as HMACs); else var/twin/session.key
    TWIN_SECURE_COOKIE  1: the cookie is Secure (the twin is served over TLS behind a proxy);
                        by default it is Secure whenever the request itself came over TLS
    TWIN_ORIGIN         the twin's public origin (https://twin.example) when a proxy changes Host
"""
from __future__ import annotations

import hashlib
import hmac
import ipaddress
import os
import re
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping
from urllib.parse import parse_qsl, urlencode, urlsplit

import jwt
from flask import Flask, Response, g, has_app_context, jsonify, redirect, request
from markupsafe import escape

from services.common import users as user_list
from services.common.auth import ROLES, Identity
from services.common.config import VAR
from services.common.tokens import DEFAULT_TTL_S, InvalidToken, Keyring
from twin.ui.messages import DEFAULT_LANGUAGE, LANGUAGES, role_name, text

SIGNIN, SIGNOUT = "/signin", "/signout"
OPEN_PATHS = frozenset({"/health", SIGNIN, SIGNOUT, "/_favicon.ico"})
STATIC_PREFIXES = ("/_dash-component-suites/", "/assets/")
SECRET_FILE = VAR / "twin" / "session.key"
COOKIE = "twin_session"
# The pages a sign-in may return to, and the only query each keeps: the page's language everywhere, the
# board's wall-screen mode, the report's half-year. Another page of this twin returns to the map.
NEXT_PATHS = frozenset({"/", "/exercise", "/field", "/board", "/reception", "/reports/performance"})
NEXT_PAGES = re.compile(r"/exercise/[A-Za-z0-9][A-Za-z0-9._-]{0,120}/report\.html")  # an after-action report
NEXT_QUERY = {"lang": lambda v: v in LANGUAGES, "wall": "1".__eq__, "period": re.compile(r"\d{4}(-H[12]|-(0[1-9]|1[0-2]))?").fullmatch}
NEXT_QUERY_OF = {"/board": ("lang", "wall"), "/reports/performance": ("lang", "period")}
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
FORWARDED = ("Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Real-IP")
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})

SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",  # Dash reads the page's ?lang= from the Referer of /_dash-layout
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}


def content_security_policy(script_hashes: list[str] = ()) -> str:
    """Everything from the twin itself. Dash's one inline script (the renderer's start) is allowed by its
    hash (`Dash.csp_hashes`), no other inline script runs. 'unsafe-eval' stays because the Plotly bundle
    Dash serves generates its WebGL code with `Function` (regl); Plotly and Dash set inline styles;
    MapLibre draws in workers started from blob: URLs and paints images from data: and blob: URLs.
    No frame may hold a twin page."""
    scripts = " ".join(["'self'", *script_hashes, "'unsafe-eval'"])
    return "; ".join([
        "default-src 'self'", f"script-src {scripts}", "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:", "font-src 'self' data:", "connect-src 'self'",
        "worker-src 'self' blob:", "child-src 'self' blob:", "object-src 'none'", "base-uri 'none'",
        "form-action 'self'", "frame-ancestors 'none'",
    ])


@dataclass(frozen=True)
class SignedIn:
    """The user of the request in hand: who they are and the token that proves it (forwarded as is)."""

    identity: Identity
    token: str
    name: str = ""


@dataclass(frozen=True)
class Session:
    token: str
    subject: str
    expires_at: float  # the token's own expiry: the session never outlives it


class Sessions:
    """The twin's session table, in memory: session id → the user's token. Ids are random (256 bits)
    and stored only as keyed HMACs, so the table itself holds no cookie that would work. A restart of
    the twin signs everyone out."""

    def __init__(self, secret: str, clock=time.time):
        self._key = secret.encode()
        self._clock = clock
        self._table: dict[str, Session] = {}
        self._lock = threading.Lock()

    def _digest(self, session_id: str) -> str:
        return hmac.new(self._key, session_id.encode(), hashlib.sha256).hexdigest()

    def open(self, token: str, subject: str, expires_at: float) -> str:
        session_id = secrets.token_urlsafe(32)
        with self._lock:
            self._expire()
            self._table[self._digest(session_id)] = Session(token, subject, expires_at)
        return session_id

    def get(self, session_id: str | None) -> Session | None:
        if not session_id:
            return None
        key = self._digest(session_id)
        with self._lock:
            found = self._table.get(key)
            if found is not None and found.expires_at <= self._clock():
                del self._table[key]
                return None
            return found

    def revoke(self, session_id: str | None) -> bool:
        if not session_id:
            return False
        with self._lock:
            return self._table.pop(self._digest(session_id), None) is not None

    def __len__(self) -> int:
        with self._lock:
            return len(self._table)

    def _expire(self) -> None:
        now = self._clock()
        for key in [k for k, s in self._table.items() if s.expires_at <= now]:
            del self._table[key]


def demo_enabled(mode: str, env: Mapping[str, str] | None = None) -> bool:
    """Demo conveniences (one-click demo users): in exercises, and with DEMO=1 (which `make run` sets).
    Unset is live: a deployment that forgets the variable offers no one-click sign-in."""
    env = os.environ if env is None else env
    return mode == "exercise" or env.get("DEMO", "0") == "1"


def session_secret(env: Mapping[str, str] | None = None, path: Path = SECRET_FILE) -> str:
    """TWIN_SECRET_KEY, else the key file (created once with a random key, readable by this account only)."""
    env = os.environ if env is None else env
    if env.get("TWIN_SECRET_KEY"):
        return env["TWIN_SECRET_KEY"]
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another twin process created it at the same moment
        else:
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def verify(token: str, keyring: Keyring) -> Identity:
    """The identity a token proves; InvalidToken when it is malformed, expired, foreign or names no known role."""
    return _claims(token, keyring)[0]


def _claims(token: str, keyring: Keyring) -> tuple[Identity, float]:
    claims = keyring.verify(token.strip())
    if claims.role not in ROLES:
        raise InvalidToken(f"unknown role {claims.role!r}")
    if not (len(claims.region) == 6 and claims.region.isdigit()):
        raise InvalidToken("the region is not a 6-digit region code")
    return Identity(claims.subject, claims.role, claims.region), expiry_of(token)


def expiry_of(token: str) -> float:
    """When a (verified) token expires; at most a duty shift from now, should it carry no `exp`."""
    cap = time.time() + DEFAULT_TTL_S
    try:
        exp = jwt.decode(token.strip(), options={"verify_signature": False}).get("exp")
    except jwt.InvalidTokenError:
        return cap
    return min(float(exp), cap) if isinstance(exp, (int, float)) else cap


def current_user() -> SignedIn | None:
    """The signed-in user of this request (session cookie, or a bearer token sent by a program)."""
    return getattr(g, "twin_user", None) if has_app_context() else None


def current_identity() -> Identity | None:
    user = current_user()
    return user.identity if user else None


def from_loopback(env: Mapping[str, str] | None = None) -> bool:
    """The request came from a browser on this machine: a loopback peer, addressed by a loopback name,
    and not relayed by a proxy (which would make every visitor look local)."""
    if any(request.headers.get(h) for h in FORWARDED):
        return False
    try:
        peer = ipaddress.ip_address((request.remote_addr or "").split("%")[0])
    except ValueError:
        return False
    host = (urlsplit("//" + (request.host or "")).hostname or "").lower()
    return peer.is_loopback and host in LOOPBACK_HOSTS


def same_origin(value: str | None, env: Mapping[str, str] | None = None) -> bool:
    """`value` (an Origin or a Referer) is this twin: TWIN_ORIGIN when set, else the request's own host."""
    if not value or value == "null":
        return False
    env = os.environ if env is None else env
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return False
    configured = env.get("TWIN_ORIGIN")
    if configured:
        want = urlsplit(configured)
        return (parts.scheme, parts.netloc.lower()) == (want.scheme, want.netloc.lower())
    return parts.netloc.lower() == (request.host or "").lower()


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a page of the allow-list (NEXT_PATHS, NEXT_PAGES) with its
    language, the report's half-year and the board's wall mode kept; another page of this twin is the
    map in its language; anything else (another host, a scheme, backslashes, encoded or control
    characters) is "/"."""
    target = target or "/"
    if not target.startswith("/") or target.startswith("//") or any(c in target for c in "\\%@") \
            or any(ord(c) < 0x21 or ord(c) == 0x7f for c in target):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return "/"
    path = parts.path if parts.path in NEXT_PATHS or NEXT_PAGES.fullmatch(parts.path) else "/"
    query = parse_qsl(parts.query)
    kept = [next(((k, v) for k, v in query if k == name and NEXT_QUERY[name](v)), None)
            for name in NEXT_QUERY_OF.get(path, ("lang",))]
    kept = [pair for pair in kept if pair is not None]
    return path + (f"?{urlencode(kept)}" if kept else "")


class SignIn:
    """Installs the sign-in on the twin's Flask server: the guard before every request, the session
    table, the security headers after every response, and the pages."""

    def __init__(self, server: Flask, *, keyring: Keyring, demo: bool, users: dict[str, Identity] | None = None,
                 names: dict[str, str] | None = None, secret: str | None = None,
                 secure_cookie: bool | None = None, env: Mapping[str, str] | None = None):
        self.keyring, self.demo = keyring, demo
        self.env = dict(os.environ if env is None else env)
        self.users = users if users is not None else user_list.load()
        self.names = names or {}
        self.sessions = Sessions(secret or session_secret())
        self.secure_cookie = (self.env.get("TWIN_SECURE_COOKIE") == "1") if secure_cookie is None else secure_cookie
        self.script_hashes: list[str] = []  # Dash's inline scripts, set by the app once its callbacks exist
        server.before_request(self.guard)
        server.after_request(self.headers)
        server.add_url_rule(SIGNIN, "signin", self.signin_page, methods=["GET", "POST"])
        server.add_url_rule(SIGNOUT, "signout", self.signout, methods=["GET", "POST"])

    @property
    def demo_users(self) -> list[str]:
        """The people of users.yaml (not the services) a demo visitor may sign in as."""
        return [name for name in self.users if not name.startswith("service:")] if self.demo else []

    def offers_demo(self) -> bool:
        """One-click demo sign-in for this request: demo mode, and a browser on this machine."""
        return bool(self.demo_users) and from_loopback(self.env)

    # --- every request --------------------------------------------------------------------------

    def guard(self):
        path = request.path
        if request.method not in SAFE_METHODS and request.headers.get("Origin") is not None \
                and not same_origin(request.headers["Origin"], self.env):
            return forbidden("the request comes from a page of another site")
        if path in OPEN_PATHS or path.startswith(STATIC_PREFIXES):
            return None
        if request.method == "GET" and request.args.get("token"):
            return self._sign_in_from_query()
        user = self._user_of_request()
        if user is not None:
            g.twin_user = user
            return None
        if request.method == "GET" and request.accept_mimetypes.accept_html and not path.startswith("/_dash"):
            return redirect(f"{SIGNIN}?{urlencode({'lang': lang_of_request(), 'next': safe_next(request.full_path)})}")
        return unauthorised("sign in first: no valid token (session or Authorization: Bearer)")

    def _user_of_request(self) -> SignedIn | None:
        scheme, _, bearer = (request.headers.get("Authorization") or "").partition(" ")
        if scheme.lower() == "bearer" and bearer.strip():
            token = bearer.strip()
        else:
            session = self.sessions.get(request.cookies.get(COOKIE))
            if session is None:
                return None
            token = session.token
        try:
            identity = verify(token, self.keyring)
        except InvalidToken:
            self.sessions.revoke(request.cookies.get(COOKIE))  # expired or from a retired key: sign in again
            return None
        return SignedIn(identity, token, self.names.get(identity.subject, ""))

    def _sign_in_from_query(self):
        """`?token=` once: verify, open a session, and drop the token from the address."""
        token = request.args["token"]
        try:
            self._claims(token)
        except InvalidToken as exc:
            return self.render(error=str(exc)), 401
        query = urlencode([(k, v) for k, v in request.args.items(multi=True) if k != "token"])
        return self._keep(token, safe_next(request.path + (f"?{query}" if query else "")))

    def _claims(self, token: str) -> tuple[Identity, float]:
        return _claims(token, self.keyring)

    def _keep(self, token: str, target: str) -> Response:
        """A new session for `token` (the old one of this browser, if any, revoked) and its cookie."""
        identity, expires_at = self._claims(token)
        self.sessions.revoke(request.cookies.get(COOKIE))
        session_id = self.sessions.open(token.strip(), identity.subject, expires_at)
        resp = redirect(target)
        resp.set_cookie(COOKIE, session_id, max_age=max(int(expires_at - time.time()), 0), path="/",
                        httponly=True, samesite="Lax", secure=self.secure_cookie or request.is_secure)
        return resp

    # --- every response -------------------------------------------------------------------------

    def headers(self, resp: Response) -> Response:
        for name, value in SECURITY_HEADERS.items():
            resp.headers.setdefault(name, value)
        resp.headers.setdefault("Content-Security-Policy", content_security_policy(self.script_hashes))
        if not request.path.startswith(STATIC_PREFIXES):
            resp.headers.setdefault("Cache-Control", "no-store")  # what a user sees stays out of caches
        return resp

    # --- the pages ------------------------------------------------------------------------------

    def signin_page(self):
        if request.method == "GET":
            return self.render()
        if not same_origin(request.headers.get("Origin") or request.headers.get("Referer"), self.env):
            return self.render(error=text("signin_cross_site", lang_of_request())), 403
        form = request.form
        if form.get("user"):
            if not self.offers_demo() or form["user"] not in self.demo_users:
                return self.render(error=text("signin_no_demo", lang_of_request())), 403
            token = user_list.token(form["user"], self.keyring, users=self.users)
        else:
            token = (form.get("token") or "").strip()
            try:
                self._claims(token)
            except InvalidToken as exc:
                return self.render(error=str(exc)), 401
        return self._keep(token, safe_next(form.get("next")))

    def signout(self):
        """Revokes the session (a copy of the cookie opens nothing from now on) and clears the cookie."""
        self.sessions.revoke(request.cookies.get(COOKIE))
        resp = redirect(f"{SIGNIN}?lang={lang_of_request()}")
        resp.delete_cookie(COOKIE, path="/", httponly=True, samesite="Lax",
                           secure=self.secure_cookie or request.is_secure)
        return resp

    def render(self, error: str | None = None) -> str:
        lang = lang_of_request()
        nxt = escape(safe_next(request.values.get("next") or f"/?lang={lang}"))
        parts = [f"<!doctype html><html lang='{lang}'><head><meta charset='utf-8'><title>{text('signin', lang)}"
                 f"</title></head><body style='font-family:sans-serif;margin:24px;max-width:720px'>",
                 f"<h1 style='font-size:21px'>{text('title', lang)}</h1><h2 style='font-size:17px'>{text('signin', lang)}</h2>",
                 " ".join(f"<a href='{SIGNIN}?lang={code}'>{name}</a>" for code, name in LANGUAGES.items())]
        if error:
            parts.append(f"<p id='signin-error' style='color:#b00'>{escape(error)}</p>")
        parts.append(f"<form method='post' action='{SIGNIN}?lang={lang}'><input type='hidden' name='next' value='{nxt}'>"
                     f"<p>{text('signin_paste', lang)}</p><textarea name='token' id='signin-token' rows='4' cols='80'>"
                     f"</textarea><br><button type='submit' id='signin-submit'>{text('signin', lang)}</button></form>")
        if self.offers_demo():
            parts.append(f"<div id='demo-users' style='border:2px dashed #c60;padding:8px;margin-top:16px'>"
                         f"<strong>{text('demo_users', lang)}</strong><p>{text('demo_users_note', lang)}</p>")
            for name in self.demo_users:
                who = self.users[name]
                parts.append(f"<form method='post' action='{SIGNIN}?lang={lang}' style='margin:4px 0'>"
                             f"<input type='hidden' name='next' value='{nxt}'>"
                             f"<button type='submit' name='user' value='{escape(name)}' id='demo-{escape(name)}'>"
                             f"{escape(name)}</button> {escape(self.names.get(name, ''))} · "
                             f"{role_name(who.role, lang)} · {who.region}</form>")
            parts.append("</div>")
        elif self.demo_users:
            parts.append(f"<p id='demo-local-only' style='color:#666'>{text('demo_local_only', lang)}</p>")
        parts.append("</body></html>")
        return "".join(parts)


def lang_of_request() -> str:
    lang = request.args.get("lang", DEFAULT_LANGUAGE)
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def unauthorised(reason: str):
    return _problem(401, "Not authenticated", "Authorization", reason)


def forbidden(reason: str):
    return _problem(403, "Forbidden", "Origin", reason)


def _problem(status: int, title: str, field: str, reason: str):
    body = {"type": "about:blank", "title": title, "status": status, "detail": reason,
            "errors": [{"field": field, "reason": reason}]}
    resp = jsonify(body)
    resp.status_code, resp.mimetype = status, "application/problem+json"
    return resp


def display_names(path: Path | None = None) -> dict[str, str]:
    """The `name` of each user in users.yaml (shown beside the user id)."""
    import yaml

    path = path or Path(os.environ.get("USERS_FILE") or user_list.USERS)
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))["users"]
    return {name: str(spec.get("name", "")) for name, spec in doc.items()}
