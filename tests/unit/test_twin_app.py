"""The twin's Dash app: thin callbacks over the figure builders, a health route, nothing from a CDN."""
from __future__ import annotations

import re

import dash
import pytest

from services.common.contracts import example_event
from twin import ids, replay
from twin.app import create_app, refresh_view
from twin.model import ProvinceModel


@pytest.fixture
def model() -> ProvinceModel:
    return ProvinceModel(seed=0)


@pytest.fixture
def geojson(model) -> dict:
    return model.geography.county_geojson()


def test_refresh_draws_the_map_and_the_table_from_the_model(model, geojson):
    replay.apply(model, example_event("incident.reported"))
    figure, rows, count, clock, key = refresh_view(model, geojson, "load", None)
    assert {t.type for t in figure.data} == {"choroplethmap", "scattermap"}
    assert len(rows) == 1 and "incidents: 1" in count
    assert key


def test_refresh_does_not_resend_an_unchanged_map(model, geojson):
    *_, key = refresh_view(model, geojson, "load", None)
    figure, *_rest, same_key = refresh_view(model, geojson, "load", key)
    assert figure is dash.no_update and same_key == key


def test_refresh_redraws_after_an_event_or_a_new_colouring(model, geojson):
    *_, key = refresh_view(model, geojson, "load", None)
    assert refresh_view(model, geojson, "officers_available", key)[0] is not dash.no_update
    replay.apply(model, example_event("incident.reported"))
    figure, *_ = refresh_view(model, geojson, "load", key)
    assert figure is not dash.no_update
    assert any(t.type == "scattermap" for t in figure.data)


def test_health_reports_the_service_and_its_incidents(model):
    replay.apply(model, example_event("incident.reported"))
    response = create_app(model).server.test_client().get("/health")
    assert response.status_code == 200
    assert response.get_json()["status"] == "ok"
    assert response.get_json()["service"] == "twin"
    assert response.get_json()["incidents"] == 1


def test_the_page_loads_nothing_from_another_host(model):
    app = create_app(model)
    html = app.server.test_client().get("/").get_data(as_text=True)
    assert app.config.serve_locally
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)


def test_the_layout_holds_the_map_table_and_refresh(model):
    app = create_app(model, refresh_ms=500)
    layout = app.layout()
    found = {c.id for c in layout._traverse() if getattr(c, "id", None)}
    assert {ids.MAP, ids.INCIDENT_TABLE, ids.REFRESH, ids.COLOUR_BY} <= found
    [interval] = [c for c in layout._traverse() if getattr(c, "id", None) == ids.REFRESH]
    assert interval.interval == 500
