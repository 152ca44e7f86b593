"""resources' officer answers as their response contracts describe them (contracts/http/officer and
officers): a search page, a read by id, a single read and an edit, as each role sees them, on a pool that
holds committed, resting, imported and demo officers; and the roster import refuses what the
contract could not show back."""
from __future__ import annotations

import base64
import copy
import json
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import pytest
from requests.utils import parse_header_links

from services.common import contracts
from services.common.auth import Identity, headers_for
from services.common.config import CONTRACTS
from services.resources.commit import commit_plan
from services.resources.domain import roster_rows
from tests.helpers import assert_answers, offline_settings, response_ref

DONGYANG = "330783"
ROLES = {
    "province": Identity("zj", "province_commander"),
    "city": Identity("jh-city", "city_commander", "330700"),
    "county": Identity("dy-duty", "county_duty_officer", DONGYANG),
    "manager": Identity("dy-hr", "resource_manager", DONGYANG),
}


@pytest.fixture(scope="module")
def pool(tmp_path_factory):
    from services.resources.bootstrap import build_runtime, create_app, seed_demo_if_empty
    runtime = build_runtime(offline_settings("resources", tmp_path_factory.mktemp("officers")))
    assert seed_demo_if_empty(runtime, officers_n=2000, seed=11) == 2000
    client = create_app(runtime).test_client()
    roster = contracts.example_body("roster-import")           # a 东阳 officer with every column
    bare = {"officer_id": "ZJ330783-09002", "name": "李", "county": DONGYANG, "unit_id": "U330783-C-FOR001",
            "module": "patrol", "status": "on_duty"}               # the required columns only
    roster["officers"].append(bare)
    assert client.post("/roster/import", json=roster, headers=headers_for(Identity("i", "integrator"))).status_code == 200
    committed = [o["officer_id"] for o in get(client, "province", "/officers?county=330783&status=on_duty&limit=3")["items"]]
    now = datetime.now(timezone.utc)
    plan = {"plan_id": "PLAN-CONTRACT", "request_id": "REQ-CONTRACT", "county": "330782", "grade": "III",
            "at": now.isoformat(), "task_start": now.isoformat(), "task_end": (now + timedelta(hours=4)).isoformat(),
            "assignments": [{"officer_id": i} for i in committed]}
    with runtime.outbox.transaction() as tx:
        assert commit_plan(tx, plan, runtime.settings.extra["policy"], now)["status"] == "committed"
    yield client, committed
    runtime.engine.dispose()


def get(client, role: str, url: str) -> dict:
    answer = client.get(url, headers=headers_for(ROLES[role]))
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


@pytest.mark.parametrize("role", sorted(ROLES))
def test_every_officer_answer_keeps_its_contract(pool, role):
    client, committed = pool
    pages = [get(client, role, "/officers?limit=1000"),
             get(client, role, "/officers?county=330783&limit=200"),
             get(client, role, "/officers?lon=120.24&lat=29.29&max_travel_min=90&limit=100")]
    for page in pages:
        assert_answers("officers", page)
    assert all("travel_s" in o for o in pages[2]["items"]) and pages[2]["items"]
    ids = [o["officer_id"] for o in pages[1]["items"][:20]] + ["ZJ330783-09001", "ZJ330783-09002", *committed,
                                                               "ZJ330102-00001", "NO-SUCH-OFFICER"]
    by_id = get(client, role, "/officers?ids=" + ",".join(ids))
    assert_answers("officers", by_id)
    assert "NO-SUCH-OFFICER" in by_id["not_shown"]
    for officer_id in ("ZJ330783-09001", "ZJ330783-09002", committed[0]):
        assert_answers("officer", get(client, role, f"/officers/{officer_id}"))

    shown = pages[0]["items"] + by_id["items"]
    statuses = {o["status"] for o in shown}
    assert {"reserved", "resting", "on_duty"} <= statuses, statuses     # the pool's states, each checked
    assert any(o["commit_id"] for o in shown) and any(o["rest_until"] for o in shown)
    if role == "manager":                                   # personnel: the record as the roster holds it
        assert not any("masked" in o for o in shown)
        assert get(client, role, "/officers/ZJ330783-09001")["phone"] == "13800001234"
    else:
        assert all(o["masked"] == ["phone", "home_address", "id_number"] for o in shown)
    placed = [o for o in shown if o["position"]]
    assert bool(placed) == (role == "province"), "live positions for the province command only"


@pytest.mark.parametrize("role, query, size", [("province", "status=on_duty", 25), ("city", "module=patrol", 25),
                                               ("county", "", 7),
                                               ("province", "lon=120.24&lat=29.29&max_travel_min=90", 25)])
def test_a_reader_following_next_gets_the_whole_search_once_each_page_in_its_contract(pool, role, query, size):
    """Page after page by `next` (the header's Link naming the same position, the filters kept), as one
    page of a thousand gives them: by id, or by travel time with a point; only the caller's region."""
    client, _ = pool
    whole = get(client, role, f"/officers?{query}&limit=1000")
    assert 2 * size < whole["total"] <= 1000 and "next" not in whole
    seen, url = [], f"/officers?{query}&limit={size}"
    while True:
        answer = client.get(url, headers=headers_for(ROLES[role]))
        page = answer.get_json()
        assert answer.status_code == 200 and page["total"] == whole["total"] and page["limit"] == size
        assert_answers("officers", page)
        assert ("offset" in page) == (not seen)      # a page asked with after has no offset
        seen += page["items"]
        if "next" not in page:
            assert "Link" not in answer.headers
            break
        (link,) = parse_header_links(answer.headers["Link"])
        url = link["url"]
        target = parse_qs(urlsplit(url).query)
        assert link["rel"] == "next" and target["after"] == [page["next"]] and target["limit"] == [str(size)]
        assert all(target[k] == v for k, v in parse_qs(query).items()), (target, query)
    assert [o["officer_id"] for o in seen] == [o["officer_id"] for o in whole["items"]]
    assert seen == whole["items"]
    if role != "province":
        assert {o["county"][:4] for o in seen} == {ROLES[role].region[:4]}
        assert role == "city" or {o["county"] for o in seen} == {ROLES[role].region}


