"""List routes answer in pages: ?limit= and ?offset= or ?after=, the whole count in X-Total-Count and the
next page in Link rel="next" (read here with requests' own header parser, as a client reads it), placed
after the page's last row; a reader that follows the links (paging.every_row) gets every row once, even
while rows are added."""
from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from requests.utils import parse_header_links

from services.common import paging
from services.common.auth import Identity, headers_for
from services.common.http import openapi_document
from services.demand.bootstrap import build_runtime, create_app
from services.matching import store as matching_store
from services.resources.store import insert_commitment
from tests.unit.test_demand_helpers import (  # noqa: F401 (now: the fixed clock)
    PROVINCE,
    T0,
    XIHU,
    incident,
    now,
    settings,
)

HANGZHOU = headers_for(Identity("hz-commander", "city_commander", "330100"))


def next_page(resp) -> tuple[str, dict]:
    """(path, query) of the response's Link rel="next", its `after` token decoded."""
    (link,) = parse_header_links(resp.headers["Link"])
    assert link["rel"] == "next"
    url = urlsplit(link["url"])
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    token = query.pop("after")
    query["after"] = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    return url.path, query


class Answer:
    """A Flask test response as `requests` shows one to a client: status_code, json(), links, url."""

    def __init__(self, resp, url: str):
        self.status_code, self.url, self._resp = resp.status_code, url, resp
        self.links = {link["rel"]: link for link in parse_header_links(resp.headers["Link"])} \
            if "Link" in resp.headers else {}

    def json(self):
        return self._resp.get_json()


def getter(client, calls: list):
    def get(url, params=None, headers=None, timeout=None):
        path = url.removeprefix("http://svc")
        calls.append(path)
        return Answer(client.get(path, query_string=params, headers=headers), url)
    return get


@pytest.fixture
def demand(tmp_path, now):  # noqa: F811
    runtime = build_runtime(settings(tmp_path))
    yield runtime, create_app(runtime).test_client()
    runtime.engine.dispose()


def test_incidents_come_in_pages_newest_first_with_the_count_and_the_next_page(demand, fixed_clock):
    _, client = demand
    ids = []
    for i in range(7):
        fixed_clock(T0 + timedelta(minutes=i))
        body = incident("330106" if i % 2 else "330783")
        ids.append(body["incident_id"])
        assert client.post("/incidents", json=body, headers=PROVINCE).status_code == 201
    first = client.get("/incidents?limit=3", headers=PROVINCE)
    assert first.status_code == 200 and first.headers["X-Total-Count"] == "7"
    assert [i["incident_id"] for i in first.get_json()] == ids[::-1][:3]           # newest first
    third = first.get_json()[-1]   # the next page starts after the page's last incident
    path, query = next_page(first)
    assert path == "/incidents" and query["limit"] == "3" and query["after"][::2] == ["incidents", third["incident_id"]]
    assert datetime.fromisoformat(query["after"][1]) == datetime.fromisoformat(third["reported_at"])
    behind = client.get("/incidents?limit=3", headers=PROVINCE, environ_overrides={"SCRIPT_NAME": "/demand"})
    assert next_page(behind)[0] == "/demand/incidents"  # a proxy's prefix kept
    second = client.get(parse_header_links(first.headers["Link"])[0]["url"], headers=PROVINCE)
    assert [i["incident_id"] for i in second.get_json()] == ids[::-1][3:6] and second.headers["X-Total-Count"] == "7"
    last = client.get("/incidents?limit=3&offset=6", headers=PROVINCE)
    assert [i["incident_id"] for i in last.get_json()] == [ids[0]] and "Link" not in last.headers
    # a reader that follows the links gets each incident once, in order
    calls = []
    resp, rows = paging.every_row(getter(client, calls), "http://svc/incidents", params={"limit": 3}, headers=PROVINCE)
    assert [i["incident_id"] for i in rows] == ids[::-1] and resp.status_code == 200
    assert len(calls) == 3 and all("offset" not in c for c in calls)
    # a city commander counts only its own counties' incidents, and the default page holds them all
    own = client.get("/incidents", headers=HANGZHOU)
    assert own.headers["X-Total-Count"] == "3" and "Link" not in own.headers
    assert {i["incident_id"] for i in own.get_json()} == set(ids[1::2])


