"""A service's HTTP surface, declared once per route.

Each service has one `http.py` holding an `Api` and its views as module-level functions:

    api = Api("matching")

    @api.route("POST", "/plans/{plan_id}/approve", "Approve a plan ...", body="plan-approval")
    def approve(plan_id: str):
        deps = current_deps()            # the service's typed dependencies (its bootstrap.py)
        ...

That one declaration feeds the Flask URL map (the Blueprint), the OpenAPI document (`api.routes`,
path parameters read from the path) and the check that the permission table (permissions.yaml, the
one reviewed document of who may call what, which the twin reads too) has a rule for every route and
no rule for a route the service does not serve: `Runtime.install` refuses to build an app whose
routes and table disagree. `api.objects(...)` names what a path parameter points at, so the
permission hook can check the object's region (permissions.objects).

Views refuse with `Problem` (common/http.py), the one refusal type: status, title, the field and
the reason.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from flask import Blueprint, current_app

from . import paging
from .http import JSON, Route, query_params

_PARAM = re.compile(r"{([^{}]+)}")


def flask_rule(path: str) -> str:
    """'/plans/{plan_id}' (OpenAPI, the permission table) → '/plans/<plan_id>' (Flask)."""
    return _PARAM.sub(r"<\1>", path)


class Api:
    """The routes of one service (or one part of it: several `Api`s may be installed on one app)."""

    def __init__(self, name: str):
        self.name = name
        self.blueprint = Blueprint(name, __name__)
        self.routes: list[Route] = []
        self.resolvers: dict[str, Callable[[str], Iterable[str] | None]] = {}
        self.general: set[str] = set()

    def route(self, method: str, path: str, summary: str, *, body: str | None = None,
              response: str | None = None, status: int = 200, media: tuple[str, ...] = (JSON,),
              query: dict[str, str | tuple[str, str]] | None = None, answers: str | None = None,
              paged: int | None = None, linked: bool = False):
        """Declare `METHOD path` (OpenAPI form) with its summary, contracts and query parameters
        ({name: description, or (description, JSON type)}), and serve it with the decorated function.
        `answers`: the media type of a success answer that is not JSON (its contract is then a string).
        `paged`: a list answered in pages of this many rows by default (`?limit=`, `?offset=`; the view
        answers with paging.answer, which sets the headers X-Total-Count and Link). `linked`: an answer
        that names its next page in the header Link alone (paging.next_link; the count in its body)."""
        params = tuple(_PARAM.findall(path))
        if paged:
            query = {**(query or {}), **paging.declared(paged)}

        def register(view):
            if paged:
                view.page_default = paged   # paging.args() reads it
            self.blueprint.add_url_rule(flask_rule(path), endpoint=view.__name__, view_func=view, methods=[method])
            self.routes.append(Route(method, path, summary, body=body, response=response, status=status,
                                     params=params, media=media, query=query_params(query), answers=answers,
                                     paged=bool(paged), linked=linked))
            return view
        return register

    def objects(self, resolvers: dict[str, Callable[[str], Iterable[str] | None]], general: Iterable[str] = ()) -> None:
        """What the path parameters name: an object whose regions the resolver loads by id, or general
        data bound to no region (permissions.objects)."""
        self.resolvers.update(resolvers)
        self.general.update(general)


def current_deps():
    """The running service's dependencies (its bootstrap's typed object), for a view or a resolver."""
    return current_app.extensions["deps"]