def test_a_search_page_asked_at_a_bad_position_is_refused_naming_after(pool):
    client, _ = pool
    headers = headers_for(ROLES["province"])
    by_id = get(client, "province", "/officers?limit=5")["next"]
    by_travel = get(client, "province", "/officers?lon=120.24&lat=29.29&max_travel_min=90&limit=5")["next"]
    point = "lon=120.24&lat=29.29&max_travel_min=90"
    forged = _token("officers.by_travel", "x", "A")
    for url, reason in ((f"/officers?after={by_travel}", "another list"),
                        (f"/officers?{point}&after={by_id}", "another list"),
                        ("/officers?after=!!", "gave"), (f"/officers?{point}&after={forged}", "not a number"),
                        (f"/officers?after={by_id}&offset=5", "either after or offset")):
        answer = client.get(url, headers=headers)
        assert answer.status_code == 400, url
        assert [(e["field"], reason in e["reason"]) for e in answer.get_json()["errors"]] == [("after", True)], url
    assert client.get(f"/officers?{point}&after={by_travel}", headers=headers).status_code == 200


def _token(*values) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def test_an_edit_answers_the_officer_as_the_contract_says(pool):
    client, _ = pool
    edited = client.patch("/officers/ZJ330783-09002", json={"tags": ["first_aid"], "phone": "13900002222"},
                          headers=headers_for(ROLES["manager"]))
    assert edited.status_code == 200 and edited.get_json()["tags"] == ["first_aid"]
    assert_answers("officer", edited.get_json())
    seen_by_county = get(client, "county", "/officers/ZJ330783-09002")
    assert seen_by_county["phone"] == "139****2222"
    assert_answers("officer", seen_by_county)


def test_the_contract_refuses_what_a_client_could_not_rely_on():
    officer = contracts.example_body("officer")
    for broken, field in [({**officer, "phone": "13800001234"}, "phone"),          # masked record, phone in clear
                          ({**officer, "id_number": "330783198801011234"}, "id_number"),
                          ({**officer, "status": "asleep"}, "status"),
                          ({**officer, "role_class": "Mobile"}, "role_class"),
                          ({**officer, "rest_until": "tomorrow"}, "rest_until"),
                          ({k: v for k, v in officer.items() if k != "station"}, "station"),
                          ({**officer, "position": {"lon": 120.2}}, "position")]:
        assert any(i.field.startswith(field) for i in contracts.validate_body("officer", broken)), field
    unmasked = {k: v for k, v in officer.items() if k != "masked"}
    assert contracts.validate_body("officer", {**unmasked, "phone": "13800001234"}) == []
    page = {"total": 1, "offset": 0, "limit": 50, "items": [officer]}
    assert contracts.validate_body("officers", page) == []
    assert contracts.validate_body("officers", {**page, "not_shown": []}) != []     # neither shape
    assert contracts.validate_body("officers", {"items": [officer]}) != []


def test_the_roster_refuses_a_role_class_or_a_text_the_pool_could_not_show_back(pool):
    client, _ = pool
    row = copy.deepcopy(contracts.example_body("roster-import")["officers"][0])
    integrator = headers_for(Identity("i", "integrator"))
    for change, field, reason in [({"role_class": "Mobile"}, "role_class", "one of mobile, specialist"),
                                  ({"name": "陈" * 65}, "name", "at most 64 characters"),
                                  ({"id_number": "3" * 33}, "id_number", "at most 32 characters")]:
        refused = client.post("/roster/import", json={"officers": [{**row, **change}]}, headers=integrator)
        assert refused.status_code == 422, refused.get_json()
        errors = refused.get_json()["errors"]
        assert [e["field"] for e in errors] == [f"officers.0.{field}"] and reason in errors[0]["reason"]
    assert get(client, "province", "/officers/ZJ330783-09001")["role_class"] == "specialist"   # nothing imported


def test_the_roster_limits_are_the_contracts():
    properties = json.loads((CONTRACTS / "http" / "officer.schema.json").read_text())["properties"]
    assert {name: properties[name]["maxLength"] for name in roster_rows.TEXT_LIMITS} == roster_rows.TEXT_LIMITS
    assert properties["role_class"] == {"$ref": "../defs.schema.json#/$defs/role_class"}
    assert roster_rows.ROLE_CLASSES == ("mobile", "specialist", "rotating", "regular")


def test_the_openapi_description_names_the_officer_contracts(pool):
    client, _ = pool
    assert response_ref(client, "/officers", "get") == "#/components/schemas/officers"
    assert response_ref(client, "/officers/{officer_id}", "get") == "#/components/schemas/officer"
    assert response_ref(client, "/officers/{officer_id}", "patch") == "#/components/schemas/officer"