def test_an_incident_reported_while_a_reader_pages_neither_repeats_nor_hides_one(demand, fixed_clock):
    """Newest first, an incident reported between two pages goes on top: by offset the next page would
    start one row early and repeat the last incident read; after the last row it starts where it should."""
    _, client = demand
    ids = []
    for i in range(6):
        fixed_clock(T0 + timedelta(minutes=i))
        body = incident("330106")
        ids.append(body["incident_id"])
        assert client.post("/incidents", json=body, headers=PROVINCE).status_code == 201
    first = client.get("/incidents?limit=3", headers=PROVINCE)
    fixed_clock(T0 + timedelta(minutes=10))
    assert client.post("/incidents", json=incident("330106"), headers=PROVINCE).status_code == 201
    second = client.get(parse_header_links(first.headers["Link"])[0]["url"], headers=PROVINCE)
    read = [i["incident_id"] for resp in (first, second) for i in resp.get_json()]
    assert read == ids[::-1] and second.headers["X-Total-Count"] == "7" and "Link" not in second.headers
    by_offset = client.get("/incidents?limit=3&offset=3", headers=PROVINCE).get_json()
    assert by_offset[0]["incident_id"] == ids[3]   # what offset paging gave: the third incident again


def test_the_next_page_keeps_the_filters_and_the_sort(demand):
    _, client = demand
    for _ in range(3):
        assert client.post("/incidents", json=incident("330106", people=3000), headers=PROVINCE).status_code == 201
    total = len(client.get("/requests?county=330106", headers=PROVINCE).get_json())
    assert total >= 3
    resp = client.get("/requests?county=330106&sort=grade&limit=1", headers=PROVINCE)
    assert resp.headers["X-Total-Count"] == str(total)
    row = resp.get_json()[0]
    path, query = next_page(resp)
    assert path == "/requests" and query["county"] == "330106" and query["sort"] == "grade" and query["limit"] == "1"
    assert query["after"][0] == "requests.grade" and query["after"][-1] == row["request_id"]
    calls = []
    _, rows = paging.every_row(getter(client, calls), "http://svc/requests",
                               params={"county": "330106", "sort": "grade", "limit": 1}, headers=PROVINCE)
    assert len(rows) == total == len({r["request_id"] for r in rows}) == len(calls)
    # a county officer sees and counts only its own
    assert client.get("/requests", headers=XIHU).headers["X-Total-Count"] == str(total)


@pytest.mark.parametrize("service, path", [("demand", "/incidents"), ("demand", "/requests"), ("matching", "/requests"),
                                           ("logistics", "/orders"), ("logistics", "/deployments"),
                                           ("resources", "/commitments")])
def test_a_bad_page_is_refused_naming_the_parameter(offline_runtime, service, path):
    client = create_app_of(service, offline_runtime)
    for query, fields in (("limit=0", ["limit"]), ("limit=1001", ["limit"]), ("limit=ten", ["limit"]),
                          ("offset=-1", ["offset"]), ("offset=²", ["offset"]), ("limit=0&offset=x", ["limit", "offset"])):
        resp = client.get(f"{path}?{query}", headers=PROVINCE)
        assert resp.status_code == 400, (path, query)
        assert [e["field"] for e in resp.get_json()["errors"]] == fields, (path, query)
    ok = client.get(f"{path}?limit={paging.MOST}&offset=0", headers=PROVINCE)
    assert ok.status_code == 200 and ok.headers["X-Total-Count"] == "0" and ok.get_json() == []


def token(*values) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


@pytest.mark.parametrize("service, path, name", [("demand", "/incidents", "incidents"),
                                                 ("demand", "/requests", "requests.deadline"),
                                                 ("matching", "/requests", "requests"),
                                                 ("logistics", "/orders", "orders"),
                                                 ("logistics", "/deployments", "deployments"),
                                                 ("resources", "/commitments", "commitments")])
def test_a_bad_position_is_refused_naming_after(offline_runtime, service, path, name):
    client = create_app_of(service, offline_runtime)
    at = "2026-05-01T08:00:00+00:00"
    good = token(name, at, "X-1")   # demand's requests by deadline (the default): by deadline, then by id
    ok = client.get(f"{path}?after={good}", headers=PROVINCE)
    assert ok.status_code == 200 and ok.get_json() == []
    for bad, reason in (("not-a-token!", "gave"), (token("elsewhere", at, "X-1"), "another list"),
                        (token(name, "2026-05-01T08:00:00", "X-1"), "zone"), (token(name, at), "gave"),
                        (token(name, at, 7), "string"), (token(name, 12, "X-1"), "zone"),
                        ("A" * 3000, "gave")):
        resp = client.get(f"{path}?after={bad}", headers=PROVINCE)
        assert resp.status_code == 400, (path, bad)
        (error,) = resp.get_json()["errors"]
        assert error["field"] == "after" and reason in error["reason"], (path, bad, error)
    both = client.get(f"{path}?after={good}&offset=2", headers=PROVINCE)
    assert both.status_code == 400 and both.get_json()["errors"] == [
        {"field": "after", "reason": "either after or offset, not both"}]


def create_app_of(service: str, offline_runtime):
    import importlib
    bootstrap = importlib.import_module(f"services.{service}.bootstrap")
    options = {"build_options": {"resources_url": None}} if service == "matching" else {}
    return bootstrap.create_app(offline_runtime(service, **options)).test_client()


