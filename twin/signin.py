"""Who uses the twin: a signed-in user, proven by a token issued for them, kept in a signed cookie.

A user signs in with a token minted for them (`python -m services.common.users token <user>`, or
var/tokens.json written by `make run`): pasted in the sign-in form, or once as `?token=` in the
address. The twin verifies it with the deployment's keyring (services.common.tokens), keeps it in
its signed session cookie and forwards that very token on every call it makes for the user (an
approval goes to matching as them, so matching decides by their role and region). The twin never
mints a token for a person, except in demo and exercise modes, where the page offers the users of
users.yaml with one click (and says so). Every route but /health, the sign-in pages and Dash's
static assets needs a signed-in user: pages redirect to the sign-in page, everything else is 401.

    TWIN_SECRET_KEY   signs the session cookie; else a random key kept in var/twin/session.key
"""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Mapping
from urllib.parse import urlencode

from flask import Flask, g, jsonify, redirect, request, session
from markupsafe import escape

from services.common import users as user_list
from services.common.auth import ROLES, Identity
from services.common.config import VAR
from services.common.tokens import DEFAULT_TTL_S, InvalidToken, Keyring
from twin.messages import DEFAULT_LANGUAGE, LANGUAGES, role_name, text

SIGNIN, SIGNOUT = "/signin", "/signout"
OPEN_PATHS = frozenset({"/health", SIGNIN, SIGNOUT, "/_favicon.ico"})
STATIC_PREFIXES = ("/_dash-component-suites/", "/assets/")
SECRET_FILE = VAR / "twin" / "session.key"


@dataclass(frozen=True)
class SignedIn:
    """The user of the request in hand: who they are and the token that proves it (forwarded as is)."""

    identity: Identity
    token: str
    name: str = ""


def demo_enabled(mode: str, env: Mapping[str, str] | None = None) -> bool:
    """Demo conveniences (one-click demo users, simulated devices): in exercises, and with DEMO=1."""
    env = os.environ if env is None else env
    return mode == "exercise" or env.get("DEMO", "1") == "1"


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
    claims = keyring.verify(token.strip())
    if claims.role not in ROLES:
        raise InvalidToken(f"unknown role {claims.role!r}")
    if not (len(claims.region) == 6 and claims.region.isdigit()):
        raise InvalidToken("the region is not a 6-digit region code")
    return Identity(claims.subject, claims.role, claims.region)


def current_user() -> SignedIn | None:
    """The signed-in user of this request (session cookie, or a bearer token sent by a program)."""
    return getattr(g, "twin_user", None)


