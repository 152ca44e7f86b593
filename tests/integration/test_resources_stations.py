"""The police station an officer works from: kept by the pool from the roster (JSON or CSV, optional),
shown with the officer (what matching times travel from), and kept when a roster without it is re-imported."""
from __future__ import annotations

import pytest

from services.common.auth import Identity, headers_for
from tests.integration.test_resources_support import load, officer, pool_fixture  # noqa: F401

pytestmark = pytest.mark.integration

BORDER = [120.152, 29.364]   # a station of 义乌 towards the 东阳 border


def test_a_roster_station_is_kept_and_shown_with_the_officer(pool):
    _, client = pool
    load(client, [officer("ST-1", "330782", station_id="330782-S05", station=BORDER), officer("ST-2", "330782")])
    one = client.get("/officers/ST-1").get_json()
    assert one["station"] == {"station_id": "330782-S05", "point": {"lon": BORDER[0], "lat": BORDER[1]}}
    assert client.get("/officers/ST-2").get_json()["station"] is None       # none given: the seat counts
    # what matching reads as an integrator (positions hidden): the station is organisation, not a live position
    matching = headers_for(Identity("matching", "integrator"))
    items = {o["officer_id"]: o for o in client.get("/officers", headers=matching).get_json()["items"]}
    assert items["ST-1"]["position"] is None and items["ST-1"]["station"]["station_id"] == "330782-S05"


def test_a_csv_roster_gives_the_station_as_two_columns_and_a_bad_one_is_named(pool):
    _, client = pool
    header = "officer_id,name,county,unit_id,module,status,station_id,station_lon,station_lat\n"
    bad = header + "C-1,甲,330782,U1,patrol,on_duty,330782-S05,120.5,95\n"
    resp = client.post("/roster/import", data=bad.encode(), content_type="text/csv")
    assert resp.status_code == 422 and resp.get_json()["errors"][0]["field"] == "line 2.station"
    good = header + "C-1,甲,330782,U1,patrol,on_duty,330782-S05,120.152,29.364\n"
    assert client.post("/roster/import", data=good.encode(), content_type="text/csv").status_code == 200
    assert client.get("/officers/C-1").get_json()["station"]["point"] == {"lon": BORDER[0], "lat": BORDER[1]}


def test_re_importing_a_roster_without_stations_keeps_them_and_a_new_station_replaces_the_old(pool):
    _, client = pool
    load(client, [officer("ST-1", "330782", station_id="330782-S05", station=BORDER)])
    load(client, [officer("ST-1", "330782", module="patrol")])             # an older roster: no station column
    kept = client.get("/officers/ST-1").get_json()
    assert kept["module"] == "patrol" and kept["station"]["station_id"] == "330782-S05"
    load(client, [officer("ST-1", "330782", station_id="330782-S00", station=[120.075, 29.306])])
    assert client.get("/officers/ST-1").get_json()["station"]["station_id"] == "330782-S00"