def test_matchings_requests_are_paged_after_the_region_filter(offline_runtime):
    runtime = offline_runtime("matching", build_options={"resources_url": None})
    with runtime.engine.begin() as conn:
        for i in range(5):
            county = "330106" if i < 4 else "330783"
            matching_store.insert_request(conn, f"REQ-{i}", {"county": county, "grade": "III"}, status="pending",
                                          exclude=[], received_at=T0 + timedelta(minutes=i))
    from services.matching.bootstrap import create_app as matching_app
    client = matching_app(runtime).test_client()
    page = client.get("/requests?limit=2&offset=2", headers=HANGZHOU)
    assert [r["request_id"] for r in page.get_json()] == ["REQ-2", "REQ-3"]   # received first; 330783 not Hangzhou's
    assert page.headers["X-Total-Count"] == "4" and "Link" not in page.headers
    assert client.get("/requests?limit=2", headers=PROVINCE).headers["X-Total-Count"] == "5"


def test_commitments_are_paged_latest_first_for_the_province_and_a_region(offline_runtime):
    runtime = offline_runtime("resources")
    with runtime.engine.begin() as conn:
        for i in range(4):
            insert_commitment(conn, {"commit_id": f"C-{i}", "plan_id": f"P-{i}", "request_id": f"R-{i}",
                                     "county": "330106" if i % 2 else "330783", "grade": "III", "risk": 2,
                                     "task_start": T0, "task_end": T0 + timedelta(hours=4),
                                     "officer_ids": [], "status": "committed", "at": T0 + timedelta(minutes=i)})
    from services.resources.bootstrap import create_app as resources_app
    client = resources_app(runtime).test_client()
    page = client.get("/commitments?limit=3", headers=PROVINCE)
    assert [c["commit_id"] for c in page.get_json()] == ["C-3", "C-2", "C-1"] and page.headers["X-Total-Count"] == "4"
    assert next_page(page) == ("/commitments", {"limit": "3",
                                                "after": ["commitments", page.get_json()[-1]["at"], "C-1"]})
    rest = client.get(parse_header_links(page.headers["Link"])[0]["url"], headers=PROVINCE)
    assert [c["commit_id"] for c in rest.get_json()] == ["C-0"] and "Link" not in rest.headers
    own = client.get("/commitments?limit=1&offset=1", headers=HANGZHOU)    # received in Hangzhou: C-3 and C-1
    assert [c["commit_id"] for c in own.get_json()] == ["C-1"] and own.headers["X-Total-Count"] == "2"


def test_the_openapi_document_declares_the_page_parameters_and_headers():
    from services.demand.http import api
    doc = openapi_document("demand", api.routes)
    op = doc["paths"]["/incidents"]["get"]
    assert {p["name"] for p in op["parameters"]} >= {"limit", "offset", "after"}
    assert set(op["responses"]["200"]["headers"]) == {"X-Total-Count", "Link"}
    assert "headers" not in doc["paths"]["/incidents/{incident_id}"]["get"]["responses"]["200"]
    from services.resources.http import api as resources_api
    search = openapi_document("resources", resources_api.routes)["paths"]["/officers"]["get"]   # its count in its body
    assert {p["name"] for p in search["parameters"]} >= {"limit", "offset", "after"}
    assert set(search["responses"]["200"]["headers"]) == {"Link"}


def test_a_refused_page_ends_the_read_with_that_answer():
    class Refused:
        status_code, links, url = 403, {}, "http://svc/x"

        def json(self):
            return {"title": "Not permitted"}

    resp, rows = paging.every_row(lambda url, **kw: Refused(), "http://svc/x")
    assert rows is None and resp.status_code == 403



def test_the_default_page_is_the_one_the_route_declares():
    from flask import Flask
    from sqlalchemy import Column, Integer, MetaData, Table

    from services.common.api import Api
    from services.common.keyset import Order

    api = Api("pages")
    order = Order("numbers", Table("numbers", MetaData(), Column("n", Integer)).c.n)

    @api.route("GET", "/numbers", "Numbers", paged=2)
    def numbers():
        limit, offset, after = paging.args(order)
        rows = [{"n": n} for n in range(5) if after is None or n > after[0]][offset:offset + limit + 1]
        return paging.answer(rows, 5, limit, order, lambda row: row["n"])

    app = Flask("pages")
    app.register_blueprint(api.blueprint)
    client = app.test_client()
    first = client.get("/numbers")
    assert first.get_json() == [0, 1] and first.headers["X-Total-Count"] == "5"
    assert next_page(first) == ("/numbers", {"limit": "2", "after": ["numbers", 1]})
    assert client.get(parse_header_links(first.headers["Link"])[0]["url"]).get_json() == [2, 3]
    assert client.get("/numbers?limit=5").get_json() == [0, 1, 2, 3, 4]
    declared = {name: text for name, text, _ in api.routes[0].query}
    assert "(default 2)" in declared["limit"] and set(declared) == {"limit", "offset", "after"}
