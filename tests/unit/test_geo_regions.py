"""The region-code rules every service uses (services.geo.regions) against the boundary files."""
import pytest
from sqlalchemy import Column, MetaData, String, Table, create_engine, insert, select

from services.common.permissions import covers_clause
from services.geo import Geography
from services.geo.regions import city_of, region_covers, region_level, region_prefix


@pytest.mark.parametrize("province", ["330000", "420000", "460000", "110000", "500000", "810000"])
def test_city_of_agrees_with_the_boundary_files(province):
    geo = Geography.load(province)
    assert {c.code: city_of(c.code) for c in geo.counties} == {c.code: c.city_code for c in geo.counties}


def test_a_county_belongs_to_its_city_and_a_directly_administered_city_to_itself():
    assert city_of("330482") == "330400"          # Pinghu, Jiaxing
    assert city_of("330182") == "330100"          # Jiande, Hangzhou
    assert city_of("429004") == "429004"          # Xiantao, administered by Hubei directly
    assert city_of("469001") == "469001"          # Wuzhishan, Hainan
    assert city_of("110105") == "110000"          # Chaoyang, Beijing: no city between it and the municipality


def test_a_region_covers_its_own_counties_only():
    assert region_covers("330000", "330482") and not region_covers("330000", "320582")
    assert region_covers("330400", "330482") and not region_covers("330100", "330482")
    assert region_covers("330482", "330482") and not region_covers("330482", "330481")
    # Xiantao's commander is a city commander whose region is a county-level code: not Tianmen's
    assert region_level("429004") == "county"
    assert region_covers("429004", "429004") and not region_covers("429004", "429006")


def test_the_sql_clause_keeps_the_same_counties_as_region_covers():
    table = Table("t", MetaData(), Column("county", String(6)))
    engine = create_engine("sqlite://")
    table.metadata.create_all(engine)
    # 舟山 (3309..) ends where 台州 (3310..) begins, and 浙江 (33..) where 安徽 (34..) does: the range's edges
    counties = ["330482", "330481", "330102", "320582", "429004", "429006", "330902", "330999", "331002", "340102"]
    with engine.begin() as conn:
        conn.execute(insert(table), [{"county": c} for c in counties])
        for region in ("330000", "330400", "330482", "429004", "420000", "330900", "331000", "340000"):
            got = {r.county for r in conn.execute(select(table.c.county).where(covers_clause(table.c.county, region)))}
            assert got == {c for c in counties if region_covers(region, c)}, region
    assert region_prefix("330400") == "3304" and region_prefix("330000") == "33" and region_prefix("330482") is None
