"""The twin's links to the services' API documentation: by role, from the permission table, at the
address a browser reaches."""
from __future__ import annotations

from services.common import permissions
from services.common.auth import ROLES, Identity
from twin.ui import docs_links, ids
from twin.ui.signin import SignedIn
from twin.ui.user_bar import user_bar

ENV = {"DEMAND_URL": "http://demand:8101", "RESOURCES_URL": "http://resources:8102",
       "MATCHING_URL": "http://matching:8103", "LOGISTICS_URL": "http://logistics:8104"}


def test_commanders_and_integrators_are_shown_every_services_docs():
    for role in ("province_commander", "city_commander", "integrator", "auditor"):
        assert docs_links.readable_services(role) == ["demand", "resources", "matching", "logistics"], role


def test_a_role_is_shown_only_the_services_the_table_lets_it_call():
    table = permissions.table()
    for role in ROLES:
        for service in ("demand", "resources", "matching", "logistics"):
            callable_ = any(role in g for e, g in table.rules(service).items() if e not in table.public)
            assert (service in docs_links.readable_services(role)) == callable_, (role, service)
    assert "demand" not in docs_links.readable_services("support_officer")
    assert "matching" not in docs_links.readable_services("viewer")


def test_links_use_the_public_address_when_one_is_set():
    env = {**ENV, "DEMAND_PUBLIC_URL": "https://gw.police.example/demand/"}
    links = dict(docs_links.doc_links("integrator", env))
    assert links["demand"] == "https://gw.police.example/demand/docs"
    assert links["resources"] == "http://resources:8102/docs"  # no public address: the one the twin calls


def find(component, component_id):
    if getattr(component, "id", None) == component_id:
        return component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list) else [children] if children is not None else []:
        found = find(child, component_id)
        if found is not None:
            return found
    return None


def hrefs(component) -> list[str]:
    out = [component.href] if getattr(component, "href", None) else []
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list) else [children] if children is not None else []:
        out += hrefs(child)
    return out


def test_the_user_bar_links_the_docs_of_the_users_role(monkeypatch):
    for name, url in ENV.items():
        monkeypatch.setenv(name, url)
    viewer = SignedIn(Identity("v1", "viewer", "330000"), "")
    links = hrefs(find(user_bar(viewer, "en", False, other=("exercise_page", "/exercise")), ids.API_DOCS))
    assert links == ["http://resources:8102/docs", "http://logistics:8104/docs"]
    commander = SignedIn(Identity("zj", "province_commander", "330000"), "")
    bar = user_bar(commander, "zh", False, other=("exercise_page", "/exercise"))
    assert len(hrefs(find(bar, ids.API_DOCS))) == 4 and "接口文档" in str(find(bar, ids.API_DOCS).children)
    assert find(user_bar(None, "en", False, other=("map_page", "/")), ids.API_DOCS) is None