class SignIn:
    """Installs the sign-in on the twin's Flask server: the guard before every request and the pages."""

    def __init__(self, server: Flask, *, keyring: Keyring, demo: bool, users: dict[str, Identity] | None = None,
                 names: dict[str, str] | None = None, secret: str | None = None):
        self.keyring, self.demo = keyring, demo
        self.users = users if users is not None else user_list.load()
        self.names = names or {}
        server.secret_key = secret or session_secret()
        # The cookie is set when the session changes (sign-in, sign-out) and at no other time: were it
        # re-sent with every response, a map refresh still in flight when the user signs out would
        # put the old cookie back and undo the sign-out.
        server.config.update(SESSION_COOKIE_NAME="twin_session", SESSION_COOKIE_HTTPONLY=True,
                             SESSION_COOKIE_SAMESITE="Lax", SESSION_REFRESH_EACH_REQUEST=False,
                             PERMANENT_SESSION_LIFETIME=timedelta(seconds=DEFAULT_TTL_S))
        server.before_request(self.guard)
        server.add_url_rule(SIGNIN, "signin", self.signin_page, methods=["GET", "POST"])
        server.add_url_rule(SIGNOUT, "signout", self.signout, methods=["GET", "POST"])

    @property
    def demo_users(self) -> list[str]:
        """The people of users.yaml (not the services) a demo visitor may sign in as."""
        return [name for name in self.users if not name.startswith("service:")] if self.demo else []

    # --- every request --------------------------------------------------------------------------

    def guard(self):
        path = request.path
        if path in OPEN_PATHS or path.startswith(STATIC_PREFIXES):
            return None
        if request.method == "GET" and request.args.get("token"):
            return self._sign_in_from_query()
        user = self._user_of_request()
        if user is not None:
            g.twin_user = user
            return None
        if request.method == "GET" and request.accept_mimetypes.accept_html and not path.startswith("/_dash"):
            return redirect(f"{SIGNIN}?{urlencode({'lang': lang_of_request(), 'next': _local(request.full_path)})}")
        return unauthorised("sign in first: no valid token (session or Authorization: Bearer)")

    def _user_of_request(self) -> SignedIn | None:
        scheme, _, bearer = (request.headers.get("Authorization") or "").partition(" ")
        token = bearer.strip() if scheme.lower() == "bearer" else session.get("token")
        if not token:
            return None
        try:
            identity = verify(token, self.keyring)
        except InvalidToken:
            session.pop("token", None)  # expired or from a retired key: sign in again
            return None
        return SignedIn(identity, token, self.names.get(identity.subject, ""))

    def _sign_in_from_query(self):
        """`?token=` once: verify, keep it in the session, and drop it from the address."""
        token = request.args["token"]
        try:
            verify(token, self.keyring)
        except InvalidToken as exc:
            return self.render(error=str(exc)), 401
        self._keep(token)
        query = urlencode([(k, v) for k, v in request.args.items(multi=True) if k != "token"])
        return redirect(request.path + (f"?{query}" if query else ""))

    def _keep(self, token: str) -> None:
        session.clear()
        session.permanent = True
        session["token"] = token.strip()

    # --- the pages ------------------------------------------------------------------------------

    def signin_page(self):
        if request.method == "GET":
            return self.render()
        form = request.form
        if form.get("user"):
            if form["user"] not in self.demo_users:
                return self.render(error=text("signin_no_demo", lang_of_request())), 403
            token = user_list.token(form["user"], self.keyring, users=self.users)
        else:
            token = (form.get("token") or "").strip()
            try:
                verify(token, self.keyring)
            except InvalidToken as exc:
                return self.render(error=str(exc)), 401
        self._keep(token)
        return redirect(_local(form.get("next") or "/"))

    def signout(self):
        session.clear()
        return redirect(f"{SIGNIN}?lang={lang_of_request()}")

    def render(self, error: str | None = None) -> str:
        lang = lang_of_request()
        nxt = escape(_local(request.values.get("next") or f"/?lang={lang}"))
        parts = [f"<!doctype html><html lang='{lang}'><head><meta charset='utf-8'><title>{text('signin', lang)}"
                 f"</title></head><body style='font-family:sans-serif;margin:24px;max-width:720px'>",
                 f"<h1 style='font-size:21px'>{text('title', lang)}</h1><h2 style='font-size:17px'>{text('signin', lang)}</h2>",
                 " ".join(f"<a href='{SIGNIN}?lang={code}'>{name}</a>" for code, name in LANGUAGES.items())]
        if error:
            parts.append(f"<p id='signin-error' style='color:#b00'>{escape(error)}</p>")
        parts.append(f"<form method='post' action='{SIGNIN}?lang={lang}'><input type='hidden' name='next' value='{nxt}'>"
                     f"<p>{text('signin_paste', lang)}</p><textarea name='token' id='signin-token' rows='4' cols='80'>"
                     f"</textarea><br><button type='submit' id='signin-submit'>{text('signin', lang)}</button></form>")
        if self.demo_users:
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
        parts.append("</body></html>")
        return "".join(parts)


def lang_of_request() -> str:
    lang = request.args.get("lang", DEFAULT_LANGUAGE)
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def unauthorised(reason: str):
    body = {"type": "about:blank", "title": "Not authenticated", "status": 401, "detail": reason,
            "errors": [{"field": "Authorization", "reason": reason}]}
    resp = jsonify(body)
    resp.status_code, resp.mimetype = 401, "application/problem+json"
    return resp


def _local(target: str) -> str:
    """Only a path of this site (no scheme, no other host) is a place to return to after signing in."""
    target = target or "/"
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target.rstrip("?") or "/"


def display_names(path: Path | None = None) -> dict[str, str]:
    """The `name` of each user in users.yaml (shown beside the user id)."""
    import yaml

    path = path or Path(os.environ.get("USERS_FILE") or user_list.USERS)
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))["users"]
    return {name: str(spec.get("name", "")) for name, spec in doc.items()}
