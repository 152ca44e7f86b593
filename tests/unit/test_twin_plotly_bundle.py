"""Plotly's map bundle: taken from plotly.js's own package only when it is the release pinned, served
to the twin's pages in place of the full bundle, and the full bundle whenever it is not there."""
from __future__ import annotations

import hashlib
import io
import tarfile

import pytest

from services.common.auth import Identity, headers_for
from twin.sim.model import ProvinceModel
from twin.ui import plotly_bundle
from twin.ui.app import PLOTLY_META, create_app

PROVINCE = Identity("zj-commander", "province_commander", "330000")
BUNDLE = b"/**\n* plotly.js (map - minified) v4.1.1\n*/\nvar Plotly = {};" + b" " * 2048


def package(bundle: bytes = BUNDLE) -> bytes:
    """A tarball laid out as npm packs plotly.js."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for name, data in (("package/dist/plotly-map.min.js", bundle), ("package/LICENSE", b"MIT"),
                           ("package/dist/plotly.min.js", b"the full bundle")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


@pytest.fixture
def pinned(monkeypatch, tmp_path):
    """The stand-in package pinned as the release; the bundle kept under tmp_path."""
    tarball = package()
    monkeypatch.setattr(plotly_bundle, "INTEGRITY", plotly_bundle.integrity(tarball))
    monkeypatch.setattr(plotly_bundle, "SHA256", hashlib.sha256(BUNDLE).hexdigest())
    monkeypatch.setenv("TWIN_PLOTLY_DIR", str(tmp_path))
    plotly_bundle._read.cache_clear()
    yield tarball
    plotly_bundle._read.cache_clear()


def test_the_pinned_release_is_the_plotly_js_that_plotly_draws_for():
    assert plotly_bundle.plotlyjs_version() == plotly_bundle.VERSION


def test_every_figure_the_twin_draws_is_of_a_trace_type_the_map_bundle_holds():
    from tests.e2e.twin_scene import scene
    from twin.ui import panel, views

    model = scene()
    model.place_unit(unit_id="UNIT-0001", position=(120.2, 30.2), status="moving")
    for plan in model.snapshot()["plans"]:
        model.preview(plan["plan_id"])
    snapshot = model.snapshot()
    geojson = model.geography.county_geojson()
    plans = snapshot["plans"]
    figures = [views.base_map_figure(snapshot, geojson, colour_by="load"), panel.strength_figure(plans),
               panel.strength_figure([]), *(views.map_figure(snapshot, geojson, colour_by=c, request_id=r)
                                            for c in ("load", "circle") for r in [None, *model.requests])]
    kinds = {trace.type for figure in figures for trace in figure.data}
    assert "choroplethmap" in kinds and "scattermap" in kinds and "scatter" in kinds
    assert kinds <= plotly_bundle.TRACES


def test_only_the_pinned_package_is_unpacked_and_only_an_intact_bundle_is_served(pinned, tmp_path, monkeypatch):
    assert plotly_bundle.load() is None  # nothing installed: the full bundle
    with pytest.raises(ValueError, match="not the release pinned"):
        plotly_bundle.extract(package(BUNDLE + b"//"), tmp_path)
    assert not list(tmp_path.iterdir())
    plotly_bundle.extract(pinned, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["LICENSE", plotly_bundle.NAME]
    assert plotly_bundle.load() == BUNDLE

    (tmp_path / plotly_bundle.NAME).write_bytes(BUNDLE + b"//")  # altered: the full bundle again
    plotly_bundle._read.cache_clear()
    assert plotly_bundle.load() is None
    plotly_bundle.extract(pinned, tmp_path)
    plotly_bundle._read.cache_clear()
    monkeypatch.setattr(plotly_bundle, "plotlyjs_version", lambda: "9.9.9")  # plotly upgraded, the pin not
    assert plotly_bundle.load() is None


def test_install_takes_the_package_from_npm_once(pinned, tmp_path, monkeypatch):
    calls = []

    def npm_pack(command, **_kwargs):
        calls.append(command)
        destination = command[command.index("--pack-destination") + 1]
        (plotly_bundle.Path(destination) / "plotly.js-4.1.1.tgz").write_bytes(pinned)

    monkeypatch.setattr(plotly_bundle.shutil, "which", lambda _name: "/usr/bin/npm")
    monkeypatch.setattr(plotly_bundle.subprocess, "run", npm_pack)
    assert plotly_bundle.install() == tmp_path / plotly_bundle.NAME
    assert plotly_bundle.install() == tmp_path / plotly_bundle.NAME  # there already: npm not asked again
    assert [c[1:3] for c in calls] == [["pack", plotly_bundle.PACKAGE]]
    assert plotly_bundle.load() == BUNDLE


def test_the_page_names_the_map_bundle_and_the_app_serves_it_gzipped_for_good(pinned, tmp_path):
    plotly_bundle.extract(pinned, tmp_path)
    client = create_app(ProvinceModel(seed=0)).server.test_client()
    signed = headers_for(PROVINCE)
    page = client.get("/", headers=signed).get_data(as_text=True)
    assert f'<meta name="{PLOTLY_META}" content="{plotly_bundle.PAGE_PATH}">' in page
    script = client.get(plotly_bundle.PATH, headers={**signed, "Accept-Encoding": "gzip"})
    assert script.status_code == 200 and script.mimetype == "application/javascript"
    assert script.headers["Content-Encoding"] == "gzip" and "immutable" in script.headers["Cache-Control"]


def test_without_the_map_bundle_the_page_loads_the_full_one(pinned):
    client = create_app(ProvinceModel(seed=0)).server.test_client()
    signed = headers_for(PROVINCE)
    assert PLOTLY_META not in client.get("/", headers=signed).get_data(as_text=True)
    assert client.get(plotly_bundle.PATH, headers=signed).status_code == 404
