"""gzip for what the twin sends: Dash's scripts (Plotly's alone is 4.8 MB), the layout, callbacks' answers.

`install(server)` compresses each response of a compressible type above MIN_BYTES when the browser
takes gzip. The scripts and styles, the same bytes for every page, are compressed once and kept
(keyed by path, length and CRC); the layout and callbacks' answers, different every time, at a light
level. A response already encoded (the county polygons, kept gzipped), streamed or partial is left as it is.
"""
from __future__ import annotations

import gzip
import threading
import zlib

from flask import Flask, Response, request

MIN_BYTES = 1024
STATIC_PREFIXES = ("/_dash-component-suites/", "/assets/")
COMPRESSIBLE = frozenset({"application/json", "application/javascript", "text/javascript", "text/css", "text/html",
                          "application/geo+json", "image/svg+xml"})
STATIC_LEVEL, DYNAMIC_LEVEL = 6, 4
KEPT = 64  # compressed static files kept


def install(server: Flask) -> None:
    kept: dict[tuple, bytes] = {}
    lock = threading.Lock()

    @server.after_request
    def gzip_response(resp: Response) -> Response:
        if (resp.status_code != 200 or resp.direct_passthrough or resp.is_streamed
                or "Content-Encoding" in resp.headers or resp.mimetype not in COMPRESSIBLE
                or "gzip" not in request.headers.get("Accept-Encoding", "")):
            return resp
        body = resp.get_data()
        if len(body) < MIN_BYTES:
            return resp
        if request.path.startswith(STATIC_PREFIXES):
            key = (request.path, len(body), zlib.crc32(body))
            with lock:
                packed = kept.get(key)
            if packed is None:
                packed = gzip.compress(body, compresslevel=STATIC_LEVEL, mtime=0)
                with lock:
                    if len(kept) >= KEPT:
                        kept.pop(next(iter(kept)))
                    kept[key] = packed
        else:
            packed = gzip.compress(body, compresslevel=DYNAMIC_LEVEL, mtime=0)
        resp.set_data(packed)
        resp.headers["Content-Encoding"] = "gzip"
        resp.vary.add("Accept-Encoding")
        return resp
