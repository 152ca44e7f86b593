"""Travel times from a routing server: OSRM (/table) or Valhalla (/sources_to_targets).

Either replaces the road-graph model when a server with a road network of the province runs
(`TRAVEL_BACKEND=osrm|valhalla`, `TRAVEL_URL=http://host:port`). Large matrices are sent in blocks
of `block` x `block` points, within the default limits of both servers (OSRM: 100 locations per
table; Valhalla: 2,500 source-target pairs). A pair the server cannot route comes back as inf. As
in the road-graph model, `mobilisation_s` is added to every entry.
"""
from __future__ import annotations

import numpy as np
import requests

from ._distance import as_points


class TravelBackendError(RuntimeError):
    """The routing server could not be reached or did not answer with a table."""


class _ServerTravel:
    kind = "routing"

    def __init__(self, base_url: str, *, timeout_s: float = 10.0, mobilisation_s: float = 600,
                 block: int = 50, session: requests.Session | None = None):
        if not base_url:
            raise ValueError(f"{self.kind} needs the server's base URL, e.g. http://localhost:5000")
        self.base_url = base_url.rstrip("/")
        self.timeout_s, self.mobilisation_s, self.block = timeout_s, mobilisation_s, block
        self.session = session or requests.Session()

    def matrix(self, origins, destinations) -> np.ndarray:
        o, d = as_points(origins), as_points(destinations)
        seconds = np.zeros((len(o), len(d)))
        for i in range(0, len(o), self.block):
            for j in range(0, len(d), self.block):
                seconds[i:i + self.block, j:j + self.block] = self._table(o[i:i + self.block], d[j:j + self.block])
        return seconds + self.mobilisation_s

    def _table(self, origins: np.ndarray, destinations: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _call(self, method: str, url: str, **kwargs) -> dict:
        try:
            response = self.session.request(method, url, timeout=self.timeout_s, **kwargs)
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise TravelBackendError(f"{self.kind} server at {self.base_url} is unreachable: {exc}") from exc
        if response.status_code != 200:
            raise TravelBackendError(
                f"{self.kind} server at {self.base_url} answered HTTP {response.status_code}: {response.text[:200]}")
        try:
            return response.json()
        except ValueError as exc:
            raise TravelBackendError(f"{self.kind} server at {self.base_url} did not answer JSON") from exc


class OsrmTravel(_ServerTravel):
    """OSRM's table service: GET /table/v1/{profile}/{lon,lat;...}?sources=..&destinations=..&annotations=duration."""

    kind = "OSRM"

    def __init__(self, base_url: str, *, profile: str = "driving", **kwargs):
        super().__init__(base_url, **kwargs)
        self.profile = profile

    def _table(self, origins: np.ndarray, destinations: np.ndarray) -> np.ndarray:
        points = np.vstack([origins, destinations])
        coordinates = ";".join(f"{lon:.6f},{lat:.6f}" for lon, lat in points)
        sources = ";".join(str(i) for i in range(len(origins)))
        targets = ";".join(str(len(origins) + j) for j in range(len(destinations)))
        # built by hand: OSRM wants the ';' separators literally, not percent-encoded
        url = (f"{self.base_url}/table/v1/{self.profile}/{coordinates}"
               f"?sources={sources}&destinations={targets}&annotations=duration")
        answer = self._call("GET", url)
        if answer.get("code") != "Ok" or "durations" not in answer:
            raise TravelBackendError(f"OSRM table failed: {answer.get('code')} {answer.get('message', '')}".strip())
        return _seconds(answer["durations"], (len(origins), len(destinations)))


class ValhallaTravel(_ServerTravel):
    """Valhalla's matrix service: POST /sources_to_targets with sources, targets and costing."""

    kind = "Valhalla"

    def __init__(self, base_url: str, *, costing: str = "auto", **kwargs):
        super().__init__(base_url, **kwargs)
        self.costing = costing

    def _table(self, origins: np.ndarray, destinations: np.ndarray) -> np.ndarray:
        request = {
            "sources": [{"lon": float(lon), "lat": float(lat)} for lon, lat in origins],
            "targets": [{"lon": float(lon), "lat": float(lat)} for lon, lat in destinations],
            "costing": self.costing,
        }
        answer = self._call("POST", f"{self.base_url}/sources_to_targets", json=request)
        table = answer.get("sources_to_targets")
        shape = (len(origins), len(destinations))
        if isinstance(table, dict):  # the concise form (verbose=false): arrays of numbers
            return _seconds(table.get("durations"), shape)
        if not isinstance(table, list):
            raise TravelBackendError(f"Valhalla answered without a table: {str(answer)[:200]}")
        seconds = np.full(shape, np.inf)
        for row in table:  # the verbose form: one object per pair, placed by its own indices
            for cell in row:
                if cell.get("time") is not None:
                    seconds[cell["from_index"], cell["to_index"]] = float(cell["time"])
        return seconds


def _seconds(rows, shape: tuple[int, int]) -> np.ndarray:
    """A table of numbers with None for unroutable pairs as floats with inf; checks the shape."""
    table = np.array([[np.inf if v is None else float(v) for v in row] for row in rows or []], dtype=float)
    if table.shape != shape:
        raise TravelBackendError(f"routing server answered a {table.shape} table for {shape} points")
    return table
