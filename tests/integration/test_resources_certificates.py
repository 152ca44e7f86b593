"""Officers' certificates kept as rows beside their JSON list, on SQLite and PostgreSQL: every write of an
officer's certifications (an import, a re-import, a hand edit) keeps `officer_certificates` in step, a
certification search finds the holders valid on the day asked, and a pool from before the rows were
kept gets them at start-up."""
from __future__ import annotations

import pytest
from sqlalchemy import delete, select

from services.resources import store
from services.resources.bootstrap import build_runtime
from tests.integration.test_resources_support import load, officer, pool_fixture  # noqa: F401

pytestmark = pytest.mark.integration


def cert(name: str, expires: str) -> dict:
    return {"name": name, "issued": "2020-01-01", "expires": expires}


def holders(client, query: str) -> list[str]:
    body = client.get(f"/officers?{query}&limit=1000").get_json()
    assert body["total"] == len(body["items"])
    return [o["officer_id"] for o in body["items"]]


def kept_rows(runtime) -> set[tuple]:
    with runtime.engine.connect() as conn:
        return {tuple(r) for r in conn.execute(select(store.officer_certificates))}


def listed_rows(runtime) -> set[tuple]:
    """The rows each officer's JSON list calls for."""
    with runtime.engine.connect() as conn:
        held = conn.execute(select(store.officers.c.officer_id, store.officers.c.certifications)).all()
    return {(o, c["name"], c["expires"]) for o, certs in held for c in certs}


def test_every_write_keeps_the_rows_and_the_search_reads_the_day_asked(pool):
    runtime, client = pool
    load(client, [officer("A-1", "330782", certifications=[cert("firearms", "2030-01-01")]),
                  officer("A-2", "330782", certifications=[cert("firearms", "2021-06-30"), cert("first_aid", "2031-01-01")]),
                  officer("A-3", "330782", certifications=[]),
                  officer("A-4", "330703", certifications=[cert("firearms", "2021-06-30"),      # renewed: both kept
                                                           cert("firearms", "2029-01-01")])])
    assert kept_rows(runtime) == listed_rows(runtime) and len(kept_rows(runtime)) == 5
    assert holders(client, "certification=firearms") == ["A-1", "A-4"]
    assert holders(client, "certification=firearms&valid_on=2021-06-30") == ["A-1", "A-2", "A-4"]   # its last day
    assert holders(client, "certification=firearms&valid_on=2029-01-02") == ["A-1"]
    assert holders(client, "certification=firearms,first_aid&valid_on=2021-01-01") == ["A-2"]
    assert holders(client, "certification=firearms&county=330703") == ["A-4"]

    # a hand edit renews one officer's certificate and takes another's away
    assert client.patch("/officers/A-2", json={"certifications": [cert("firearms", "2032-01-01")]}).status_code == 200
    assert client.patch("/officers/A-1", json={"certifications": []}).status_code == 200
    assert holders(client, "certification=firearms") == ["A-2", "A-4"]
    assert holders(client, "certification=first_aid&valid_on=2021-01-01") == []
    assert kept_rows(runtime) == listed_rows(runtime)

    # a re-import gives A-3 one and lets A-4's lapse
    load(client, [officer("A-3", "330782", certifications=[cert("firearms", "2030-01-01")]),
                  officer("A-4", "330703", certifications=[cert("firearms", "2021-06-30")])])
    assert holders(client, "certification=firearms") == ["A-2", "A-3"]
    assert kept_rows(runtime) == listed_rows(runtime) and len(kept_rows(runtime)) == 3


def test_a_pool_from_before_the_rows_gets_them_at_start_up(pool, make_settings, database_url):
    runtime, client = pool
    load(client, [officer(f"B-{i}", "330782", certifications=[cert("firearms", f"20{30 + i}-01-01")])
                  for i in range(5)])
    with runtime.engine.begin() as conn:     # as the table was before its rows were kept
        conn.execute(delete(store.officer_certificates))
    assert holders(client, "certification=firearms") == []
    assert store.fill_officer_certificates(runtime.engine) == 5
    assert kept_rows(runtime) == listed_rows(runtime)
    assert store.fill_officer_certificates(runtime.engine) == 0      # once: rows there are kept by every write
    assert holders(client, "certification=firearms&valid_on=2033-06-01") == ["B-4"]
    with runtime.engine.begin() as conn:
        conn.execute(delete(store.officer_certificates))
    again = build_runtime(runtime.settings)                           # a service starting on that pool
    try:
        assert kept_rows(again) == listed_rows(again) and len(kept_rows(again)) == 5
    finally:
        again.engine.dispose()
