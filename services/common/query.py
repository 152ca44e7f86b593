"""Ids sent in a query string (`GET /units?ids=`, `GET /officers?ids=`), in batches a web server's request
line holds: gunicorn, which serves the compose deployment's web processes, answers 414 past 4,094 bytes
of request line, and requests percent-encodes each comma between ids as `%2C`."""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from urllib.parse import quote

MAX_QUERY_CHARS = 3000   # of encoded ids per request: the path, the other parameters and HTTP/1.1 fit beside
MAX_IDS = 500            # the most ids one read by id takes (resources' GET /units and GET /officers)


def id_batches(ids: Iterable[str], most: int, max_chars: int = MAX_QUERY_CHARS) -> Iterator[list[str]]:
    """`ids` in order, in batches of at most `most` ids whose encoded, comma-joined length is at most
    `max_chars` (an id longer than that on its own is a batch of its own)."""
    batch: list[str] = []
    size = 0
    for i in ids:
        n = len(quote(i, safe=""))
        if batch and (len(batch) >= most or size + 3 + n > max_chars):
            yield batch
            batch, size = [], 0
        size += n + (3 if batch else 0)
        batch.append(i)
    if batch:
        yield batch
