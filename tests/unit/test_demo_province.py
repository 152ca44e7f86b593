"""Every province by its area code gets a demo of its own: incidents in its own counties, users of its
own regions; Zhejiang keeps its curated demo."""
from __future__ import annotations

import json

import pytest
import yaml

from infra.run import var_for
from services.common import users
from services.common.config import VAR
from services.common.contracts import validate_body
from services.demo.province import CURATED, demo_incidents, demo_users, places, write_demo_users
from services.geo.geography import Geography


def test_zhejiang_keeps_the_curated_demo_of_the_seed():
    assert demo_incidents("330000") == json.loads(CURATED.read_text(encoding="utf-8"))
    assert [i["location"]["county"] for i in demo_incidents("330000")] == ["330783", "330106", "330329"]


@pytest.mark.parametrize("province", ["320000", "510000", "440000"])
def test_another_province_gets_three_incidents_in_its_own_counties(province):
    geo = Geography.load(province)
    incidents = demo_incidents(province)
    assert [i["reported_grade"] for i in incidents] == ["III", "IV", "II"]
    for incident in incidents:
        assert validate_body("incident-report", incident) == [], incident
        county = geo.county(incident["location"]["county"])       # raises for a county of another province
        assert incident["location"]["address"].startswith(geo.province_name) and county.name in \
            incident["location"]["address"]
    p = places(province)
    assert p["capital"].city_code == province[:2] + "0100"          # the crowd: the capital's urban district
    assert p["fraud"].city_code != p["capital"].city_code           # the fraud: another prefecture
    assert len({p["capital"].code, p["fraud"].code, p["remote"].code}) == 3


def test_the_remote_county_is_the_one_farthest_from_the_capital():
    assert places("510000")["remote"].name == "石渠县"             # Sichuan's far north-west, on the Qinghai border
    assert places("440000")["remote"].name == "徐闻县"             # Guangdong's southern tip, facing Hainan


def test_another_provinces_users_act_for_its_regions_and_load_as_a_users_file(tmp_path):
    path = write_demo_users("320000", tmp_path / "users.yaml")
    assert path.stat().st_mode & 0o777 == 0o600
    loaded = users.load(path)
    assert loaded["js-commander"].role == "province_commander" and loaded["js-commander"].region == "320000"
    assert loaded["js-city-commander"].region == "320100"
    duty = {who.region for who in loaded.values() if who.role == "county_duty_officer"}
    assert duty == {i["location"]["county"] for i in demo_incidents("320000")[:2]}
    assert all(who.region.startswith("32") for who in loaded.values())
    assert yaml.safe_load(path.read_text(encoding="utf-8")) == demo_users("320000")


def test_another_province_keeps_its_databases_apart():
    assert var_for({}) == VAR and var_for({"PROVINCE": "330000"}) == VAR
    assert var_for({"PROVINCE": "320000"}) == VAR / "provinces" / "320000"
    assert str(var_for({"PROVINCE": "320000", "VAR_DIR": "/srv/x"})) == str(VAR)  # VAR_DIR decides: config read it


def test_a_city_without_counties_is_one_region_row(monkeypatch):
    """Guangdong's 东莞 and 中山 are prefecture-level cities with no counties: the geography lists each as
    a city and as its own county-level unit; the pool's region table keeps one row per code."""
    import services.resources.store as store
    from services.resources.roster import load_geography

    rows = []
    monkeypatch.setattr(store, "insert_regions", lambda conn, regions: rows.extend(regions))
    monkeypatch.setattr(store, "insert_counties", lambda conn, counties: None)
    load_geography(type("Tx", (), {"conn": None})(), Geography.load("440000"), {})
    codes = [r["code"] for r in rows]
    assert len(codes) == len(set(codes)) and "441900" in codes and "442000" in codes
    assert next(r for r in rows if r["code"] == "441900")["level"] == "city"
