"""OSRM and Valhalla clients against a small HTTP server on 127.0.0.1 that answers like them.

The fake computes each duration from the coordinates it receives (origin lon x 1000 + target lat),
so a test sees whether the request carried the right points and the answer landed in the right
cells, across several blocks.
"""
from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest

from services.geo import Geography
from services.geo.travel import OsrmTravel, TravelBackendError, ValhallaTravel, make_travel_provider

ORIGINS = [(120.1, 30.2), (121.5, 29.8), (120.6, 28.0)]
TARGETS = [(119.9, 29.1), (122.1, 30.0)]


def expected(origins, targets):
    return np.array([[o[0] * 1000 + t[1] for t in targets] for o in origins])


class FakeRouter(BaseHTTPRequestHandler):
    def log_message(self, *args):  # keep test output quiet
        pass

    def _send(self, status, payload):
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        self.server.requests.append(self.path)
        if self.server.mode == "broken":
            return self._send(500, {"message": "boom"})
        url = urlsplit(self.path)
        points = [tuple(map(float, p.split(","))) for p in url.path.split("/")[-1].split(";")]
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        if self.server.mode == "refuse" or query.get("annotations") != "duration":
            return self._send(200, {"code": "InvalidQuery", "message": "no"})
        sources = [points[int(i)] for i in query["sources"].split(";")]
        targets = [points[int(i)] for i in query["destinations"].split(";")]
        durations = expected(sources, targets).tolist()
        if self.server.mode == "gap":
            durations[0][0] = None
        self._send(200, {"code": "Ok", "durations": durations})

    def do_POST(self):
        self.server.requests.append(self.path)
        request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.bodies.append(request)
        sources = [(p["lon"], p["lat"]) for p in request["sources"]]
        targets = [(p["lon"], p["lat"]) for p in request["targets"]]
        table = expected(sources, targets)
        if self.server.mode == "concise":
            return self._send(200, {"sources_to_targets": {"durations": table.tolist()}})
        cells = [{"from_index": i, "to_index": j, "time": float(table[i, j]), "distance": 1.0}
                 for i in range(len(sources)) for j in range(len(targets))]
        cells.reverse()  # the client must place cells by their indices, not by their order
        self._send(200, {"sources_to_targets": [cells]})


@pytest.fixture
def router():
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeRouter)
    server.mode, server.requests, server.bodies = "ok", [], []
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def url_of(server):
    return f"http://127.0.0.1:{server.server_address[1]}/"


def test_osrm_table_is_requested_in_blocks_and_assembled(router):
    travel = OsrmTravel(url_of(router), block=2, mobilisation_s=60)
    times = travel.matrix(ORIGINS, TARGETS)
    assert np.allclose(times, expected(ORIGINS, TARGETS) + 60)
    assert len(router.requests) == 2  # origins in blocks of 2, targets in one
    first = urlsplit(router.requests[0])
    assert first.path == "/table/v1/driving/120.100000,30.200000;121.500000,29.800000;119.900000,29.100000;122.100000,30.000000"
    assert parse_qs(first.query) == {"sources": ["0;1"], "destinations": ["2;3"], "annotations": ["duration"]}


def test_osrm_unroutable_pair_is_inf(router):
    router.mode = "gap"
    times = OsrmTravel(url_of(router), mobilisation_s=0).matrix(ORIGINS[:1], TARGETS)
    assert np.isinf(times[0, 0]) and np.isfinite(times[0, 1])


def test_osrm_error_code_raises(router):
    router.mode = "refuse"
    with pytest.raises(TravelBackendError, match="InvalidQuery"):
        OsrmTravel(url_of(router)).matrix(ORIGINS, TARGETS)


def test_http_error_raises_with_the_status(router):
    router.mode = "broken"
    with pytest.raises(TravelBackendError, match="HTTP 500"):
        OsrmTravel(url_of(router)).matrix(ORIGINS, TARGETS)


def test_valhalla_verbose_answer_is_placed_by_index(router):
    travel = ValhallaTravel(url_of(router), block=2, mobilisation_s=0)
    assert np.allclose(travel.matrix(ORIGINS, TARGETS), expected(ORIGINS, TARGETS))
    assert router.requests == ["/sources_to_targets", "/sources_to_targets"]
    assert router.bodies[0] == {"sources": [{"lon": 120.1, "lat": 30.2}, {"lon": 121.5, "lat": 29.8}],
                                "targets": [{"lon": 119.9, "lat": 29.1}, {"lon": 122.1, "lat": 30.0}],
                                "costing": "auto"}


def test_valhalla_concise_answer_is_read_too(router):
    router.mode = "concise"
    times = ValhallaTravel(url_of(router), mobilisation_s=30).matrix(ORIGINS, TARGETS)
    assert np.allclose(times, expected(ORIGINS, TARGETS) + 30)


@pytest.mark.parametrize("client", [OsrmTravel, ValhallaTravel])
def test_an_unreachable_server_raises_a_clear_error(client):
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(TravelBackendError, match="unreachable"):
        client(f"http://127.0.0.1:{port}", timeout_s=2).matrix(ORIGINS, TARGETS)


def test_the_factory_builds_server_clients_from_the_environment(router):
    geo = Geography.load("330000")
    osrm = make_travel_provider(geo, env={"TRAVEL_BACKEND": "osrm", "TRAVEL_URL": url_of(router)})
    valhalla = make_travel_provider(geo, env={"TRAVEL_BACKEND": "Valhalla", "TRAVEL_URL": url_of(router),
                                              "TRAVEL_MOBILISATION_S": "0"})
    assert isinstance(osrm, OsrmTravel) and osrm.mobilisation_s == 600
    assert isinstance(valhalla, ValhallaTravel)
    assert np.allclose(valhalla.matrix(ORIGINS, TARGETS), expected(ORIGINS, TARGETS))
