"""Units carry the names their force writes (平湖市公安局交警大队二中队): the demo gives them, resources
keeps and serves them (GET /units?ids=), the twin shows them instead of the unit ids."""
from __future__ import annotations

import pytest

from services.common import contracts
from services.common.auth import Identity, signed_in
from services.demo.structure import chinese_number, unit_name, unit_name_en
from services.geo import Geography
from tests.helpers import offline_settings


def test_a_units_name_says_its_bureau_branch_and_squad():
    geo = Geography.load("330000")
    pinghu, shangcheng = geo.county("330482"), geo.county("330102")
    assert unit_name(pinghu, "county", "traffic_squad", 2, "浙江省") == "平湖市公安局交警大队二中队"
    assert unit_name(shangcheng, "county", "riot_company", 1, "浙江省") == "杭州市公安局上城区分局巡特警大队处突一中队"
    assert unit_name(shangcheng, "city", "swat", 12, "浙江省") == "杭州市公安局特警支队突击十二大队"
    assert unit_name(shangcheng, "province", "forensic_team", 3, "浙江省") == "浙江省公安厅刑侦总队刑事技术三大队"
    assert unit_name_en(pinghu, "county", "traffic_squad", 2, "浙江省") == "Pinghu City PSB, Traffic Police Brigade, Squadron 2"
    assert unit_name_en(shangcheng, "county", "riot_company", 1, "浙江省") == \
        "Hangzhou PSB Shangcheng District Branch, Patrol and SWAT Brigade, Riot Squadron 1"
    assert unit_name_en(shangcheng, "city", "swat", 12, "浙江省") == "Hangzhou PSB, SWAT Detachment, Assault Brigade 12"
    assert unit_name_en(shangcheng, "province", "forensic_team", 3, "浙江省") == \
        "Zhejiang Provincial Public Security Department, Criminal Investigation Corps, Forensics Brigade 3"
    assert [chinese_number(n) for n in (1, 10, 11, 20, 21, 100, 105, 110, 999, 1001)] == [
        "一", "十", "十一", "二十", "二十一", "一百", "一百零五", "一百一十", "九百九十九", "1001"]
    with pytest.raises(ValueError):
        chinese_number(0)


@pytest.fixture(scope="module")
def resources(tmp_path_factory):
    from services.resources.bootstrap import build_runtime, create_app, seed_demo_if_empty
    runtime = build_runtime(offline_settings("resources", tmp_path_factory.mktemp("units")))
    assert seed_demo_if_empty(runtime, officers_n=2000, seed=7) == 2000
    yield signed_in(create_app(runtime).test_client(), Identity("service:twin", "integrator", "330000"))
    runtime.engine.dispose()


def test_resources_serves_each_units_name_by_id(resources):
    every = resources.get("/units").get_json()
    assert contracts.validate_body("units", every) == []
    names = [u["name"] for u in every]
    assert len(set(names)) == len(every) and all(n and n.endswith(("中队", "大队")) for n in names)
    assert len({u["name_en"] for u in every}) == len(every) and all(u["name_en"].endswith(tuple("0123456789"))
                                                                   for u in every)
    traffic = next(u for u in every if u["kind"] == "traffic_squad" and u["level"] == "county")
    asked = [traffic["unit_id"], every[0]["unit_id"], "U999999-X-NONE001"]
    got = resources.get("/units", query_string={"ids": ",".join(asked)}).get_json()
    assert {u["unit_id"]: u["name"] for u in got} == {traffic["unit_id"]: traffic["name"],
                                                      every[0]["unit_id"]: every[0]["name"]}
    assert "交警大队" in traffic["name"] and "中队" in traffic["name"]
    too_many = resources.get("/units", query_string={"ids": ",".join(f"U{i}" for i in range(501))})
    assert too_many.status_code == 400 and too_many.get_json()["errors"][0]["field"] == "ids"
