"""Pages of a list route: `?limit=` and `?offset=` or `?after=` in, the rows of the page out as the JSON
array the route always answered, with the whole count in `X-Total-Count` and, while rows are left, the
next page's address in `Link: <...>; rel="next"` (RFC 8288, relative to the request, as GitHub's API
pages). A client that reads only the body gets the first page; one that follows `rel="next"` (the
`links` of a `requests` response) gets every row.

The next page's address places it by key (`?after=`, keyset.py): after the last row given, in the
list's order. Following the links therefore costs about the same per page to the end of a long list,
and a row added meanwhile (on top of a list newest first) neither repeats a row nor hides one.
`?offset=` is still read, for a reader that jumps to a page.
"""
from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode, urljoin

from flask import current_app, jsonify, request

from .http import Problem
from .keyset import Order

MOST = 1000  # rows one page may hold
MOST_PAGES = 1000  # pages a reader follows before it stops (a million rows at the most per page)


def declared(default: int) -> dict[str, tuple[str, str]]:
    """The two query parameters as `api.route(query=...)` declares them."""
    return {"limit": (f"rows in the page, 1 to {MOST} (default {default}); the header Link rel=\"next\" names "
                      "the next page and X-Total-Count the rows in all", "integer"),
            "offset": ("rows skipped before the page (default 0); not with after", "integer"),
            "after": ("the page after this position: the value a page's Link rel=\"next\" carries "
                      "(an opaque token of this list and its order); not with offset", "string")}


def args(order: Order, default: int | None = None) -> tuple[int, int, tuple | None]:
    """(limit, offset, after) of the request, `after` the values of the row the page follows in `order`
    (None when not asked); a 400 naming each bad one (refused, not clamped: the caller learns the page
    it gets). `default`: the page's rows when no limit is asked; by default the number the view's route
    declares (`api.route(paged=...)`)."""
    if default is None:
        default = current_app.view_functions[request.endpoint].page_default
    errors = []
    limit, offset = page_of(request.args, default, errors)
    after = position_of(request.args, order, errors)
    if errors:
        raise Problem(400, "Bad page", errors)
    return limit, offset, after


def position_of(query, order: Order, errors: list[dict]) -> tuple | None:
    """The values `?after=` places the page after in `order` (None when not asked); a bad token, or
    one sent with `?offset=`, added to `errors`."""
    token = query.get("after")
    if not token:
        return None
    if query.get("offset"):
        errors.append({"field": "after", "reason": "either after or offset, not both"})
    try:
        return order.position(token)
    except ValueError as exc:
        errors.append({"field": "after", "reason": str(exc)})
        return None


def page_of(query, default: int, errors: list[dict], most: int = MOST) -> tuple[int, int]:
    """(limit, offset) read from a query string (`request.args`), each bad one added to `errors`."""
    return whole_number(query, "limit", default, 1, most, errors), whole_number(query, "offset", 0, 0, 10 ** 9, errors)


def whole_number(query, name: str, default: int, low: int, high: int, errors: list[dict]) -> int:
    """The query parameter `name` as a whole number from `low` to `high` written in ASCII digits (not
    "²" or "١", which Python's isdigit takes), `default` when it is absent or empty; else its issue is
    added to `errors` and `default` returned."""
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    if not (raw.isascii() and raw.isdigit()) or not low <= int(raw) <= high:
        errors.append({"field": name, "reason": f"an integer {low}-{high}"})
        return default
    return int(raw)


def answer(rows: list, total: int, limit: int, order: Order, view: Callable = lambda row: row):
    """The page as the route's JSON array (`view` of each row), with X-Total-Count and, while rows are
    left, Link rel="next" placing the next page after the last row. `rows`: the page as read with one
    row more than `limit` asked for (`limit + 1`), which says whether rows are left."""
    page = rows[:limit]
    resp = jsonify([view(row) for row in page])
    resp.headers["X-Total-Count"] = str(total)
    if len(rows) > limit:
        resp.headers["Link"] = next_link(order.token(page[-1]), limit)
    return resp


def next_link(after: str, limit: int) -> str:
    """`Link: <...>; rel="next"`: this request's address with `limit` and `after` in place of its limit,
    offset and after."""
    query = {k: v for k, v in request.args.lists() if k not in ("limit", "offset", "after")}
    query.update(limit=[str(limit)], after=[after])
    return f'<{request.script_root}{request.path}?{urlencode(query, doseq=True)}>; rel="next"'


def every_row(get: Callable, url: str, **kwargs) -> tuple[object, list | None]:
    """The client's side: `get(url, **kwargs)` (a requests session's get) and each next page its Link names,
    as (the last response, the rows of every page), or (the first response that is not a 200 JSON
    array, None). `params` go with the first request only: the next page's address carries them."""
    rows: list = []
    for _ in range(MOST_PAGES):
        resp = get(url, **kwargs)
        try:
            body = resp.json() if resp.status_code == 200 else None
        except ValueError:
            body = None
        if not isinstance(body, list):
            return resp, None
        rows += body
        following = (getattr(resp, "links", None) or {}).get("next", {}).get("url")
        if not following:
            return resp, rows
        url = urljoin(resp.url or url, following)
        kwargs.pop("params", None)
    return resp, rows
